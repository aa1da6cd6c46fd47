package discord

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// identify is the part of the gateway's IDENTIFY payload the test checks.
type identify struct {
	Token   string `json:"token"`
	Intents int    `json:"intents"`
}

// fakeGateway speaks just enough of the Discord gateway over a hand-made
// WebSocket (RFC 6455, text frames): HELLO, IDENTIFY, READY, then it
// dispatches the interactions it is given as INTERACTION_CREATE.
type fakeGateway struct {
	t            testing.TB
	interactions chan []byte
	identified   chan identify
}

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Sec-WebSocket-Key")
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || key == "" {
		http.Error(w, "not a websocket request", http.StatusBadRequest)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		g.t.Errorf("hijack: %v", err)
		return
	}
	defer conn.Close()
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
	_ = rw.Flush()

	frames := make(chan []byte)
	go func() {
		defer close(frames)
		for {
			op, payload, err := readFrame(rw.Reader)
			if err != nil || op == 8 { // error or close
				return
			}
			if op == 1 {
				frames <- payload
			}
		}
	}()
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := writeFrame(conn, b); err != nil {
			g.t.Logf("gateway write: %v", err)
		}
	}
	send(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}})
	seq := 0
	for {
		select {
		case payload, ok := <-frames:
			if !ok {
				return
			}
			var p struct {
				Op int             `json:"op"`
				D  json.RawMessage `json:"d"`
			}
			if json.Unmarshal(payload, &p) != nil {
				continue
			}
			switch p.Op {
			case 1: // heartbeat
				send(map[string]any{"op": 11})
			case 2:
				var id identify
				_ = json.Unmarshal(p.D, &id)
				g.identified <- id
				seq++
				send(map[string]any{"op": 0, "s": seq, "t": "READY", "d": map[string]any{
					"v": 9, "session_id": "fake-session", "resume_gateway_url": "ws://127.0.0.1:1",
					"user":        map[string]any{"id": testAppID, "username": "badgebot", "bot": true},
					"guilds":      []any{},
					"application": map[string]any{"id": testAppID, "flags": 0},
				}})
			}
		case in := <-g.interactions:
			seq++
			send(map[string]any{"op": 0, "s": seq, "t": "INTERACTION_CREATE", "d": json.RawMessage(in)})
		}
	}
}

func readFrame(r *bufio.Reader) (op byte, payload []byte, err error) {
	var h [2]byte
	if _, err = io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	op = h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if err != nil {
		return 0, nil, err
	}
	if n > 1<<20 {
		return 0, nil, errors.New("frame too large")
	}
	var mask [4]byte
	if h[1]&0x80 != 0 {
		if _, err = io.ReadFull(r, mask[:]); err != nil {
			return 0, nil, err
		}
	}
	payload = make([]byte, n)
	if _, err = io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return op, payload, nil
}

func writeFrame(w net.Conn, payload []byte) error {
	h := []byte{0x81} // FIN, text
	switch n := len(payload); {
	case n < 126:
		h = append(h, byte(n))
	case n < 1<<16:
		h = append(h, 126, byte(n>>8), byte(n))
	default:
		h = binary.BigEndian.AppendUint64(append(h, 127), uint64(n))
	}
	_ = w.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := w.Write(append(h, payload...))
	return err
}

func TestRunWithoutGatewayReturnsAtOnce(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := f.a.Run(ctx); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run waited for the context without a gateway")
	}
}

func TestRunAnswersGatewayInteractions(t *testing.T) {
	f := newFixture(t, withGateway())
	f.router.reply = bot.Reply{Message: bot.Message{Text: "Your badges: none yet."}, Private: true}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.a.Run(ctx) }()

	select {
	case id := <-f.rest.gateway.identified:
		if id.Token != "Bot "+testToken || id.Intents != 0 {
			t.Errorf("IDENTIFY token ok=%t intents=%d, want the bot token and no intents", id.Token == "Bot "+testToken, id.Intents)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no IDENTIFY; log:\n%s", f.logs)
	}
	in := commandInteraction([]any{sub("mine")}, nil)
	raw, _ := json.Marshal(in)
	f.rest.gateway.interactions <- raw

	select {
	case body := <-f.rest.callbacks:
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"type": 4.0, "data": map[string]any{
			"embeds":           []any{map[string]any{"description": "Your badges: none yet."}},
			"components":       []any{},
			"flags":            64.0,
			"allowed_mentions": noMentions,
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("interaction callback (-want +got):\n%s", diff)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no interaction callback; log:\n%s", f.logs)
	}
	if diff := cmp.Diff([]string{"mine"}, f.router.commandTexts()); diff != "" {
		t.Errorf("router commands (-want +got):\n%s", diff)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestValidInteractionToken: a gateway interaction's token goes into a
// URL path, so only tokens of Discord's alphabet, 1 to 500 long, pass.
func TestValidInteractionToken(t *testing.T) {
	for tok, want := range map[string]bool{
		"aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OjE.x_y-z": true,
		strings.Repeat("a", 500):                            true,
		strings.Repeat("a", 501):                            false,
		"":                                                  false,
		"../../webhooks/123":                                false,
		"tok?wait=true":                                     false,
		"tok%2F":                                            false,
		"tok en":                                            false,
		"tök":                                               false,
		"tok\x00":                                           false,
	} {
		if got := validInteractionToken(tok); got != want {
			t.Errorf("validInteractionToken(%.40q) = %t, want %t", tok, got, want)
		}
	}
}
