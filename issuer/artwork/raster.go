package artwork

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"slices"
)

// subRows is how many sample rows each pixel row gets; coverage along a row
// is computed exactly, so edges are anti-aliased in both directions.
const subRows = 8

// curveSteps is how many line segments approximate one quadratic curve.
const curveSteps = 12

// PNG renders the artwork for a slug as a size x size PNG with a
// transparent background (size 0 means DefaultSize). It shows the same
// medallion, palette and stars as SVG; the initials are drawn with a small
// stroke font, or replaced by a star when they are not A-Z or 0-9.
func PNG(slug, name string, size int) ([]byte, error) {
	if size == 0 {
		size = DefaultSize
	}
	if size < 16 || size > MaxSize {
		return nil, fmt.Errorf("artwork: PNG size %d outside 16..%d", size, MaxSize)
	}
	d := newDesign(slug, name)
	k := float64(size) / canvas
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	var r rasterizer
	for _, e := range d.elements {
		var rings [][]pt
		switch e.kind {
		case kindPath:
			rings = [][]pt{flatten(e.path, k)}
		case kindCircle:
			rings = [][]pt{circlePoints(e.c.mul(k), e.r*k, true)}
		case kindRing:
			rings = [][]pt{
				circlePoints(e.c.mul(k), (e.r+e.stroke/2)*k, true),
				circlePoints(e.c.mul(k), (e.r-e.stroke/2)*k, false),
			}
		}
		r.fill(img, rings, e.fill)
	}
	if d.initials != "" {
		if rings, ok := initialsRings(d.initials, k); ok {
			r.fill(img, rings, d.pal.ink)
		} else {
			r.fill(img, [][]pt{flatten(star(centre().add(pt{0, 6}), 30), k)}, d.pal.ink)
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("artwork: encode PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// flatten turns an outline into a polygon, scaled by k.
func flatten(o outline, k float64) []pt {
	pts := make([]pt, 0, len(o)*curveSteps)
	var cur pt
	for _, s := range o {
		switch s.op {
		case 'Q':
			for i := 1; i <= curveSteps; i++ {
				t := float64(i) / curveSteps
				u := 1 - t
				p := cur.mul(u * u).add(s.ctrl.mul(2 * u * t)).add(s.to.mul(t * t))
				pts = append(pts, p.mul(k))
			}
		default:
			pts = append(pts, s.to.mul(k))
		}
		cur = s.to
	}
	return pts
}

// circlePoints approximates a circle (already in pixels) with a polygon
// fine enough that its flat sides stay well under a tenth of a pixel deep,
// counter-clockwise on screen if ccw, else clockwise.
func circlePoints(c pt, r float64, ccw bool) []pt {
	n := max(16, int(math.Ceil(math.Pi/math.Acos(max(0, 1-0.08/max(r, 0.1))))))
	pts := make([]pt, n)
	sign := -1.0
	if !ccw {
		sign = 1
	}
	for i := range pts {
		a := 2 * math.Pi * float64(i) / float64(n)
		pts[i] = pt{c.x + r*math.Cos(a), c.y + sign*r*math.Sin(a)}
	}
	return pts
}

// initialsRings lays out the initials in the stroke font, centred on the
// medallion, and returns the outlines of their strokes (all turning the
// same way, so the non-zero rule unites them). ok is false if a letter has
// no glyph.
func initialsRings(s string, k float64) (rings [][]pt, ok bool) {
	var glyphs []glyph
	for _, r := range s {
		g, ok := glyphFor(foldLatin(r))
		if !ok {
			return nil, false
		}
		glyphs = append(glyphs, g)
	}
	capHeight := 36.0
	if len(glyphs) > 1 {
		capHeight = 30
	}
	unit := capHeight / 6
	const gap = 1.5 // between letters, in font units
	width := gap * float64(len(glyphs)-1)
	for _, g := range glyphs {
		width += g.width
	}
	origin := centre().add(pt{-width * unit / 2, 6 - capHeight/2})
	half := 0.56 * unit * k // half the stroke width, in pixels
	for _, g := range glyphs {
		for _, line := range g.strokes {
			px := make([]pt, len(line))
			for i, p := range line {
				px[i] = origin.add(p.mul(unit)).mul(k)
			}
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
		}
		origin = origin.add(pt{(g.width + gap) * unit, 0})
	}
	return rings, true
}

// ccw returns the polygon turning counter-clockwise on screen (y down).
func ccw(p []pt) []pt {
	area := 0.0
	for i := range p {
		q := p[(i+1)%len(p)]
		area += p[i].x*q.y - q.x*p[i].y
	}
	if area > 0 { // clockwise on screen
		slices.Reverse(p)
	}
	return p
}

// edge is one polygon side, stored top to bottom.
type edge struct {
	x0, y0, x1, y1 float64
	dir            int // +1 if the side runs downwards, -1 if upwards
}

// crossing is where a sample row crosses an edge.
type crossing struct {
	x   float64
	dir int
}

// rasterizer fills polygons with anti-aliasing. Its buffers are reused
// from one fill to the next.
type rasterizer struct {
	edges, active []edge
	xs            []crossing
	cov           []float32
}

// fill paints the union of the rings (non-zero winding rule) in colour c.
func (r *rasterizer) fill(img *image.RGBA, rings [][]pt, c rgb) {
	r.edges = r.edges[:0]
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, ring := range rings {
		for i, p := range ring {
			q := ring[(i+1)%len(ring)]
			minX, maxX = min(minX, p.x), max(maxX, p.x)
			minY, maxY = min(minY, p.y), max(maxY, p.y)
			switch {
			case p.y < q.y:
				r.edges = append(r.edges, edge{p.x, p.y, q.x, q.y, 1})
			case p.y > q.y:
				r.edges = append(r.edges, edge{q.x, q.y, p.x, p.y, -1})
			}
		}
	}
	box := image.Rect(int(math.Floor(minX)), int(math.Floor(minY)), int(math.Ceil(maxX)), int(math.Ceil(maxY))).
		Intersect(img.Bounds())
	if box.Empty() {
		return
	}
	w, h := box.Dx(), box.Dy()
	r.cov = slices.Grow(r.cov[:0], w*h)[:w*h]
	clear(r.cov)
	slices.SortFunc(r.edges, func(a, b edge) int {
		switch {
		case a.y0 < b.y0:
			return -1
		case a.y0 > b.y0:
			return 1
		}
		return 0
	})

	r.active = r.active[:0]
	next := 0
	const weight = 1.0 / subRows
	for row := 0; row < h; row++ {
		line := r.cov[row*w : (row+1)*w]
		for sub := 0; sub < subRows; sub++ {
			y := float64(box.Min.Y+row) + (float64(sub)+0.5)/subRows
			for next < len(r.edges) && r.edges[next].y0 <= y {
				r.active = append(r.active, r.edges[next])
				next++
			}
			r.xs = r.xs[:0]
			kept := r.active[:0]
			for _, e := range r.active {
				if e.y1 <= y {
					continue
				}
				kept = append(kept, e)
				if e.y0 <= y {
					r.xs = append(r.xs, crossing{e.x0 + (y-e.y0)*(e.x1-e.x0)/(e.y1-e.y0), e.dir})
				}
			}
			r.active = kept
			slices.SortFunc(r.xs, func(a, b crossing) int {
				switch {
				case a.x < b.x:
					return -1
				case a.x > b.x:
					return 1
				}
				return 0
			})
			wind, start := 0, 0.0
			for _, x := range r.xs {
				before := wind
				wind += x.dir
				switch {
				case before == 0 && wind != 0:
					start = x.x
				case before != 0 && wind == 0:
					addSpan(line, start-float64(box.Min.X), x.x-float64(box.Min.X), weight)
				}
			}
		}
	}

	mask := image.NewAlpha(box)
	for i, v := range r.cov {
		mask.Pix[(i/w)*mask.Stride+i%w] = uint8(math.Round(float64(min(v, 1)) * 255))
	}
	src := image.NewUniform(color.RGBA{c.r, c.g, c.b, 255})
	draw.DrawMask(img, box, src, image.Point{}, mask, box.Min, draw.Over)
}

// addSpan adds weight times the covered fraction of each pixel in [a, b)
// to line.
func addSpan(line []float32, a, b float64, weight float32) {
	a = max(a, 0)
	b = min(b, float64(len(line)))
	if b <= a {
		return
	}
	ia, ib := int(a), int(b)
	if ia == ib {
		line[ia] += float32(b-a) * weight
		return
	}
	line[ia] += float32(float64(ia+1)-a) * weight
	for i := ia + 1; i < ib; i++ {
		line[i] += weight
	}
	if ib < len(line) {
		line[ib] += float32(b-float64(ib)) * weight
	}
}
