package issuer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/badgebot/badgebot/issuer/bake"
)

// MaxVerifyInput is the largest input Verify accepts, and the largest
// document it fetches.
const MaxVerifyInput = 8 << 20

// VerifyOptions say where Verify may find the documents its checks need.
type VerifyOptions struct {
	// Docs holds documents by URL (issuer profile, JWKS, status list,
	// hosted OB 2.0 objects). They are used before anything is fetched.
	Docs map[string][]byte
	// Client fetches what Docs lacks. Nil: nothing is fetched, and the
	// checks that need a missing document are reported as skipped.
	Client *http.Client
	// Now is the time dates are checked against; zero means time.Now().
	Now time.Time
	// Recipient, when set, must match the credential's (hashed) identity:
	// an e-mail address or a URL.
	Recipient string
}

// CheckStatus is the outcome of one check.
type CheckStatus string

// Check outcomes.
const (
	CheckOK      CheckStatus = "ok"
	CheckFailed  CheckStatus = "fail"
	CheckSkipped CheckStatus = "skipped" // could not be made; Message says why
)

// Check is one verification step.
type Check struct {
	Name    string      `json:"name"`
	Status  CheckStatus `json:"status"`
	Message string      `json:"message"`
	// NeedsNetwork marks a skipped check that a document it needed (a
	// key, a status list, a hosted copy) could not be read for: with the
	// network it could have been made.
	NeedsNetwork bool `json:"needs_network,omitempty"`
}

// Report is the result of Verify: what the input was and every check.
type Report struct {
	Format  string  `json:"format"`            // "json", "jwt", "png", "svg" or "url"
	Version string  `json:"version"`           // "ob3" or "ob2"
	Issuer  string  `json:"issuer,omitempty"`  // issuer id, when found
	Subject string  `json:"subject,omitempty"` // credential or assertion id, when found
	Checks  []Check `json:"checks"`

	proved bool // a signature or the hosted copy was verified
}

// Valid reports whether nothing that was checked failed and the
// signature (or, for a hosted OB 2.0 assertion, its hosted copy) was
// verified. Skipped checks do not make a report invalid, but a valid
// report with skipped checks is not Complete: say which (Skipped) before
// calling the badge verified.
func (r *Report) Valid() bool {
	if r == nil || !r.proved {
		return false
	}
	for _, c := range r.Checks {
		if c.Status == CheckFailed {
			return false
		}
	}
	return true
}

// Complete reports whether the report is Valid and no check was skipped.
func (r *Report) Complete() bool { return r.Valid() && len(r.Skipped()) == 0 }

// Skipped lists the checks that could not be made.
func (r *Report) Skipped() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == CheckSkipped {
			out = append(out, c)
		}
	}
	return out
}

// Failed lists the failed checks.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == CheckFailed {
			out = append(out, c)
		}
	}
	return out
}

func (r *Report) add(name string, st CheckStatus, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Status: st, Message: fmt.Sprintf(format, args...)})
}
func (r *Report) ok(name, format string, args ...any)   { r.add(name, CheckOK, format, args...) }
func (r *Report) fail(name, format string, args ...any) { r.add(name, CheckFailed, format, args...) }
func (r *Report) skip(name, format string, args ...any) { r.add(name, CheckSkipped, format, args...) }

// skipFetch records a check skipped because a document could not be read.
func (r *Report) skipFetch(name, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Status: CheckSkipped, Message: fmt.Sprintf(format, args...), NeedsNetwork: true})
}

// addCheck records a check made elsewhere under another name.
func (r *Report) addCheck(name string, c Check) {
	c.Name = name
	r.Checks = append(r.Checks, c)
}

// ErrUnusableInput is wrapped by Verify's error when the input is not a
// credential, assertion, VC-JWT or baked image at all.
var ErrUnusableInput = errors.New("issuer: verify: unusable input")

// Verify checks an Open Badge, ours or any other issuer's: an OB 3.0
// credential (JSON with an embedded Data Integrity proof, or a VC-JWT), an
// OB 2.0 assertion, a PNG or SVG with either baked in, or the http(s) URL
// of any of these. It returns an error (wrapping ErrUnusableInput) only
// when the input cannot be read as any of them; everything else is a check
// in the Report. It never panics.
func Verify(ctx context.Context, input []byte, opt VerifyOptions) (*Report, error) {
	return newVerifier(newCanonicalizer(), opt).run(ctx, input)
}

// Verify is the package Verify using the issuer's processed-context cache.
func (is *Issuer) Verify(ctx context.Context, input []byte, opt VerifyOptions) (*Report, error) {
	return newVerifier(is.canon, opt).run(ctx, input)
}

type verifier struct {
	canon *canonicalizer
	opt   VerifyOptions
	now   time.Time
}

func newVerifier(c *canonicalizer, opt VerifyOptions) *verifier {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	return &verifier{canon: c, opt: opt, now: now}
}

func (v *verifier) run(ctx context.Context, input []byte) (rep *Report, err error) {
	defer func() {
		// A bug in a check must not take the process down: report it.
		if p := recover(); p != nil {
			rep, err = nil, fmt.Errorf("%w: internal error while verifying: %v", ErrUnusableInput, p)
		}
	}()
	if len(input) > MaxVerifyInput {
		return nil, fmt.Errorf("%w: %d bytes is more than %d", ErrUnusableInput, len(input), MaxVerifyInput)
	}
	rep = &Report{}
	text, err := v.unwrap(ctx, rep, input, 0)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasPrefix(text, "{"):
		if rep.Format == "" {
			rep.Format = "json"
		}
		var doc map[string]any
		if err := unmarshalBounded([]byte(text), &doc); errors.Is(err, errTooComplex) {
			return nil, fmt.Errorf("%w: %v", ErrUnusableInput, err)
		} else if err != nil {
			return nil, fmt.Errorf("%w: not a JSON object: %v", ErrUnusableInput, err)
		}
		if isOB2(doc) || rep.Version == bake.VersionOB2 {
			rep.Version = "ob2"
			v.verifyOB2(ctx, rep, doc, "")
		} else {
			rep.Version = "ob3"
			v.verifyOB3(ctx, rep, doc, "")
		}
	case isCompactJWS(text):
		if rep.Format == "" {
			rep.Format = "jwt"
		}
		v.verifyJWS(ctx, rep, text)
	default:
		return nil, fmt.Errorf("%w: neither JSON, a compact JWS, a PNG nor an SVG", ErrUnusableInput)
	}
	return rep, nil
}

// unwrap turns the input into the badge text: it extracts baked images and
// dereferences URLs (a hosted OB 2.0 assertion baked as its URL, or a URL
// given to verify), at most twice.
func (v *verifier) unwrap(ctx context.Context, rep *Report, input []byte, depth int) (string, error) {
	input = bytes.TrimPrefix(input, []byte("\xef\xbb\xbf"))
	trimmed := strings.TrimSpace(string(input))
	switch {
	case bytes.HasPrefix(input, []byte("\x89PNG\r\n\x1a\n")) || strings.HasPrefix(trimmed, "<"):
		b, err := bake.Extract(input)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrUnusableInput, err)
		}
		if rep.Format == "" || rep.Format == "url" {
			rep.Format = b.Format
		}
		rep.Version = b.Version
		rep.ok("baking", "%s with an %s badge baked in", strings.ToUpper(b.Format), strings.ToUpper(b.Version))
		if isHTTPURL(b.Text) && depth < 2 {
			return v.unwrapURL(ctx, rep, b.Text, depth)
		}
		return b.Text, nil
	case isHTTPURL(trimmed) && depth < 2:
		if rep.Format == "" {
			rep.Format = "url"
		}
		return v.unwrapURL(ctx, rep, trimmed, depth)
	}
	return trimmed, nil
}

func (v *verifier) unwrapURL(ctx context.Context, rep *Report, u string, depth int) (string, error) {
	body, status, err := v.fetch(ctx, u)
	switch {
	case err != nil:
		return "", fmt.Errorf("%w: fetching %s: %v", ErrUnusableInput, u, err)
	case status == http.StatusGone:
		// A revoked hosted OB 2.0 assertion: its body (if JSON) says why.
		rep.Version = "ob2"
		rep.Subject = u
		rep.fail("revoked", "%s answers 410 Gone: the assertion is revoked", u)
		if b := strings.TrimSpace(string(body)); strings.HasPrefix(b, "{") {
			return b, nil
		}
		return "", fmt.Errorf("%w: %s is gone (revoked)", ErrUnusableInput, u)
	case status != http.StatusOK:
		return "", fmt.Errorf("%w: %s answers HTTP %d", ErrUnusableInput, u, status)
	}
	return v.unwrap(ctx, rep, body, depth+1)
}

// errNoDocument says a document is neither in Docs nor fetchable.
var errNoDocument = errors.New("not supplied and fetching is off")

// fetch returns the document at u from Docs or, when a Client is set,
// from the network.
func (v *verifier) fetch(ctx context.Context, u string) ([]byte, int, error) {
	return v.fetchAccept(ctx, u, "application/ld+json, application/json;q=0.9, */*;q=0.1")
}

// fetchAccept is fetch with the given Accept header.
func (v *verifier) fetchAccept(ctx context.Context, u, accept string) ([]byte, int, error) {
	if b, ok := v.opt.Docs[u]; ok {
		return b, http.StatusOK, nil
	}
	if v.opt.Client == nil || !isHTTPURL(u) {
		return nil, 0, errNoDocument
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", accept)
	resp, err := v.opt.Client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxVerifyInput+1))
	if err != nil {
		return nil, 0, err
	}
	if len(body) > MaxVerifyInput {
		return nil, 0, fmt.Errorf("%s is larger than %d bytes", u, MaxVerifyInput)
	}
	return body, resp.StatusCode, nil
}

// fetchJSON fetches a JSON object; a non-200 answer is an error.
func (v *verifier) fetchJSON(ctx context.Context, u string) (map[string]any, error) {
	body, status, err := v.fetch(ctx, u)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", status)
	}
	var m map[string]any
	if err := unmarshalBounded(body, &m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	return m, nil
}

// isOB2 reports whether a JSON object is an OB 2.0 document.
func isOB2(doc map[string]any) bool {
	for _, c := range asList(doc["@context"]) {
		if s, _ := c.(string); s == ContextOB2 || s == ContextOB2+"/" {
			return true
		}
	}
	return false
}

// isCompactJWS reports whether s is header.payload.signature in base64url.
func isCompactJWS(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// isHTTPURL reports whether s is one absolute http(s) URL and nothing else.
func isHTTPURL(s string) bool {
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f })
}

// str returns m[k] as a string ("" when absent or not a string).
func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// obj returns m[k] as an object (nil when absent or not an object).
func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

// asList returns v as a list: itself when it is one, else a one-element list.
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// idOf returns the id of a value that is either an id string or an object.
func idOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		return str(x, "id")
	}
	return ""
}

// hasType reports whether a JSON-LD object's type includes t.
func hasType(m map[string]any, t string) bool {
	for _, x := range asList(m["type"]) {
		if s, _ := x.(string); s == t {
			return true
		}
	}
	return false
}

// decodeJSONObject decodes a JSON object.
func decodeJSONObject(b []byte, m *map[string]any) error {
	if err := unmarshalBounded(b, m); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	return nil
}
