package issuer

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image/png"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/badgebot/badgebot/issuer/artwork"
	"github.com/badgebot/badgebot/issuer/bake"
)

// Badge images. A badge's own artwork is served as it is under the
// extension of its type. A PNG badge asked for as SVG gets a small SVG
// that embeds the PNG as a data: URI (so badge.svg can be baked for every
// badge); an SVG badge asked for as PNG is 404, as the standard library
// cannot rasterise SVG (ImageURL names image.svg for those badges, and the
// award page links only the formats that exist). Badges without artwork
// get generated artwork in both formats.

// svgImagePolicy keeps scripts in an SVG opened directly from doing
// anything: badge SVGs are uploaded by admins, but are still foreign markup.
const svgImagePolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

// maxArtEntries bounds the generated-artwork cache; a badge whose name
// changed leaves a stale entry behind, so the cache is emptied when full.
const maxArtEntries = 512

// artKey names one piece of generated artwork: the design depends on the
// slug, the initials on the name, the hue on the program's colour.
type artKey struct{ slug, name, color, ext string }

// artEntry is one rendered image with its ETag.
type artEntry struct {
	body []byte
	etag string
}

// artwork returns the generated artwork of a badge as "png" or "svg",
// drawing it on first use.
func (h *Handler) artwork(a Achievement, ext string) (artEntry, error) {
	slug, name := a.Slug, a.Name
	color := h.is.issuerOf(a.Program).program.Color
	return h.art.Get(artKey{slug, name, color, ext}, func() (artEntry, error) {
		var body []byte
		if ext == "svg" {
			body = artwork.SVG(slug, name, artwork.Color(color))
		} else {
			var err error
			if body, err = artwork.PNG(slug, name, 0, artwork.Color(color)); err != nil {
				return artEntry{}, fmt.Errorf("issuer: artwork for %q: %w", slug, err)
			}
		}
		return artEntry{body: body, etag: etagOf(body)}, nil
	})
}

// etagOf is a strong ETag of a body.
func etagOf(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// badgePNG returns the PNG artwork of a badge, or ErrNotFound for a badge
// whose own artwork is SVG.
func (h *Handler) badgePNG(a Achievement) (artEntry, error) {
	switch {
	case len(a.Image) == 0:
		return h.artwork(a, "png")
	case a.ImageType == mediaPNG:
		return artEntry{body: a.Image, etag: etagOf(a.Image)}, nil
	}
	return artEntry{}, fmt.Errorf("issuer: badge %q has SVG artwork, no PNG: %w", a.Slug, ErrNotFound)
}

// badgeSVG returns the SVG artwork of a badge: its own SVG, its own PNG
// wrapped in an SVG, or generated artwork.
func (h *Handler) badgeSVG(a Achievement) (artEntry, error) {
	switch {
	case len(a.Image) == 0:
		return h.artwork(a, "svg")
	case a.ImageType == mediaSVG:
		return artEntry{body: a.Image, etag: etagOf(a.Image)}, nil
	case a.ImageType == mediaPNG:
		body, err := wrapPNG(a.Image, a.Name)
		if err != nil {
			return artEntry{}, fmt.Errorf("issuer: badge %q artwork: %w", a.Slug, err)
		}
		return artEntry{body: body, etag: etagOf(body)}, nil
	}
	return artEntry{}, fmt.Errorf("issuer: badge %q: unknown image type %q", a.Slug, a.ImageType)
}

// wrapPNG returns an SVG document of the PNG's size showing the PNG,
// embedded as a data: URI, titled with the badge name.
func wrapPNG(img []byte, title string) ([]byte, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return nil, fmt.Errorf("reading PNG: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(img)*4/3 + 512)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`+"\n",
		cfg.Width, cfg.Height, cfg.Width, cfg.Height, xmlEscape(title))
	fmt.Fprintf(&b, "<title>%s</title>\n", xmlEscape(title))
	fmt.Fprintf(&b, `<image width="%d" height="%d" xlink:href="data:image/png;base64,`, cfg.Width, cfg.Height)
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	_, _ = enc.Write(img) // a bytes.Buffer does not fail
	_ = enc.Close()
	b.WriteString("\"/>\n</svg>\n")
	return b.Bytes(), nil
}

// xmlEscape escapes text for XML attributes and character data.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&apos;").Replace(s)
}

// serveImage sends an image with its ETag; http.ServeContent answers
// If-None-Match with 304 and serves ranges.
func serveImage(w http.ResponseWriter, r *http.Request, ctype string, e artEntry) {
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Cache-Control", cacheDocument)
	hd.Set("ETag", e.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	if ctype == mediaSVG {
		hd.Set("Content-Security-Policy", svgImagePolicy)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(e.body))
}

// BadgeImageSVG serves GET /badges/{slug}/image.svg.
func (h *Handler) BadgeImageSVG(w http.ResponseWriter, r *http.Request) {
	a, err := h.achievement(r)
	var e artEntry
	if err == nil {
		e, err = h.badgeSVG(a)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	serveImage(w, r, mediaSVG, e)
}

// BadgeImagePNG serves GET /badges/{slug}/image.png (404 for a badge whose
// own artwork is SVG).
func (h *Handler) BadgeImagePNG(w http.ResponseWriter, r *http.Request) {
	a, err := h.achievement(r)
	var e artEntry
	if err == nil {
		e, err = h.badgePNG(a)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	serveImage(w, r, mediaPNG, e)
}

// BakedPNG serves GET /awards/{id}/badge.png: the badge's PNG artwork
// baked with the OB 3.0 credential (iTXt "openbadgecredential"), or with
// the OB 2.0 assertion (iTXt "openbadges") for ?format=ob2.
func (h *Handler) BakedPNG(w http.ResponseWriter, r *http.Request) {
	h.baked(w, r, "png")
}

// BakedSVG serves GET /awards/{id}/badge.svg: the badge's SVG artwork
// baked with the OB 3.0 credential (<openbadges:credential>), or with the
// OB 2.0 assertion (<openbadges:assertion>) for ?format=ob2.
func (h *Handler) BakedSVG(w http.ResponseWriter, r *http.Request) {
	h.baked(w, r, "svg")
}

func (h *Handler) baked(w http.ResponseWriter, r *http.Request, ext string) {
	version := bake.VersionOB3
	if r.URL.RawQuery != "" {
		switch f := r.URL.Query().Get("format"); f {
		case "", formatOB3:
		case formatOB2:
			version = bake.VersionOB2
		default:
			h.writeError(w, r, http.StatusBadRequest, "unknown format "+fmt.Sprintf("%q", f)+"; use ob3 or ob2")
			return
		}
	}
	a, err := h.award(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if version == bake.VersionOB3 && len(a.Credential) == 0 {
		h.fail(w, r, fmt.Errorf("issuer: award %q has no credential: %w", a.ID, ErrNotFound))
		return
	}
	var art artEntry
	ctype := mediaPNG
	if ext == "png" {
		art, err = h.badgePNG(a.Badge)
	} else {
		art, err = h.badgeSVG(a.Badge)
		ctype = mediaSVG
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("issuer: baking award %q: %w", a.ID, err))
		return
	}
	// A baked image changes only with the badge's artwork, or, for the
	// OB 2.0 assertion, when the award is revoked: bake it once per state.
	key := docKey{a.ID, fmt.Sprintf("badge.%s %s %s %t", ext, version, art.etag, a.Revoked && version == bake.VersionOB2)}
	e, err := h.docs.Get(key, func() (artEntry, error) {
		text := string(a.Credential)
		if version == bake.VersionOB2 {
			text = string(h.is.AssertionOB2(a))
		}
		var body []byte
		var err error
		if ext == "png" {
			body, err = bake.PNG(art.body, pngKeyword(version), text)
		} else {
			body, err = bake.SVG(art.body, version, text)
		}
		if err != nil {
			return artEntry{}, fmt.Errorf("issuer: baking award %q: %w", a.ID, err)
		}
		return artEntry{body: body, etag: etagOf(body)}, nil
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := a.Badge.Slug + "-" + a.ID
	if version == bake.VersionOB2 {
		name += "-ob2"
	}
	hd := w.Header()
	if cd := mime.FormatMediaType("inline", map[string]string{"filename": name + "." + ext}); cd != "" {
		hd.Set("Content-Disposition", cd)
	}
	if version == bake.VersionOB3 {
		// The credential never changes; revocation is in the status list.
		serveImmutable(w, r, ctype, e)
		return
	}
	// The OB 2.0 assertion says whether the award is revoked: revalidate.
	hd.Set("ETag", e.etag)
	if notModified(r, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if ctype == mediaSVG {
		hd.Set("Content-Security-Policy", svgImagePolicy)
	}
	writeBody(w, http.StatusOK, ctype, cacheRevocable, e.body)
}

// pngKeyword is the iTXt keyword of a baking version.
func pngKeyword(version string) string {
	if version == bake.VersionOB2 {
		return bake.KeywordOB2
	}
	return bake.KeywordOB3
}
