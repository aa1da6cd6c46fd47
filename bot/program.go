package bot

import (
	"context"
	"slices"
)

// ProgramStore reads what chat shows of one program.
type ProgramStore interface {
	// ProgramLeaderboard is Leaderboard counting only the awards of the
	// program's badges (its badges now, whoever issued the award).
	ProgramLeaderboard(ctx context.Context, program string, limit int) ([]LeaderboardEntry, error)
}

// Program is a team that issues its own badges (DESIGN §5 "Programs"):
// its badges are signed by its own issuer profile, its owners own every
// one of them, and its awards and nominations go to its own channels.
type Program struct {
	Slug string
	Name string
	// Announce and Review are its channels, at most one per platform; a
	// platform it has none on uses the instance's.
	Announce []Target
	Review   []Target
	// Digest: true posts its own digest to its announce channels; false
	// makes it a section of the instance's.
	Digest bool
}

// Program returns the program with the slug among s.Programs.
func (s *Service) Program(slug string) (Program, bool) {
	if slug == "" {
		return Program{}, false
	}
	i := slices.IndexFunc(s.Programs, func(p Program) bool { return p.Slug == slug })
	if i < 0 {
		return Program{}, false
	}
	return s.Programs[i], true
}

// announceTargets is where awards of b are announced: its program's
// channel on each platform that has one, the instance's elsewhere.
func (s *Service) announceTargets(b *Badge) []Target {
	p, ok := s.Program(b.Program)
	if !ok || len(p.Announce) == 0 {
		return s.Targets
	}
	return overrideTargets(s.Targets, p.Announce)
}

// ReviewChannels is where nominations for b are reviewed: base (platform →
// channel, the instance's review channels) with its program's review
// channels in their place.
func (s *Service) ReviewChannels(b *Badge, base map[string]string) map[string]string {
	p, ok := s.Program(b.Program)
	if !ok || len(p.Review) == 0 {
		return base
	}
	out := make(map[string]string, len(base)+len(p.Review))
	for k, v := range base {
		out[k] = v
	}
	for _, t := range p.Review {
		out[t.Platform] = t.Channel
	}
	return out
}

// overrideTargets returns base with the channel of each platform in over
// replaced by over's, and over's other platforms added.
func overrideTargets(base, over []Target) []Target {
	out := slices.Clone(base)
	for _, o := range over {
		if i := slices.IndexFunc(out, func(t Target) bool { return t.Platform == o.Platform }); i >= 0 {
			out[i].Channel = o.Channel
		} else {
			out = append(out, o)
		}
	}
	return out
}

// ProgramTargets is where a program's own posts (its digest) go: its
// announce channel on each platform that has one, the instance's
// elsewhere.
func (s *Service) ProgramTargets(p Program) []Target {
	return overrideTargets(s.Targets, p.Announce)
}
