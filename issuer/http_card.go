package issuer

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strings"

	"github.com/badgebot/badgebot/issuer/artwork"
)

// maxCardEntries bounds the share cards kept in memory (about 40 kB each).
const maxCardEntries = 1024

// cardKey names one share card: it shows the badge's artwork and name,
// the holder and the issuer, all fixed once the award is issued, except
// that an admin may edit the badge.
type cardKey struct {
	id, slug, name, holder string
	image                  string // ETag of the badge's own artwork, "" for generated
}

// Card serves GET /awards/{id}/card.png: the 1200x630 share card named by
// the award page's Open Graph and Twitter tags, rendered once and kept.
func (h *Handler) Card(w http.ResponseWriter, r *http.Request) {
	a, err := h.award(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	key := cardKey{id: a.ID, slug: a.Badge.Slug, name: a.Badge.Name, holder: a.Holder}
	if len(a.Badge.Image) > 0 {
		key.image = etagOf(a.Badge.Image)
	}
	e, err := h.cards.Get(key, func() (artEntry, error) { return h.renderCard(a) })
	if err != nil {
		h.fail(w, r, err)
		return
	}
	serveImmutable(w, r, mediaPNG, e)
}

// renderCard draws the share card of an award.
func (h *Handler) renderCard(a Award) (artEntry, error) {
	var art image.Image
	if len(a.Badge.Image) > 0 && a.Badge.ImageType == mediaPNG {
		if img, err := png.Decode(bytes.NewReader(a.Badge.Image)); err == nil {
			art = img
		}
	}
	if art == nil { // generated artwork, or an SVG the standard library cannot draw
		b, err := artwork.PNG(a.Badge.Slug, a.Badge.Name, artwork.CardArtSize, artwork.Color(h.is.issuerOf(a.Badge.Program).program.Color))
		if err != nil {
			return artEntry{}, fmt.Errorf("issuer: card of award %q: %w", a.ID, err)
		}
		if art, err = png.Decode(bytes.NewReader(b)); err != nil {
			return artEntry{}, fmt.Errorf("issuer: card of award %q: %w", a.ID, err)
		}
	}
	lines := []artwork.CardLine{{Text: a.Badge.Name, CapHeight: 44}}
	if holder := hideEmails(a.Holder); holder != "" {
		lines = append(lines, artwork.CardLine{Text: "awarded to " + strings.ReplaceAll(holder, "@…", ""), CapHeight: 30})
	}
	lines = append(lines, artwork.CardLine{Text: "by " + h.is.issuerOf(a.Program).p.Name, CapHeight: 24, Muted: true})
	body, err := artwork.Card(a.Badge.Slug, art, lines)
	if err != nil {
		return artEntry{}, fmt.Errorf("issuer: card of award %q: %w", a.ID, err)
	}
	return artEntry{body: body, etag: etagOf(body)}, nil
}

// serveImmutable sends a document that never changes with a strong ETag
// and a year's Cache-Control, answering If-None-Match with 304.
func serveImmutable(w http.ResponseWriter, r *http.Request, ctype string, e artEntry) {
	hd := w.Header()
	hd.Set("ETag", e.etag)
	if notModified(r, e.etag) {
		hd.Set("Cache-Control", cacheSigned)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if ctype == mediaSVG {
		hd.Set("Content-Security-Policy", svgImagePolicy)
	}
	writeBody(w, http.StatusOK, ctype, cacheSigned, e.body)
}

// notModified reports whether If-None-Match names etag (or is "*").
func notModified(r *http.Request, etag string) bool {
	for _, v := range r.Header["If-None-Match"] { // the server canonicalised the key
		for v != "" {
			var tag string
			tag, v, _ = strings.Cut(v, ",")
			tag = strings.TrimSpace(tag)
			if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
				return true
			}
		}
	}
	return false
}
