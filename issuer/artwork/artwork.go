// Package artwork draws badge artwork for badges that have no image of
// their own: a medallion (rosette, hexagon or shield) on two ribbon tails,
// with the badge's initials in the middle.
//
// The design is a pure function of the badge slug: the slug's SHA-256 picks
// the palette and the shape, so a badge keeps its look across restarts and
// machines. SVG and PNG are drawn from the same list of shapes; the SVG sets
// the initials as text, the PNG rasterises them in Go Bold (or a star when
// the font has no glyph for one). The PNG and the share cards are drawn with
// golang.org/x/image (vector, sfnt and the Go fonts, draw for scaling); no
// other package imports it.
package artwork

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// DefaultSize is the PNG edge length, in pixels, used when PNG is given 0.
const DefaultSize = 256

// MaxSize is the largest PNG edge length PNG accepts.
const MaxSize = 2048

// canvas is the edge length of the design's coordinate system (the SVG
// viewBox); PNG scales it to the requested size.
const canvas = 256

// The centre of the medallion, in canvas units.
const centreX, centreY = 128, 112

// centre returns the centre of the medallion.
func centre() pt { return pt{centreX, centreY} }

// pt is a point in canvas units.
type pt struct{ x, y float64 }

func (p pt) add(q pt) pt                   { return pt{p.x + q.x, p.y + q.y} }
func (p pt) sub(q pt) pt                   { return pt{p.x - q.x, p.y - q.y} }
func (p pt) mul(k float64) pt              { return pt{p.x * k, p.y * k} }
func (p pt) scaleAbout(c pt, k float64) pt { return c.add(p.sub(c).mul(k)) }

// rgb is an opaque colour.
type rgb struct{ r, g, b uint8 }

func (c rgb) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// seg is one command of a closed outline: a move, a line or a quadratic
// Bézier curve (ctrl is its control point).
type seg struct {
	op   byte // 'M', 'L' or 'Q'
	to   pt
	ctrl pt
}

// outline is a closed path made of segs.
type outline []seg

// element kinds.
const (
	kindPath   = iota // filled outline
	kindCircle        // filled circle
	kindRing          // stroked circle
)

// element is one shape of the design, drawn in order.
type element struct {
	kind   int
	fill   rgb
	path   outline // kindPath
	c      pt      // kindCircle, kindRing
	r      float64 // kindCircle, kindRing
	stroke float64 // kindRing: line width
}

// palette is the set of colours of one badge.
type palette struct {
	edge, body, face, ink, ribbon, ribbonDark rgb
}

// design is everything both renderers need.
type design struct {
	pal      palette
	elements []element
	initials string // may be empty: then the design holds a star
}

// shapes a badge can have.
const (
	shapeRosette = iota
	shapeHexagon
	shapeShield
	shapeCount
)

// Option changes a design: Color.
type Option struct {
	hue float64
	ok  bool
}

// Color gives the medallion the hue of c, "#rrggbb" or "#rgb" (a program's
// colour), instead of one the slug picks; the shape and the ribbon still
// come from the slug. Any other c changes nothing.
func Color(c string) Option {
	c = strings.TrimPrefix(c, "#")
	if len(c) == 3 {
		c = string([]byte{c[0], c[0], c[1], c[1], c[2], c[2]})
	}
	v, err := strconv.ParseUint(c, 16, 32)
	if len(c) != 6 || err != nil {
		return Option{}
	}
	r, g, b := float64(v>>16&0xff)/255, float64(v>>8&0xff)/255, float64(v&0xff)/255
	hi, lo := max(r, g, b), min(r, g, b)
	var h float64
	switch d := hi - lo; {
	case d == 0:
		h = 0
	case hi == r:
		h = 60 * math.Mod((g-b)/d+6, 6)
	case hi == g:
		h = 60 * ((b-r)/d + 2)
	default:
		h = 60 * ((r-g)/d + 4)
	}
	return Option{hue: h, ok: true}
}

// newDesign derives the artwork for a slug and name.
func newDesign(slug, name string, opts ...Option) design {
	sum := sha256.Sum256([]byte(slug))
	// Hues are picked from a list rather than the whole circle: yellows,
	// olives and limes look muddy at the lightness the design needs.
	hues := [...]float64{350, 4, 16, 28, 40, 145, 160, 174, 188, 202, 214, 228, 246, 264, 284, 312}
	i := int(sum[0]) % len(hues)
	hue := hues[i]
	ribbonHue := hues[(i+[]int{5, 7, 9, 11}[sum[1]%4])%len(hues)]
	for _, o := range opts {
		if o.ok {
			hue = o.hue
		}
	}
	pal := palette{
		edge:       hsl(hue, sat(hue, 0.62), 0.28),
		body:       hsl(hue, sat(hue, 0.58), 0.45),
		face:       hsl(hue, 0.60, 0.95),
		ink:        hsl(hue, sat(hue, 0.65), 0.26),
		ribbon:     hsl(ribbonHue, sat(ribbonHue, 0.60), 0.47),
		ribbonDark: hsl(ribbonHue, sat(ribbonHue, 0.62), 0.33),
	}
	d := design{pal: pal, initials: initials(name, slug)}
	add := func(e element) { d.elements = append(d.elements, e) }

	for _, side := range []float64{-1, 1} {
		outer, stripe := tail(side)
		add(element{kind: kindPath, fill: pal.ribbon, path: outer})
		add(element{kind: kindPath, fill: pal.ribbonDark, path: stripe})
	}
	var edge, body outline
	switch int(sum[2]) % shapeCount {
	case shapeRosette:
		edge = rosette(20, 92, 104)
		body = circleOutline(centre(), 88)
	case shapeHexagon:
		edge = hexagon(106, 0.16)
		body = scaled(edge, 0.86)
	default:
		edge = shield()
		body = scaled(edge, 0.86)
	}
	add(element{kind: kindPath, fill: pal.edge, path: edge})
	add(element{kind: kindPath, fill: pal.body, path: body})
	add(element{kind: kindCircle, fill: pal.face, c: centre(), r: 62})
	add(element{kind: kindRing, fill: pal.body, c: centre(), r: 55, stroke: 2.5})
	for i := -1; i <= 1; i++ { // three small stars over the initials
		a := float64(i) * 0.42
		c := centre().add(pt{46 * math.Sin(a), -46 * math.Cos(a)})
		add(element{kind: kindPath, fill: pal.ribbon, path: star(c, 5.5)})
	}
	if d.initials == "" {
		add(element{kind: kindPath, fill: pal.ink, path: star(centre().add(pt{0, 6}), 30)})
	}
	return d
}

// initials returns up to two upper-case initials of the name's first words,
// falling back to the slug.
func initials(name, slug string) string {
	for _, s := range []string{name, slug} {
		words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		var b strings.Builder
		for _, w := range words[:min(2, len(words))] {
			b.WriteRune(unicode.ToUpper([]rune(w)[0]))
		}
		if b.Len() > 0 {
			return b.String()
		}
	}
	return ""
}

// tail returns one ribbon tail hanging from behind the medallion, with a V
// notch at its end, and the darker fold along its inner edge. side is -1
// for the left tail and 1 for the right.
func tail(side float64) (outer, fold outline) {
	s := pt{128 + side*26, 150}
	e := pt{128 + side*62, 248}
	const width, notch = 42, 13
	d := e.sub(s).mul(1 / math.Hypot(e.x-s.x, e.y-s.y))
	n := pt{-d.y, d.x}
	half := n.mul(width / 2)
	outer = polygon(s.add(half), e.add(half), e.sub(d.mul(notch)), e.sub(half), s.sub(half))
	// The fold: the half of the tail nearer the middle, drawn darker.
	inner := half
	if side*n.x > 0 { // make inner point towards the centre line
		inner = half.mul(-1)
	}
	fold = polygon(s, e.sub(d.mul(notch)), e.add(inner), s.add(inner))
	return outer, fold
}

// polygon returns the closed outline through pts.
func polygon(pts ...pt) outline {
	o := make(outline, 0, len(pts))
	for i, p := range pts {
		op := byte('L')
		if i == 0 {
			op = 'M'
		}
		o = append(o, seg{op: op, to: p})
	}
	return o
}

// circleOutline approximates a circle with eight quadratic arcs.
func circleOutline(c pt, r float64) outline {
	const n = 8
	half := math.Pi / n
	o := outline{{op: 'M', to: c.add(pt{0, -r})}}
	for i := 1; i <= n; i++ {
		a0, a1 := float64(i-1)*2*half, float64(i)*2*half
		ctrl := r / math.Cos(half)
		o = append(o, seg{op: 'Q',
			ctrl: c.add(pt{ctrl * math.Sin(a0+half), -ctrl * math.Cos(a0+half)}),
			to:   c.add(pt{r * math.Sin(a1), -r * math.Cos(a1)})})
	}
	return o
}

// rosette returns a scalloped disc: n round bumps between radius rIn and rOut.
func rosette(n int, rIn, rOut float64) outline {
	step := 2 * math.Pi / float64(n)
	at := func(a, r float64) pt { return centre().add(pt{r * math.Sin(a), -r * math.Cos(a)}) }
	// A quadratic curve's midpoint lies halfway between its control point
	// and its chord's midpoint; choose the control so the bump peaks at rOut.
	rc := 2*rOut - rIn*math.Cos(step/2)
	o := outline{{op: 'M', to: at(0, rIn)}}
	for i := 0; i < n; i++ {
		a := float64(i) * step
		o = append(o, seg{op: 'Q', ctrl: at(a+step/2, rc), to: at(a+step, rIn)})
	}
	return o
}

// hexagon returns a pointy-top regular hexagon with circumradius r and
// rounded corners; round is the share of each side given to the corners.
func hexagon(r, round float64) outline {
	var v [6]pt
	for i := range v {
		a := float64(i) * math.Pi / 3
		v[i] = centre().add(pt{r * math.Sin(a), -r * math.Cos(a)})
	}
	var o outline
	for i := range v {
		prev, cur, next := v[(i+5)%6], v[i], v[(i+1)%6]
		a := cur.add(prev.sub(cur).mul(round))
		b := cur.add(next.sub(cur).mul(round))
		op := byte('L')
		if i == 0 {
			op = 'M'
		}
		o = append(o, seg{op: op, to: a}, seg{op: 'Q', ctrl: cur, to: b})
	}
	return o
}

// shield returns a heater shield around the centre.
func shield() outline {
	return outline{
		{op: 'M', to: pt{40, 34}},
		{op: 'Q', ctrl: pt{40, 18}, to: pt{56, 18}},
		{op: 'L', to: pt{200, 18}},
		{op: 'Q', ctrl: pt{216, 18}, to: pt{216, 34}},
		{op: 'L', to: pt{216, 108}},
		{op: 'Q', ctrl: pt{216, 184}, to: pt{128, 222}},
		{op: 'Q', ctrl: pt{40, 184}, to: pt{40, 108}},
	}
}

// scaled returns o scaled by k about the centre.
func scaled(o outline, k float64) outline {
	out := make(outline, len(o))
	for i, s := range o {
		out[i] = seg{op: s.op, to: s.to.scaleAbout(centre(), k), ctrl: s.ctrl.scaleAbout(centre(), k)}
	}
	return out
}

// star returns a five-pointed star with outer radius r.
func star(c pt, r float64) outline {
	pts := make([]pt, 10)
	for i := range pts {
		rr := r
		if i%2 == 1 {
			rr = r * 0.42
		}
		a := float64(i) * math.Pi / 5
		pts[i] = c.add(pt{rr * math.Sin(a), -rr * math.Cos(a)})
	}
	return polygon(pts...)
}

// sat returns s, raised for the warm hues, which look brown when dull.
func sat(hue, s float64) float64 {
	if hue >= 15 && hue <= 50 {
		return min(1, s+0.2)
	}
	return s
}

// hsl converts hue (degrees), saturation and lightness (0..1) to RGB.
func hsl(h, s, l float64) rgb {
	c := (1 - math.Abs(2*l-1)) * s
	hp := h / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch {
	case hp < 1:
		r, g = c, x
	case hp < 2:
		r, g = x, c
	case hp < 3:
		g, b = c, x
	case hp < 4:
		g, b = x, c
	case hp < 5:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	to8 := func(v float64) uint8 { return uint8(math.Round((v + m) * 255)) }
	return rgb{to8(r), to8(g), to8(b)}
}

// num formats a coordinate with at most two decimals.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// pathData renders an outline as SVG path data.
func (o outline) pathData() string {
	var b strings.Builder
	for _, s := range o {
		b.WriteByte(s.op)
		if s.op == 'Q' {
			b.WriteString(num(s.ctrl.x) + " " + num(s.ctrl.y) + " ")
		}
		b.WriteString(num(s.to.x) + " " + num(s.to.y))
	}
	b.WriteByte('Z')
	return b.String()
}

// SVG returns the badge artwork as a standalone SVG document, 256 units
// square, with the name as its accessible title and the initials as text.
// The same slug always gives the same colours and shape.
func SVG(slug, name string, opts ...Option) []byte {
	d := newDesign(slug, name, opts...)
	var b bytes.Buffer
	title := escape(name)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`+"\n",
		canvas, canvas, canvas, canvas, title)
	fmt.Fprintf(&b, "<title>%s</title>\n", title)
	for _, e := range d.elements {
		switch e.kind {
		case kindPath:
			fmt.Fprintf(&b, `<path d="%s" fill="%s"/>`+"\n", e.path.pathData(), e.fill.hex())
		case kindCircle:
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="%s" fill="%s"/>`+"\n", num(e.c.x), num(e.c.y), num(e.r), e.fill.hex())
		case kindRing:
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="%s" fill="none" stroke="%s" stroke-width="%s"/>`+"\n",
				num(e.c.x), num(e.c.y), num(e.r), e.fill.hex(), num(e.stroke))
		}
	}
	if d.initials != "" {
		size := 50.0
		if len([]rune(d.initials)) > 1 {
			size = 42
		}
		// Cap height is about 0.72 em: put the baseline so the capitals
		// sit centred on the medallion.
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="%s" font-weight="700" fill="%s">%s</text>`+"\n",
			num(centre().x), num(centre().y+6+size*0.36), num(size), d.pal.ink.hex(), escape(d.initials))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// escape XML-escapes s for text and attribute values; characters XML cannot
// carry become U+FFFD.
func escape(s string) string {
	var b strings.Builder
	// xml.EscapeText only fails when the writer does; strings.Builder never does.
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
