package issuer

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Hosted awards from memory. GET /awards/{id} is the read people and
// verifiers make most (DESIGN §7 asks 0.7x a bare handler serving a small
// body from memory), so an award read from the Source is kept, and each of
// its two answers (the OB 2.0 assertion, the HTML page) is rendered once
// into its bytes, headers and strong ETag and then served as they are: no
// database read, no template, no verification per request.
//
// What an award shows changes when it is revoked, when its holder's
// identities are linked (the handle), or when its badge is edited. Those
// made through this process's Source are seen at once (ChangeCounter:
// everything kept is dropped); those made by another process (the CLI,
// another replica) within awardFresh, after which one request reads the
// award again while the others are still served what was kept.

// awardFresh is how long a kept award is served without reading it again.
const awardFresh = time.Second

// maxAwardEntries bounds the awards kept: about 20 KB each once both
// answers are rendered.
const maxAwardEntries = 1024

// ChangeCounter is implemented by a Source that counts the changes made
// through it that alter what an award's documents show (a revocation, a
// link of identities, a badge edit), each counted once committed.
type ChangeCounter interface {
	Changes() uint64
}

// awardEntry is one award kept in memory with its rendered answers.
type awardEntry struct {
	a          Award // the badge's artwork bytes dropped (withoutImage)
	changes    uint64
	read       time.Time
	refreshing atomic.Bool
	json, html atomic.Pointer[cachedResponse]
}

// cachedResponse is a complete answer: status, headers, body. Its header
// maps are shared by every request that sends it: their values are
// assigned to a response's headers, never changed.
type cachedResponse struct {
	status int
	header http.Header
	short  http.Header // the 304's: ETag, Cache-Control, Vary
	body   []byte
	etag   string
	gzip   *cachedResponse // the same gzipped, for clients that take it; nil: none
}

// newCachedResponse makes an answer with its strong ETag; extra are more
// header names and values, in pairs.
func newCachedResponse(status int, ctype, cache string, body []byte, extra ...string) *cachedResponse {
	etag := etagOf(body)
	hd := http.Header{
		"Content-Type":           {ctype},
		"Cache-Control":          {cache},
		"Etag":                   {etag},
		"X-Content-Type-Options": {"nosniff"},
		"Content-Length":         {strconv.Itoa(len(body))},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		hd[http.CanonicalHeaderKey(extra[i])] = []string{extra[i+1]}
	}
	short := http.Header{"Etag": hd["Etag"], "Cache-Control": hd["Cache-Control"]}
	if v, ok := hd["Vary"]; ok {
		short["Vary"] = v
	}
	return &cachedResponse{status: status, header: hd, short: short, body: body, etag: etag}
}

// withGzip adds the gzipped form of a page (a fifth of its bytes, most
// of them the inlined style sheet), which browsers always accept: each
// form has its own strong ETag, and both say they vary by encoding.
func (c *cachedResponse) withGzip() *cachedResponse {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write(c.body) // a bytes.Buffer does not fail
	_ = zw.Close()
	vary := []string{"Accept, Accept-Encoding"}
	z := &cachedResponse{status: c.status, header: http.Header{}, body: b.Bytes(), etag: etagOf(b.Bytes())}
	for k, v := range c.header {
		z.header[k] = v
	}
	c.header["Vary"], c.short["Vary"] = vary, vary
	z.header["Vary"], z.header["Content-Encoding"] = vary, []string{"gzip"}
	z.header["Etag"], z.header["Content-Length"] = []string{z.etag}, []string{strconv.Itoa(len(z.body))}
	z.short = http.Header{"Etag": z.header["Etag"], "Cache-Control": z.header["Cache-Control"], "Vary": vary}
	c.gzip = z
	return c
}

// acceptsGzip reports whether Accept-Encoding takes gzip ("gzip" or "*"
// without q=0).
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header["Accept-Encoding"] {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(part, ";")
			if name = strings.TrimSpace(name); name == "gzip" || name == "*" {
				return acceptQ(params) > 0
			}
		}
	}
	return false
}

// serve sends the answer, or 304 to an If-None-Match naming a 200's ETag.
func (c *cachedResponse) serve(w http.ResponseWriter, r *http.Request) {
	if c.gzip != nil && acceptsGzip(r) {
		c = c.gzip
	}
	hd := w.Header()
	if c.status == http.StatusOK && len(r.Header["If-None-Match"]) > 0 && notModified(r, c.etag) {
		for k, v := range c.short {
			hd[k] = v
		}
		w.WriteHeader(http.StatusNotModified)
		return
	}
	for k, v := range c.header {
		hd[k] = v
	}
	w.WriteHeader(c.status)
	_, _ = w.Write(c.body) // a client that went away is not our error
}

// keptAward returns the award named id, from memory when it was read
// since the last change and within awardFresh.
func (h *Handler) keptAward(ctx context.Context, id string) (*awardEntry, error) {
	var changes uint64
	if h.changes != nil {
		changes = h.changes.Changes()
	}
	e, ok := h.awards.Lookup(id)
	now := h.is.now()
	if ok && e.changes == changes {
		if now.Sub(e.read) < awardFresh || !e.refreshing.CompareAndSwap(false, true) {
			return e, nil
		}
		// This request reads it again; the others are served e meanwhile.
		defer e.refreshing.Store(false)
	}
	a, err := h.src.Award(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			h.awards.Remove(id)
		}
		return nil, err
	}
	ne := &awardEntry{a: withoutImage(a), changes: changes, read: now}
	if ok && e.changes == changes && reflect.DeepEqual(e.a, ne.a) {
		// Read again, unchanged: what was rendered still holds (a page
		// costs a millisecond to render and gzip).
		ne.json.Store(e.json.Load())
		ne.html.Store(e.html.Load())
	}
	h.awards.Store(id, ne)
	return ne, nil
}

// imageMark stands for a badge's own artwork in a kept award: the pages
// and documents of an award ask only whether there is one, and what type.
var imageMark = []byte{0}

// withoutImage drops the badge artwork's bytes (up to megabytes, a copy
// per award read) from a, keeping that it has some.
func withoutImage(a Award) Award {
	if len(a.Badge.Image) > 0 {
		a.Badge.Image = imageMark
	}
	return a
}

// awardJSON is the award's OB 2.0 assertion answer: 200, or 410 once it
// is revoked (the assertion then says revoked: true, DESIGN §5).
func (h *Handler) awardJSON(e *awardEntry) *cachedResponse {
	if c := e.json.Load(); c != nil {
		return c
	}
	status := http.StatusOK
	if e.a.Revoked {
		status = http.StatusGone
	}
	c := newCachedResponse(status, mediaJSONLD, cacheRevocable, h.is.AssertionOB2(e.a), "Vary", "Accept")
	e.json.Store(c)
	return c
}

// awardHTML is the award's page: 200 with its verified status, or 410
// with the revocation's date and reason.
func (h *Handler) awardHTML(ctx context.Context, e *awardEntry) (*cachedResponse, error) {
	if c := e.html.Load(); c != nil {
		return c, nil
	}
	v := h.pages.awardPage(e.a)
	var err error
	if v.Status, err = h.awardStatus(ctx, e.a); err != nil {
		return nil, err
	}
	body, err := h.pages.render("award.html", v)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if e.a.Revoked {
		status = http.StatusGone
	}
	c := newCachedResponse(status, mediaHTML, cacheRevocable, body, "Vary", "Accept",
		"Content-Security-Policy", pagePolicy, "Referrer-Policy", "strict-origin-when-cross-origin").withGzip()
	e.html.Store(c)
	return c, nil
}
