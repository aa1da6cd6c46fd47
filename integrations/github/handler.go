// Package github receives GitHub webhooks, turns stored deliveries into
// contribution events and reads the GitHub REST API for backfill and
// identity proofs.
//
// The webhook path does as little as it can: a bounded read, the HMAC check,
// a few header checks and a JSON syntax check (json.Valid's verdict, several
// times faster), then the raw delivery goes to a durable Sink. Decoding into
// events happens later, off the request path, in Normalize.
package github

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/internal/reqbody"
)

// MaxBodyBytes is the largest delivery accepted: GitHub caps webhook payloads
// at 25 MiB and never sends a larger one.
const MaxBodyBytes = 25 << 20

// Header names GitHub sends with every delivery.
const (
	HeaderEvent     = "X-GitHub-Event"
	HeaderDelivery  = "X-GitHub-Delivery"
	HeaderSignature = "X-Hub-Signature-256"
)

// Event types badgebot stores. Every other type is acknowledged and dropped.
const (
	TypePullRequest       = "pull_request"
	TypePullRequestReview = "pull_request_review"
	TypeIssues            = "issues"
	TypeIssueComment      = "issue_comment"
	typePing              = "ping"
)

// Sink stores a raw delivery durably. A nil error means the delivery is
// durable; duplicate reports that a delivery with the same ID was stored
// before (and nothing was written). d.Body and d.Extract are the handler's
// buffers, reused once Accept returns: a sink that keeps them must copy
// them.
type Sink interface {
	Accept(ctx context.Context, d bot.WebhookDelivery) (duplicate bool, err error)
}

// Handler is the http.Handler for POST /webhooks/github.
//
// It answers 202 {"status":"accepted"} once the sink has stored the
// delivery, and 200 with "duplicate", "pong" (ping) or "ignored" (an event
// type badgebot does not use, not stored). Refusals carry {"error": reason}:
// 400 missing headers or a body that is not JSON; 401 a missing or wrong
// X-Hub-Signature-256 (checked before anything else); 405 not POST; 413 a
// body over MaxBodyBytes; 415 a Content-Type other than application/json or
// application/x-www-form-urlencoded; 503 the sink failed, so GitHub
// redelivers later. Both content types GitHub offers are supported: for a
// form the signature covers the form and the stored body is its payload
// field. A request without Content-Type is read as JSON.
type Handler struct {
	secret []byte
	bodies *reqbody.Budget
	sink   Sink
	log    *slog.Logger
	now    func() time.Time
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler that checks deliveries against secret and
// hands them to sink. An empty secret is refused: unsigned webhooks would let
// anyone award badges.
func NewHandler(secret []byte, sink Sink, log *slog.Logger) (*Handler, error) {
	if len(secret) == 0 {
		return nil, errors.New("github: webhook secret is empty; set [github] webhook_secret")
	}
	if sink == nil {
		return nil, errors.New("github: webhook sink is nil")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{secret: bytes.Clone(secret), bodies: reqbody.Shared(), sink: sink, log: log, now: time.Now}, nil
}

// Pre-encoded replies for the hot path.
var (
	replyAccepted  = []byte(`{"status":"accepted"}` + "\n")
	replyDuplicate = []byte(`{"status":"duplicate"}` + "\n")
	replyPong      = []byte(`{"status":"pong"}` + "\n")
	replyIgnored   = []byte(`{"status":"ignored"}` + "\n")
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, r, http.StatusMethodNotAllowed, "method not allowed: send POST")
		return
	}
	// Refuse unsigned requests, and signatures that cannot be a SHA-256
	// HMAC, before reading a byte of the body.
	sig := r.Header.Get(HeaderSignature)
	if sig == "" {
		h.fail(w, r, http.StatusUnauthorized, "missing "+HeaderSignature+" header")
		return
	}
	if !wellFormed(sig) {
		h.fail(w, r, http.StatusUnauthorized, HeaderSignature+" is not sha256= and 64 hex digits")
		return
	}
	buf, status, reason := h.bodies.Read(w, r, MaxBodyBytes)
	if status != 0 {
		h.fail(w, r, status, reason)
		return
	}
	defer h.bodies.Release(buf)
	if !h.signed(sig, buf) {
		h.fail(w, r, http.StatusUnauthorized, HeaderSignature+" does not match the body")
		return
	}

	event, id := r.Header.Get(HeaderEvent), r.Header.Get(HeaderDelivery)
	if reason := checkHeaders(event, id); reason != "" {
		h.fail(w, r, http.StatusBadRequest, reason)
		return
	}
	switch event {
	case typePing:
		write(w, http.StatusOK, replyPong)
		return
	case TypePullRequest, TypePullRequestReview, TypeIssues, TypeIssueComment:
	default:
		write(w, http.StatusOK, replyIgnored)
		return
	}

	// Signed: only now is the body made one slice (a copy only when it
	// is larger than a chunk).
	body, status, reason := h.bodies.Join(w, r, buf)
	if status != 0 {
		h.fail(w, r, status, reason)
		return
	}
	payload, status, reason := payloadOf(r.Header.Get("Content-Type"), body)
	if status != 0 {
		h.fail(w, r, status, reason)
		return
	}
	// One scan checks the JSON and takes the extract processing reads.
	xb := filterBufs.Get().(*[]byte)
	defer putFilterBuf(xb)
	extract, ok := Extract((*xb)[:0], event, payload)
	switch {
	case ok:
		*xb = extract
	case validJSON(payload):
		extract = nil // JSON but not an object: the normaliser says so
	default:
		h.fail(w, r, http.StatusBadRequest, "body is not valid JSON")
		return
	}

	d := bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: id, Type: event, Body: payload, Extract: extract, ReceivedAt: h.now().UTC()}
	dup, err := h.sink.Accept(r.Context(), d)
	if err != nil {
		h.log.ErrorContext(r.Context(), "github webhook: storing delivery failed",
			slog.String("delivery", id), slog.String("event", event), slog.Any("err", err))
		reply(w, http.StatusServiceUnavailable, "could not store the delivery; redeliver later")
		return
	}
	if dup {
		write(w, http.StatusOK, replyDuplicate)
		return
	}
	write(w, http.StatusAccepted, replyAccepted)
}

// wellFormed reports whether sig can be an X-Hub-Signature-256: sha256=
// and the 64 hex digits of an HMAC-SHA256.
func wellFormed(sig string) bool {
	hexDigits, ok := strings.CutPrefix(sig, "sha256=")
	if !ok || len(hexDigits) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(hexDigits); i++ {
		if c := hexDigits[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// signed reports whether sig, well-formed, is the HMAC-SHA256 of body
// under the secret: the check ValidatePayload makes, run over the chunks
// already read without joining them, and only for sha256.
func (h *Handler) signed(sig string, body *reqbody.Body) bool {
	want, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, h.secret)
	_, _ = body.WriteTo(mac)
	return hmac.Equal(mac.Sum(nil), want)
}

// checkHeaders returns why the event and delivery headers are unusable, or "".
func checkHeaders(event, id string) string {
	switch {
	case event == "":
		return "missing " + HeaderEvent + " header"
	case id == "":
		return "missing " + HeaderDelivery + " header"
	case len(event) > 64 || !printable(event):
		return "malformed " + HeaderEvent + " header"
	case len(id) > 128 || !printable(id):
		return "malformed " + HeaderDelivery + " header"
	}
	return ""
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// payloadOf returns the JSON payload of a signed body: the body itself for
// application/json, the payload form field for a form.
func payloadOf(contentType string, body []byte) ([]byte, int, string) {
	mt := "application/json" // what GitHub sends when the hook is set to JSON
	if contentType != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return nil, http.StatusUnsupportedMediaType, "malformed Content-Type header"
		}
	}
	switch mt {
	case "application/json":
		return body, 0, ""
	case "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, http.StatusBadRequest, "malformed form body"
		}
		return []byte(form.Get("payload")), 0, ""
	default:
		return nil, http.StatusUnsupportedMediaType,
			"unsupported Content-Type " + mt + ": want application/json or application/x-www-form-urlencoded"
	}
}

// fail logs a refused request (never its signature or body) and answers it.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, reason string) {
	h.log.WarnContext(r.Context(), "github webhook: refused",
		slog.Int("status", status), slog.String("reason", reason),
		slog.String("delivery", truncate(r.Header.Get(HeaderDelivery), 128)),
		slog.String("remote", r.RemoteAddr))
	reply(w, status, reason)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// reply writes {"error": reason}.
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
