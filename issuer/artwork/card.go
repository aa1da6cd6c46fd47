package artwork

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strings"
	"unicode"
)

// Share cards: the 1200x630 image that link previews (Open Graph, Twitter
// cards) show for an award.
const (
	CardWidth  = 1200
	CardHeight = 630
	// CardArtSize is the edge of the square the badge artwork fills.
	CardArtSize = 420
)

// CardLine is one line of text on a card.
type CardLine struct {
	Text      string
	CapHeight float64 // height of a capital letter, in pixels
	Muted     bool    // drawn in the softer colour
}

// Card renders a share card: the badge artwork art on the left (scaled to
// CardArtSize when it has another size), the lines stacked on the right,
// in the colours of the badge slug's design. Text is set in the built-in
// stroke font, in capitals; letters it has no glyph for are left out, and
// a line too long for the card is cut with "...".
func Card(slug string, art image.Image, lines []CardLine) ([]byte, error) {
	if art == nil {
		return nil, fmt.Errorf("artwork: card needs artwork")
	}
	lines = append([]CardLine(nil), lines...) // sizes are adjusted below
	d := newDesign(slug, "")
	img := image.NewRGBA(image.Rect(0, 0, CardWidth, CardHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0xf6, 0xf7, 0xfb, 0xff}), image.Point{}, draw.Src)
	band := image.Rect(0, 0, 520, CardHeight)
	c := d.pal.face
	draw.Draw(img, band, image.NewUniform(color.RGBA{c.r, c.g, c.b, 0xff}), image.Point{}, draw.Src)
	c = d.pal.body
	draw.Draw(img, image.Rect(0, CardHeight-18, CardWidth, CardHeight), image.NewUniform(color.RGBA{c.r, c.g, c.b, 0xff}), image.Point{}, draw.Src)
	artBox := image.Rect(50, (CardHeight-CardArtSize)/2, 50+CardArtSize, (CardHeight+CardArtSize)/2)
	draw.Draw(img, artBox, scaleTo(art, CardArtSize), image.Point{}, draw.Over)

	var r rasterizer
	ink, muted := rgb{0x1c, 0x23, 0x30}, rgb{0x5b, 0x64, 0x75}
	const left, right = 580.0, CardWidth - 50.0
	for i, l := range lines {
		// A long line is set smaller, down to 60%, before it is cut.
		if w := textWidth(l.Text) * l.CapHeight / 6; w > right-left {
			lines[i].CapHeight = max(l.CapHeight*0.6, l.CapHeight*(right-left)/w)
		}
	}
	total := 0.0
	for _, l := range lines {
		total += l.CapHeight * 1.9
	}
	y := (CardHeight-total)/2 + 10
	for _, l := range lines {
		rings := textRings(l.Text, pt{left, y}, l.CapHeight, right-left)
		col := ink
		if l.Muted {
			col = muted
		}
		if len(rings) > 0 {
			r.fill(img, rings, col)
		}
		y += l.CapHeight * 1.9
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("artwork: encode card: %w", err)
	}
	return buf.Bytes(), nil
}

// scaleTo returns src scaled to size x size (nearest neighbour), or src
// itself when it already has that size.
func scaleTo(src image.Image, size int) image.Image {
	b := src.Bounds()
	if b.Dx() == size && b.Dy() == size {
		return src
	}
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	if b.Empty() {
		return dst
	}
	for y := 0; y < size; y++ {
		sy := b.Min.Y + y*b.Dy()/size
		for x := 0; x < size; x++ {
			dst.Set(x, y, src.At(b.Min.X+x*b.Dx()/size, sy))
		}
	}
	return dst
}

// cardGlyph is the glyph of one card letter: the stroke font's letters
// and digits, and a dot and a hyphen. ok is false for anything else.
func cardGlyph(c rune) (glyph, bool) {
	switch c {
	case '.':
		return glyph{1, [][]pt{{{0.5, 6}}}}, true
	case '-':
		return glyph{2.4, [][]pt{line(0, 3.3, 2.4, 3.3)}}, true
	}
	return glyphFor(foldLatin(unicode.ToUpper(c)))
}

// textWidth is the width of s in font units, as textRings sets it.
func textWidth(s string) float64 {
	const gap, space = 1.3, 2.6
	x := 0.0
	for wi, w := range strings.Fields(s) {
		if wi > 0 {
			x += space - gap
		}
		for _, c := range w {
			if g, ok := cardGlyph(c); ok {
				x += g.width + gap
			}
		}
	}
	return x
}

// textRings lays out s from origin (top left of the cap line) with the
// given cap height, at most maxWidth pixels wide, and returns the outlines
// of its strokes.
func textRings(s string, origin pt, capHeight, maxWidth float64) [][]pt {
	unit := capHeight / 6
	const gap, space = 1.3, 2.6 // font units
	type placed struct {
		g glyph
		x float64
	}
	var out []placed
	x := 0.0
	dots, _ := cardGlyph('.')
	dotsWidth := 3 * (dots.width + gap)
	words := strings.Fields(s)
	cut := false
	for wi, w := range words {
		if wi > 0 && len(out) > 0 {
			x += space - gap
		}
		for _, c := range w {
			g, ok := cardGlyph(c)
			if !ok {
				continue
			}
			if (x+g.width)*unit > maxWidth-dotsWidth*unit {
				cut = true
				break
			}
			out = append(out, placed{g, x})
			x += g.width + gap
		}
		if cut {
			break
		}
	}
	if cut {
		for range 3 {
			out = append(out, placed{dots, x})
			x += dots.width + gap
		}
	}
	half := 0.56 * unit
	var rings [][]pt
	for _, p := range out {
		for _, stroke := range p.g.strokes {
			px := make([]pt, len(stroke))
			for i, q := range stroke {
				px[i] = origin.add(pt{(p.x + q.x) * unit, q.y * unit})
			}
			rings = append(rings, strokeRings(px, half)...)
		}
	}
	return rings
}

// strokeRings returns the outlines of a polyline drawn with round caps
// and joins, half wide on each side.
func strokeRings(px []pt, half float64) [][]pt {
	var rings [][]pt
	for i, p := range px {
		rings = append(rings, circlePoints(p, half, true))
		if i == 0 {
			continue
		}
		q := px[i-1]
		l := math.Hypot(p.x-q.x, p.y-q.y)
		if l == 0 {
			continue
		}
		n := pt{-(p.y - q.y) / l * half, (p.x - q.x) / l * half}
		rings = append(rings, ccw([]pt{q.add(n), p.add(n), p.sub(n), q.sub(n)}))
	}
	return rings
}
