package artwork

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"golang.org/x/image/vector"
)

// PNG renders the artwork for a slug as a size x size PNG with a
// transparent background (size 0 means DefaultSize). It shows the same
// medallion, palette and stars as SVG; the initials are set in Go Bold, or
// replaced by a star when the font has no glyph for one of them.
func PNG(slug, name string, size int, opts ...Option) ([]byte, error) {
	if size == 0 {
		size = DefaultSize
	}
	if size < 16 || size > MaxSize {
		return nil, fmt.Errorf("artwork: PNG size %d outside 16..%d", size, MaxSize)
	}
	d := newDesign(slug, name, opts...)
	k := float64(size) / canvas
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	var p painter
	for _, e := range d.elements {
		switch e.kind {
		case kindPath:
			p.outline(e.path, k)
		case kindCircle:
			p.circle(e.c.mul(k), e.r*k, false)
		case kindRing: // the inner circle turns the other way: a hole
			p.circle(e.c.mul(k), (e.r+e.stroke/2)*k, false)
			p.circle(e.c.mul(k), (e.r-e.stroke/2)*k, true)
		}
		p.fill(img, e.fill)
	}
	if d.initials != "" {
		ok, err := p.initials(d.initials, k)
		if err != nil {
			return nil, err
		}
		if !ok {
			p.outline(star(centre().add(pt{0, 6}), 30), k)
		}
		p.fill(img, d.pal.ink)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("artwork: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// initials lays out the initials in Go Bold, centred on the medallion as
// the SVG's text is, with the cap height the SVG's font size gives
// Helvetica. ok is false, and nothing is added, if the font lacks a letter.
func (p *painter) initials(s string, k float64) (ok bool, err error) {
	tf, err := boldFace()
	if err != nil {
		return false, err
	}
	line, err := tf.layout(s)
	if err != nil || line.missing > 0 {
		return false, err
	}
	capHeight := 36.0
	if len(line.glyphs) > 1 {
		capHeight = 30
	}
	size := capHeight / tf.capHeight
	origin := centre().add(pt{-line.width * size / 2, 6 + capHeight/2})
	return true, p.text(tf, line.glyphs, origin.mul(k), size*k)
}

// painter collects the outlines of one shape, in pixels, and fills them
// with golang.org/x/image/vector's anti-aliasing rasteriser, within their
// bounding box. Overlapping outlines unite where they turn the same way and
// cancel where they turn opposite ways. Its buffers are reused from one
// fill to the next.
type painter struct {
	z    vector.Rasterizer
	segs []penSeg
	open bool // a subpath was started and not closed
}

// penSeg is one drawing command, in pixels: 'M' and 'L' use p[0], 'Q'
// p[0] (control) and p[1], 'C' all three, 'Z' none.
type penSeg struct {
	op byte
	p  [3]pt
}

// points is how many of p a command uses.
func (s penSeg) points() int {
	switch s.op {
	case 'M', 'L':
		return 1
	case 'Q':
		return 2
	case 'C':
		return 3
	}
	return 0
}

func (p *painter) moveTo(a pt) {
	p.close()
	p.segs = append(p.segs, penSeg{op: 'M', p: [3]pt{a}})
	p.open = true
}

func (p *painter) lineTo(a pt)       { p.segs = append(p.segs, penSeg{op: 'L', p: [3]pt{a}}) }
func (p *painter) quadTo(b, c pt)    { p.segs = append(p.segs, penSeg{op: 'Q', p: [3]pt{b, c}}) }
func (p *painter) cubeTo(b, c, d pt) { p.segs = append(p.segs, penSeg{op: 'C', p: [3]pt{b, c, d}}) }

// close closes the current subpath, if one is open.
func (p *painter) close() {
	if p.open {
		p.segs = append(p.segs, penSeg{op: 'Z'})
		p.open = false
	}
}

// outline adds o, scaled by k.
func (p *painter) outline(o outline, k float64) {
	for _, s := range o {
		switch s.op {
		case 'M':
			p.moveTo(s.to.mul(k))
		case 'Q':
			p.quadTo(s.ctrl.mul(k), s.to.mul(k))
		default:
			p.lineTo(s.to.mul(k))
		}
	}
	p.close()
}

// circle adds a circle (already in pixels) made of eight cubic arcs, which
// stray from the true circle by less than a millionth of r; reverse turns
// it the other way.
func (p *painter) circle(c pt, r float64, reverse bool) {
	const n = 8
	sign := 1.0
	if reverse {
		sign = -1
	}
	h := r * 4 / 3 * math.Tan(math.Pi/(2*n)) // control arm of a 1/n arc
	at := func(i int) (pos, tangent pt) {
		a := sign * 2 * math.Pi * float64(i) / n
		return c.add(pt{r * math.Cos(a), r * math.Sin(a)}), pt{-math.Sin(a), math.Cos(a)}.mul(sign * h)
	}
	p0, t0 := at(0)
	p.moveTo(p0)
	for i := 1; i <= n; i++ {
		p1, t1 := at(i)
		p.cubeTo(p0.add(t0), p1.sub(t1), p1)
		p0, t0 = p1, t1
	}
	p.close()
}

// fill paints what was added since the last fill in colour c.
func (p *painter) fill(img *image.RGBA, c rgb) {
	p.close()
	defer func() { p.segs = p.segs[:0] }()
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, s := range p.segs {
		for i := range s.points() { // control points bound a Bézier curve
			q := s.p[i]
			minX, maxX = min(minX, q.x), max(maxX, q.x)
			minY, maxY = min(minY, q.y), max(maxY, q.y)
		}
	}
	if len(p.segs) == 0 {
		return
	}
	box := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))).
		Intersect(img.Bounds())
	if box.Empty() {
		return
	}
	p.z.Reset(box.Dx(), box.Dy())
	o := pt{float64(box.Min.X), float64(box.Min.Y)}
	f := func(q pt) (float32, float32) { q = q.sub(o); return float32(q.x), float32(q.y) }
	for _, s := range p.segs {
		switch s.op {
		case 'M':
			p.z.MoveTo(f(s.p[0]))
		case 'L':
			p.z.LineTo(f(s.p[0]))
		case 'Q':
			bx, by := f(s.p[0])
			cx, cy := f(s.p[1])
			p.z.QuadTo(bx, by, cx, cy)
		case 'C':
			bx, by := f(s.p[0])
			cx, cy := f(s.p[1])
			dx, dy := f(s.p[2])
			p.z.CubeTo(bx, by, cx, cy, dx, dy)
		case 'Z':
			p.z.ClosePath()
		}
	}
	p.z.Draw(img, box, image.NewUniform(color.RGBA{c.r, c.g, c.b, 255}), image.Point{})
}
