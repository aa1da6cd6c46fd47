package artwork

import (
	"math"
	"strings"
)

// glyph is a letter of the small stroke font the PNG renderer uses for the
// initials: polylines on a grid 6 units high (y down, 0 at the cap line) and
// width units wide, drawn with round caps and joins.
type glyph struct {
	width   float64
	strokes [][]pt
}

// arc returns points on an ellipse from angle a0 to a1 (degrees, counter-
// clockwise as on paper, so y grows downwards), about every 15 degrees.
func arc(cx, cy, rx, ry, a0, a1 float64) []pt {
	n := int(math.Ceil(math.Abs(a1-a0) / 15))
	pts := make([]pt, 0, n+1)
	for i := 0; i <= n; i++ {
		a := (a0 + (a1-a0)*float64(i)/float64(n)) * math.Pi / 180
		pts = append(pts, pt{cx + rx*math.Cos(a), cy - ry*math.Sin(a)})
	}
	return pts
}

// line returns a polyline through the given x, y pairs.
func line(xy ...float64) []pt {
	pts := make([]pt, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		pts = append(pts, pt{xy[i], xy[i+1]})
	}
	return pts
}

// join concatenates polylines into one.
func join(parts ...[]pt) []pt {
	var out []pt
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// glyphFor returns the stroke glyph for an upper-case ASCII letter or a
// digit, and false for anything else.
func glyphFor(r rune) (glyph, bool) {
	s := func(w float64, strokes ...[]pt) (glyph, bool) { return glyph{w, strokes}, true }
	switch r {
	case 'A':
		return s(4.4, line(0, 6, 2.2, 0, 4.4, 6), line(0.8, 4, 3.6, 4))
	case 'B':
		return s(4, join(line(0, 3, 2.4, 3), arc(2.4, 1.5, 1.4, 1.5, -90, 90), line(2.4, 0, 0, 0, 0, 6, 2.6, 6),
			arc(2.6, 4.5, 1.4, 1.5, -90, 90)[1:]))
	case 'C':
		return s(4.4, arc(2.5, 3, 2.5, 3, 40, 320))
	case 'D':
		return s(4.4, join(line(0, 0, 0, 6, 1.6, 6), arc(1.6, 3, 2.8, 3, -90, 90), line(1.6, 0, 0, 0)))
	case 'E':
		return s(3.8, line(3.8, 0, 0, 0, 0, 6, 3.8, 6), line(0, 3, 3.2, 3))
	case 'F':
		return s(3.8, line(3.8, 0, 0, 0, 0, 6), line(0, 3, 3.2, 3))
	case 'G':
		return s(4.6, join(arc(2.5, 3, 2.5, 3, 40, 360), line(5, 3, 2.8, 3)))
	case 'H':
		return s(4.2, line(0, 0, 0, 6), line(4.2, 0, 4.2, 6), line(0, 3, 4.2, 3))
	case 'I':
		return s(2.4, line(1.2, 0, 1.2, 6), line(0, 0, 2.4, 0), line(0, 6, 2.4, 6))
	case 'J':
		return s(3.6, join(line(3.6, 0, 3.6, 4.2), arc(1.8, 4.2, 1.8, 1.8, 0, -180)))
	case 'K':
		return s(4.2, line(0, 0, 0, 6), line(4.2, 0, 0, 4), line(1.5, 2.6, 4.2, 6))
	case 'L':
		return s(3.6, line(0, 0, 0, 6, 3.6, 6))
	case 'M':
		return s(5, line(0, 6, 0, 0, 2.5, 4, 5, 0, 5, 6))
	case 'N':
		return s(4.2, line(0, 6, 0, 0, 4.2, 6, 4.2, 0))
	case 'O', '0':
		if r == '0' {
			return s(4, arc(2, 3, 2, 3, 0, 360))
		}
		return s(5, arc(2.5, 3, 2.5, 3, 0, 360))
	case 'P':
		return s(4, join(line(0, 6, 0, 0, 2.4, 0), arc(2.4, 1.6, 1.6, 1.6, 90, -90), line(2.4, 3.2, 0, 3.2)))
	case 'Q':
		return s(5, arc(2.5, 3, 2.5, 3, 0, 360), line(3, 4.4, 5, 6.4))
	case 'R':
		return s(4.2, join(line(0, 6, 0, 0, 2.4, 0), arc(2.4, 1.6, 1.6, 1.6, 90, -90), line(2.4, 3.2, 0, 3.2)),
			line(2.2, 3.2, 4.2, 6))
	case 'S':
		return s(4, join(arc(2, 1.55, 1.9, 1.55, 20, 270), arc(2, 4.45, 2, 1.55, 90, -160)))
	case 'T':
		return s(4.4, line(0, 0, 4.4, 0), line(2.2, 0, 2.2, 6))
	case 'U':
		return s(4.2, join(line(0, 0, 0, 4), arc(2.1, 4, 2.1, 2, 180, 360), line(4.2, 4, 4.2, 0)))
	case 'V':
		return s(4.4, line(0, 0, 2.2, 6, 4.4, 0))
	case 'W':
		return s(5.6, line(0, 0, 1.4, 6, 2.8, 1.6, 4.2, 6, 5.6, 0))
	case 'X':
		return s(4.2, line(0, 0, 4.2, 6), line(4.2, 0, 0, 6))
	case 'Y':
		return s(4.4, line(0, 0, 2.2, 3, 4.4, 0), line(2.2, 3, 2.2, 6))
	case 'Z':
		return s(4, line(0, 0, 4, 0, 0, 6, 4, 6))
	case '1':
		return s(3, line(0.4, 1.2, 1.8, 0, 1.8, 6), line(0.4, 6, 3, 6))
	case '2':
		return s(4, join(arc(2, 1.9, 1.9, 1.9, 160, -25), line(0, 6, 4, 6)))
	case '3':
		return s(4, join(arc(2, 1.5, 1.8, 1.5, 150, -90), arc(2, 4.4, 2, 1.6, 90, -150)))
	case '4':
		return s(4.2, line(3.2, 6, 3.2, 0, 0, 4.2, 4.2, 4.2))
	case '5':
		return s(4, join(line(3.8, 0, 0.5, 0, 0.3, 2.7), arc(2, 4.1, 2, 1.9, 130, -150)))
	case '6':
		return s(4, line(3.2, 0, 0.4, 3.4), arc(2, 4.1, 2, 1.9, 0, 360))
	case '7':
		return s(4, line(0, 0, 4, 0, 1.4, 6))
	case '8':
		return s(4, arc(2, 1.45, 1.7, 1.45, 0, 360), arc(2, 4.4, 2, 1.6, 0, 360))
	case '9':
		return s(4, arc(2, 1.9, 2, 1.9, 0, 360), line(3.9, 2.4, 1, 6))
	}
	return glyph{}, false
}

// foldLatin maps an accented upper-case Latin letter to its base letter
// (Ü to U), so the stroke font can draw it; other runes are returned as is.
func foldLatin(r rune) rune {
	if r < 0xC0 || r > 0x17F {
		return r
	}
	for _, f := range [...]struct {
		base    rune
		accents string
	}{
		{'A', "ÀÁÂÃÄÅĀĂĄ"}, {'C', "ÇĆĈĊČ"}, {'D', "ĎĐÐ"}, {'E', "ÈÉÊËĒĔĖĘĚ"},
		{'G', "ĜĞĠĢ"}, {'H', "ĤĦ"}, {'I', "ÌÍÎÏĨĪĬĮİ"}, {'J', "Ĵ"}, {'K', "Ķ"},
		{'L', "ĹĻĽĿŁ"}, {'N', "ÑŃŅŇ"}, {'O', "ÒÓÔÕÖØŌŎŐ"}, {'R', "ŔŖŘ"},
		{'S', "ŚŜŞŠ"}, {'T', "ŢŤŦ"}, {'U', "ÙÚÛÜŨŪŬŮŰŲ"}, {'W', "Ŵ"},
		{'Y', "ÝŶŸ"}, {'Z', "ŹŻŽ"},
	} {
		if strings.ContainsRune(f.accents, r) {
			return f.base
		}
	}
	return r
}
