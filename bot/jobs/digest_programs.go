package jobs

import (
	"fmt"

	"github.com/badgebot/badgebot/bot"
)

// Programs in the digest: a program with digest on gets a digest of its
// own, posted to its announce channels, and its badges leave the
// instance's; the others' badges are a section each in the instance's.

// programDigest is the part of a digest that one program posts itself.
type programDigest struct {
	Program bot.Program
	Digest  *Digest
}

// splitPrograms takes out of dg the badges, waiting nominations and near
// misses of the programs that post their own digest.
func (d *Digester) splitPrograms(dg *Digest) []programDigest {
	var out []programDigest
	for _, p := range d.cfg.Service.Programs {
		if !p.Digest {
			continue
		}
		own := &Digest{Week: dg.Week, Since: dg.Since, Until: dg.Until}
		mine := func(b *bot.Badge) bool { return b.Program == p.Slug }
		dg.Badges, own.Badges = partition(dg.Badges, func(x DigestBadge) bool { return mine(x.Badge) })
		dg.Pending, own.Pending = partition(dg.Pending, func(x DigestNomination) bool { return mine(x.Badge) })
		dg.Near, own.Near = partition(dg.Near, func(x DigestNear) bool { return mine(x.Badge) })
		out = append(out, programDigest{Program: p, Digest: own})
	}
	return out
}

// partition splits xs into those without and those with f.
func partition[T any](xs []T, f func(T) bool) (without, with []T) {
	for _, x := range xs {
		if f(x) {
			with = append(with, x)
		} else {
			without = append(without, x)
		}
	}
	return without, with
}

// programMessage is the digest a program posts itself.
func (d *Digester) programMessage(pd programDigest, platform string) bot.Message {
	m := d.Message(pd.Digest, platform)
	m.Title = fmt.Sprintf("Weekly badge digest of %s: %s", pd.Program.Name, d.span(pd.Digest))
	m.Link = d.cfg.Service.BaseURL + "/programs/" + pd.Program.Slug
	return m
}

// programSections groups badge groups by program for the instance's
// digest: the instance's own first (no heading), then one section per
// program in the order of the config. ok is false when no badge belongs
// to a program, and the digest reads as it always did.
func (d *Digester) programSections(groups []DigestBadge) (sections []digestSection, ok bool) {
	own := digestSection{}
	byProgram := map[string][]DigestBadge{}
	for _, g := range groups {
		// A program posting its own digest has no section: its badges
		// are all its digest holds.
		if p, known := d.cfg.Service.Program(g.Badge.Program); known && !p.Digest {
			byProgram[g.Badge.Program] = append(byProgram[g.Badge.Program], g)
			ok = true
		} else {
			own.Groups = append(own.Groups, g)
		}
	}
	if !ok {
		return nil, false
	}
	if len(own.Groups) > 0 {
		sections = append(sections, own)
	}
	for _, p := range d.cfg.Service.Programs {
		if gs := byProgram[p.Slug]; len(gs) > 0 {
			sections = append(sections, digestSection{Heading: p.Name + ":", Groups: gs})
		}
	}
	return sections, true
}

// digestSection is one program's badges in the digest.
type digestSection struct {
	Heading string // "" for the instance's own
	Groups  []DigestBadge
}
