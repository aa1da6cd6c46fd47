package slack

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/bot/bottest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestRunWithoutAppToken(t *testing.T) {
	a, err := New(Config{BotToken: "xoxb-1", SigningSecret: "s", Seen: &bottest.Seen{}}, &fakeRouter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run without an app token did not return")
	}
}

// wsConn is the server end of a WebSocket, just enough of RFC 6455 to
// play Slack's Socket Mode endpoint: unmasked text frames out, masked
// frames in.
type wsConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// wsHandler upgrades the request and hands the connection to serve.
func wsHandler(serve func(*wsConn)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer conn.Close()
		fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		if err := rw.Flush(); err != nil {
			return
		}
		serve(&wsConn{conn: conn, r: rw.Reader})
	}
}

func (c *wsConn) send(v any) error {
	payload, err := json.Marshal(v)
	if err != nil {
		return err
	}
	header := []byte{0x81} // FIN, text
	switch n := len(payload); {
	case n < 126:
		header = append(header, byte(n))
	case n < 1<<16:
		header = append(header, 126, byte(n>>8), byte(n))
	default:
		header = append(header, 127)
		header = binary.BigEndian.AppendUint64(header, uint64(n))
	}
	_, err = c.conn.Write(append(header, payload...))
	return err
}

// receive returns the next text message, skipping control frames.
func (c *wsConn) receive() ([]byte, error) {
	for {
		var h [2]byte
		if _, err := io.ReadFull(c.r, h[:]); err != nil {
			return nil, err
		}
		opcode, n := h[0]&0x0f, uint64(h[1]&0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(c.r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(c.r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		var mask [4]byte
		if h[1]&0x80 != 0 {
			if _, err := io.ReadFull(c.r, mask[:]); err != nil {
				return nil, err
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(c.r, payload); err != nil {
			return nil, err
		}
		for i := range payload {
			payload[i] ^= mask[i%4]
		}
		switch opcode {
		case 0x1:
			return payload, nil
		case 0x8:
			return nil, io.EOF
		}
	}
}

// envelope is a Socket Mode request as Slack sends it.
func envelope(kind, id string, payload any, retry int) map[string]any {
	return map[string]any{"type": kind, "envelope_id": id, "payload": payload, "accepts_response_payload": kind == "slash_commands", "retry_attempt": retry}
}

func TestRunSocketMode(t *testing.T) {
	type ack struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	acks := make(chan ack, 10)
	script := func(c *wsConn) {
		_ = c.send(map[string]any{"type": "hello", "num_connections": 1})
		var click map[string]any
		_ = json.Unmarshal([]byte(mustQueryPayload(t, interactionBody(false, ""))), &click)
		var mention map[string]any
		_ = json.Unmarshal([]byte(mentionEvent("<@UBOT0001> mine")), &mention)
		for _, env := range []map[string]any{
			envelope("slash_commands", "env-cmd", map[string]any{
				"user_id": "U2147483697", "user_name": "steve", "channel_id": "C2147483705", "command": "/badge",
				"text": "of <@U024BE7LH|ada>", "response_url": "",
			}, 0),
			envelope("interactive", "env-click", click, 0),
			envelope("events_api", "env-mention", mention, 0),
			envelope("events_api", "env-mention-retry", mention, 1),
		} {
			if err := c.send(env); err != nil {
				return
			}
		}
		for {
			msg, err := c.receive()
			if err != nil {
				return
			}
			var a ack
			if json.Unmarshal(msg, &a) == nil {
				acks <- a
			}
		}
	}
	fs := newFakeSlack(t, map[string]http.HandlerFunc{"/ws": wsHandler(script)})
	router := &fakeRouter{
		reply: bot.Reply{Message: bot.Message{Text: "ada has 2 badges."}, Private: true},
		click: bot.Reply{Update: &bot.Message{Text: "Approved."}},
	}
	a, err := New(Config{BotToken: testBotToken, AppToken: testAppToken, APIURL: fs.GetAPIURL(), Seen: &bottest.Seen{}}, router, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	got := map[string]json.RawMessage{}
	for len(got) < 4 {
		select {
		case a := <-acks:
			got[a.EnvelopeID] = a.Payload
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatalf("acknowledged %v, want 4 envelopes", got)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}

	var cmdAck map[string]any
	if err := json.Unmarshal(got["env-cmd"], &cmdAck); err != nil {
		t.Fatalf("slash command ack payload %s: %v", got["env-cmd"], err)
	}
	if cmdAck["response_type"] != "ephemeral" || cmdAck["text"] != "ada has 2 badges." {
		t.Errorf("slash command answered with %v", cmdAck)
	}
	for _, id := range []string{"env-click", "env-mention", "env-mention-retry"} {
		if p := got[id]; len(p) != 0 {
			t.Errorf("ack of %s carries payload %s", id, p)
		}
	}
	cmds, clicks := router.calls()
	var texts []string
	for _, c := range cmds {
		texts = append(texts, c.Text)
	}
	// The retried mention is acknowledged but not handled again.
	if diff := cmp.Diff([]string{"of @slack:U024BE7LH", "mine"}, texts, sortStrings); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if len(clicks) != 1 || clicks[0].Action != "approve" || clicks[0].Value != "nom-42" {
		t.Errorf("clicks = %+v", clicks)
	}
	if n := len(fs.seen("chat.update")); n != 1 {
		t.Errorf("chat.update calls = %d, want 1", n)
	}
	if n := len(fs.seen("chat.postEphemeral")); n != 1 {
		t.Errorf("mention reply: chat.postEphemeral calls = %d, want 1", n)
	}
}

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func mustQueryPayload(t *testing.T, form string) string {
	t.Helper()
	v, err := url.ParseQuery(form)
	if err != nil {
		t.Fatal(err)
	}
	return v.Get("payload")
}

func TestRunSocketModeBadToken(t *testing.T) {
	fs := newFakeSlack(t, map[string]http.HandlerFunc{"/apps.connections.open": func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"ok":false,"error":"invalid_auth"}`))
	}})
	a, err := New(Config{BotToken: testBotToken, AppToken: testAppToken, APIURL: fs.GetAPIURL(), Seen: &bottest.Seen{}}, &fakeRouter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = a.Run(ctx)
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want the refusal", err)
	}
	if want := "slack: socket mode: invalid_auth"; err.Error() != want {
		t.Errorf("Run = %q, want %q", err, want)
	}
}
