// Package bugzilla receives webhooks in the bugzilla.mozilla.org (BMO)
// format, turns stored deliveries into contribution events and reads the
// Bugzilla REST API for backfill.
//
// BMO sends each webhook as a JSON POST carrying the owner's chosen "API key
// header" with its value, which is the only authentication it offers; any
// 2xx is success, and anything else puts the message, and every later one
// for that webhook, in a retry queue. The handler therefore answers fast:
// check the header, read a bounded body, check the shape, store, 200.
package bugzilla

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/internal/reqbody"
)

// MaxBodyBytes is the largest delivery accepted. BMO payloads are a few
// kilobytes (a comment body is at most 64 KiB); 10 MiB is generous.
const MaxBodyBytes = 10 << 20

// Sink stores a raw delivery durably. A nil error means the delivery is
// durable; duplicate reports that a delivery with the same ID was stored
// before (and nothing was written). d.Body is the handler's buffer, reused
// once Accept returns: a sink that keeps the body must copy it.
type Sink interface {
	Accept(ctx context.Context, d bot.WebhookDelivery) (duplicate bool, err error)
}

// Handler is the http.Handler for POST /webhooks/bugzilla.
//
// Every success is a 200 (older BMO releases count nothing else as one):
// {"status": "accepted"} once the sink has stored the delivery, "duplicate",
// or "ignored" for an event badgebot does not use (not stored). Refusals
// carry {"error": reason}: 400 a body that is not JSON or lacks event.time,
// event.routing_key (or event.action) or bug.id; 401 the secret header is
// missing or wrong (checked before the body is read); 405 not POST; 413 a
// body over MaxBodyBytes; 503 the sink failed (BMO queues the message and
// retries it, holding back the later ones).
type Handler struct {
	header string
	digest [sha256.Size]byte // of the secret: compared in constant time, length hidden
	bodies *reqbody.Budget
	sink   Sink
	log    *slog.Logger
	now    func() time.Time
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler that requires secretHeader to carry secret
// (BMO's "API Key Header" and "API Key Value" of the webhook) and hands
// deliveries to sink. An empty secret is refused: Bugzilla webhooks stay off.
func NewHandler(secretHeader string, secret []byte, sink Sink, log *slog.Logger) (*Handler, error) {
	if len(secret) == 0 {
		return nil, errors.New("bugzilla: webhook secret is empty; set [bugzilla] secret or leave Bugzilla webhooks off")
	}
	if secretHeader == "" || strings.ContainsAny(secretHeader, " \t\r\n:") {
		return nil, fmt.Errorf("bugzilla: secret_header %q: want an HTTP header name such as X-Badgebot-Token", secretHeader)
	}
	if sink == nil {
		return nil, errors.New("bugzilla: webhook sink is nil")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{
		header: textproto.CanonicalMIMEHeaderKey(secretHeader),
		digest: sha256.Sum256(secret),
		bodies: reqbody.Shared(),
		sink:   sink, log: log, now: time.Now,
	}, nil
}

var (
	replyAccepted  = []byte(`{"status":"accepted"}` + "\n")
	replyDuplicate = []byte(`{"status":"duplicate"}` + "\n")
	replyIgnored   = []byte(`{"status":"ignored"}` + "\n")
)

// envelope is what the handler reads of a body: enough to check its shape,
// derive a delivery ID and decide whether badgebot uses it.
type envelope struct {
	Event *struct {
		Action     string   `json:"action"`
		Target     string   `json:"target"`
		RoutingKey string   `json:"routing_key"`
		Time       string   `json:"time"`
		User       user     `json:"user"`
		Changes    []change `json:"changes"`
	} `json:"event"`
	Bug *struct {
		ID      int64 `json:"id"`
		Comment *struct {
			ID int64 `json:"id"`
		} `json:"comment"`
		Attachment *struct {
			ID int64 `json:"id"`
		} `json:"attachment"`
	} `json:"bug"`
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed: send POST")
		return
	}
	// Authenticate before reading a byte of the body.
	got := sha256.Sum256([]byte(r.Header.Get(h.header)))
	if subtle.ConstantTimeCompare(got[:], h.digest[:]) != 1 {
		h.fail(w, r, http.StatusUnauthorized, "missing or wrong "+h.header+" header")
		return
	}
	buf, status, reason := h.bodies.Read(w, r, MaxBodyBytes)
	if status != 0 {
		h.fail(w, r, status, reason)
		return
	}
	defer h.bodies.Release(buf)
	body, status, reason := h.bodies.Join(w, r, buf) // the secret was checked
	if status != 0 {
		h.fail(w, r, status, reason)
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		h.fail(w, r, http.StatusBadRequest, "body is not a Bugzilla webhook: "+jsonReason(err))
		return
	}
	id, rk, reason := deliveryID(&env)
	if reason != "" {
		h.fail(w, r, http.StatusBadRequest, "body is not a Bugzilla webhook: "+reason)
		return
	}
	if !used(rk) {
		write(w, http.StatusOK, replyIgnored)
		return
	}
	d := bot.WebhookDelivery{Source: bot.PlatformBugzilla, ID: id, Type: rk, Body: body, ReceivedAt: h.now().UTC()}
	dup, err := h.sink.Accept(r.Context(), d)
	if err != nil {
		h.log.ErrorContext(r.Context(), "bugzilla webhook: storing delivery failed",
			slog.String("delivery", id), slog.String("routing_key", rk), slog.Any("err", err))
		reply(w, http.StatusServiceUnavailable, "could not store the delivery; retry later")
		return
	}
	if dup {
		write(w, http.StatusOK, replyDuplicate)
		return
	}
	write(w, http.StatusOK, replyAccepted)
}

// deliveryID derives a stable ID for a delivery, since BMO sends none: the
// same happening delivered twice (a retry, or two webhooks watching the same
// bug) gets the same ID. It also returns the routing key, or why the body
// lacks what the ID needs.
func deliveryID(env *envelope) (id, routingKey, reason string) {
	switch {
	case env.Event == nil:
		return "", "", "no event object"
	case env.Bug == nil:
		return "", "", "no bug object"
	case env.Bug.ID <= 0:
		return "", "", "no bug.id"
	case env.Event.Time == "":
		return "", "", "no event.time"
	}
	e := event{Action: env.Event.Action, Target: env.Event.Target, RoutingKey: env.Event.RoutingKey, Changes: env.Event.Changes}
	rk := e.routingKey()
	if rk == "" {
		return "", "", "no event.routing_key"
	}
	var comment, attachment int64
	if c := env.Bug.Comment; c != nil {
		comment = c.ID
	}
	if a := env.Bug.Attachment; a != nil {
		attachment = a.ID
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{
		strconv.FormatInt(env.Bug.ID, 10), env.Event.Time, rk,
		strconv.FormatInt(env.Event.User.ID, 10), env.Event.User.Login,
		strconv.FormatInt(comment, 10), strconv.FormatInt(attachment, 10),
	}, "\x00")))
	return "bmo-" + hex.EncodeToString(sum[:16]), rk, ""
}

// used reports whether Normalize or Proof can make anything of a delivery
// with this routing key; the others are acknowledged and dropped.
func used(rk string) bool {
	target, action, fields := splitKey(rk)
	switch target + "." + action {
	case "bug.create", "comment.create":
		return true
	case "bug.modify":
		return hasAny(fields, "status", "bug_status", "resolution")
	case "attachment.modify":
		return hasAny(fields, "flag.review", "flagtypes.name")
	}
	return false
}

func hasAny(fields []string, want ...string) bool {
	for _, f := range fields {
		for _, w := range want {
			if f == w {
				return true
			}
		}
	}
	return false
}

// jsonReason says briefly what is wrong with a body that did not decode.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON (%v, at byte %d)", syn, syn.Offset)
	case errors.As(err, &typ) && typ.Field == "":
		return "the body is a JSON " + typ.Value + ", want an object"
	case errors.As(err, &typ):
		return fmt.Sprintf("%s is a JSON %s", typ.Field, typ.Value)
	}
	return "invalid JSON"
}

// fail logs a refused request (never the secret or the body) and answers it.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, reason string) {
	h.log.WarnContext(r.Context(), "bugzilla webhook: refused",
		slog.Int("status", status), slog.String("reason", reason), slog.String("remote", r.RemoteAddr))
	reply(w, status, reason)
}

func reply(w http.ResponseWriter, status int, reason string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{reason})
	write(w, status, append(b, '\n'))
}

func write(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
