package artwork

import (
	"fmt"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// typeface is a parsed font. Outlines and advances are read at one pixel
// per font unit, so every measure is exact before it is scaled.
type typeface struct {
	f         *sfnt.Font
	upem      float64 // font units per em
	ppem      fixed.Int26_6
	capHeight float64 // the height of a capital letter, in em
}

// The Go fonts, parsed on first use. sfnt.Font is safe for concurrent use
// (each caller brings its own sfnt.Buffer).
var (
	boldFace    = sync.OnceValues(func() (*typeface, error) { return parseTypeface(gobold.TTF) })
	regularFace = sync.OnceValues(func() (*typeface, error) { return parseTypeface(goregular.TTF) })
)

func parseTypeface(ttf []byte) (*typeface, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("artwork: parse font: %w", err)
	}
	upem := f.UnitsPerEm()
	ppem := fixed.I(int(upem))
	var b sfnt.Buffer
	m, err := f.Metrics(&b, ppem, font.HintingNone)
	if err != nil || m.CapHeight <= 0 {
		return nil, fmt.Errorf("artwork: font metrics: cap height %v: %v", m.CapHeight, err)
	}
	return &typeface{f: f, upem: float64(upem), ppem: ppem, capHeight: float64(m.CapHeight) / 64 / float64(upem)}, nil
}

// placed is a glyph on a line, for rune r: x is where its pen position
// lies and adv its advance, both in em.
type placed struct {
	r      rune
	idx    sfnt.GlyphIndex
	x, adv float64
}

// textLine is a string laid out on one line.
type textLine struct {
	glyphs  []placed
	width   float64 // in em
	missing int     // runes the font has no glyph for, left out
}

// layout sets s on one line with the font's advances and kerning; runes
// the font lacks are left out and counted.
func (tf *typeface) layout(s string) (textLine, error) {
	var b sfnt.Buffer
	var l textLine
	var prev sfnt.GlyphIndex
	x := 0.0
	for _, r := range s {
		idx, err := tf.f.GlyphIndex(&b, r)
		if err != nil {
			return textLine{}, fmt.Errorf("artwork: glyph for %q: %w", r, err)
		}
		if idx == 0 {
			l.missing++
			continue
		}
		if prev != 0 {
			// Fonts without a kerning table answer ErrNotFound: no kerning.
			if kern, err := tf.f.Kern(&b, prev, idx, tf.ppem, font.HintingNone); err == nil {
				x += tf.em(kern)
			}
		}
		adv, err := tf.f.GlyphAdvance(&b, idx, tf.ppem, font.HintingNone)
		if err != nil {
			return textLine{}, fmt.Errorf("artwork: advance of %q: %w", r, err)
		}
		l.glyphs = append(l.glyphs, placed{r: r, idx: idx, x: x, adv: tf.em(adv)})
		x += tf.em(adv)
		prev = idx
	}
	l.width = x
	return l, nil
}

// drawable returns s without the runes tf has no glyph for.
func (tf *typeface) drawable(s string) string {
	var b sfnt.Buffer
	return strings.Map(func(r rune) rune {
		if idx, err := tf.f.GlyphIndex(&b, r); err != nil || idx == 0 {
			return -1
		}
		return r
	}, s)
}

// em converts a length read at tf.ppem to em.
func (tf *typeface) em(v fixed.Int26_6) float64 { return float64(v) / 64 / tf.upem }

// text adds the outlines of glyphs with the baseline's left end at origin
// (in pixels), size pixels to the em.
func (p *painter) text(tf *typeface, glyphs []placed, origin pt, size float64) error {
	var b sfnt.Buffer
	for _, g := range glyphs {
		segs, err := tf.f.LoadGlyph(&b, g.idx, tf.ppem, nil)
		if err != nil {
			return fmt.Errorf("artwork: outline of glyph %d: %w", g.idx, err)
		}
		o := origin.add(pt{g.x * size, 0})
		at := func(q fixed.Point26_6) pt {
			return o.add(pt{tf.em(q.X) * size, tf.em(q.Y) * size})
		}
		for _, s := range segs {
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				p.moveTo(at(s.Args[0]))
			case sfnt.SegmentOpLineTo:
				p.lineTo(at(s.Args[0]))
			case sfnt.SegmentOpQuadTo:
				p.quadTo(at(s.Args[0]), at(s.Args[1]))
			case sfnt.SegmentOpCubeTo:
				p.cubeTo(at(s.Args[0]), at(s.Args[1]), at(s.Args[2]))
			}
		}
		p.close()
	}
	return nil
}
