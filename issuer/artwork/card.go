package artwork

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"

	xdraw "golang.org/x/image/draw"
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
// in the colours of the badge slug's design. Text is set in Go Bold (muted
// lines in Go Regular); letters the font has no glyph for are left out,
// and a line too long for the card is set smaller, then cut with "…".
func Card(slug string, art image.Image, lines []CardLine) ([]byte, error) {
	if art == nil {
		return nil, fmt.Errorf("artwork: card needs artwork")
	}
	d := newDesign(slug, "")
	img := image.NewRGBA(image.Rect(0, 0, CardWidth, CardHeight))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{0xf6, 0xf7, 0xfb, 0xff}), image.Point{}, draw.Src)
	band := image.Rect(0, 0, 520, CardHeight)
	c := d.pal.face
	draw.Draw(img, band, image.NewUniform(color.RGBA{c.r, c.g, c.b, 0xff}), image.Point{}, draw.Src)
	c = d.pal.body
	draw.Draw(img, image.Rect(0, CardHeight-18, CardWidth, CardHeight), image.NewUniform(color.RGBA{c.r, c.g, c.b, 0xff}), image.Point{}, draw.Src)
	artBox := image.Rect(50, (CardHeight-CardArtSize)/2, 50+CardArtSize, (CardHeight+CardArtSize)/2)
	drawArt(img, artBox, art)

	ink, muted := rgb{0x1c, 0x23, 0x30}, rgb{0x5b, 0x64, 0x75}
	const left, right = 580.0, CardWidth - 50.0
	type setLine struct {
		tf        *typeface
		text      textLine
		capHeight float64
		col       rgb
	}
	set := make([]setLine, 0, len(lines))
	total := 0.0
	for _, l := range lines {
		face, col := boldFace, ink
		if l.Muted {
			face, col = regularFace, muted
		}
		tf, err := face()
		if err != nil {
			return nil, err
		}
		// Runes the font lacks are left out, then the spaces tidied.
		text, err := tf.layout(strings.Join(strings.Fields(tf.drawable(l.Text)), " "))
		if err != nil {
			return nil, err
		}
		capHeight := l.CapHeight
		// A long line is set smaller, down to 60%, before it is cut.
		if w := text.width * capHeight / tf.capHeight; w > right-left {
			capHeight = max(capHeight*0.6, capHeight*(right-left)/w)
		}
		if text, err = tf.cut(text, (right-left)*tf.capHeight/capHeight); err != nil {
			return nil, err
		}
		set = append(set, setLine{tf, text, capHeight, col})
		total += capHeight * 1.9
	}
	var p painter
	y := (CardHeight-total)/2 + 10 // the first line's cap line
	for _, l := range set {
		if err := p.text(l.tf, l.text.glyphs, pt{left, y + l.capHeight}, l.capHeight/l.tf.capHeight); err != nil {
			return nil, err
		}
		p.fill(img, l.col)
		y += l.capHeight * 1.9
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("artwork: encode card: %w", err)
	}
	return buf.Bytes(), nil
}

// cut returns l cut to at most width em, after its last whole word that
// fits (or mid-word when the first word does not), ending in an ellipsis
// when glyphs had to go.
func (tf *typeface) cut(l textLine, width float64) (textLine, error) {
	if l.width <= width {
		return l, nil
	}
	dots, err := tf.layout("…")
	if err != nil {
		return textLine{}, err
	}
	if dots.missing > 0 {
		if dots, err = tf.layout("..."); err != nil {
			return textLine{}, err
		}
	}
	n := 0
	for n < len(l.glyphs) && l.glyphs[n].x+l.glyphs[n].adv+dots.width <= width {
		n++
	}
	// Cut between words where the kept part has a space.
	if n < len(l.glyphs) && l.glyphs[n].r != ' ' {
		for i := n - 1; i > 0; i-- {
			if l.glyphs[i].r == ' ' {
				n = i
				break
			}
		}
	}
	for n > 0 && l.glyphs[n-1].r == ' ' { // no space before the ellipsis
		n--
	}
	out := textLine{glyphs: l.glyphs[:n:n], missing: l.missing}
	x := 0.0
	if n > 0 {
		x = l.glyphs[n-1].x + l.glyphs[n-1].adv
	}
	for _, g := range dots.glyphs {
		out.glyphs = append(out.glyphs, placed{r: g.r, idx: g.idx, x: x + g.x, adv: g.adv})
	}
	out.width = x + dots.width
	return out, nil
}

// drawArt draws art into box (a square of CardArtSize) over what is
// there, scaled with Catmull-Rom when it has another size.
func drawArt(dst *image.RGBA, box image.Rectangle, art image.Image) {
	b := art.Bounds()
	if b.Size() == box.Size() {
		draw.Draw(dst, box, art, b.Min, draw.Over)
		return
	}
	xdraw.CatmullRom.Scale(dst, box, art, b, xdraw.Over, nil)
}
