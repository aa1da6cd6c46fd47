package bot

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/badgebot/badgebot/issuer"
)

// Signer signs an award's OB 3.0 credential at issuance (issuer.Issuer).
// Its VC-JWT is signed when first asked for (issuer.Handler.CredentialJWT):
// RS256 costs eight times the Ed25519 proof and most awards are never
// fetched as a JWT.
type Signer interface {
	SignCredential(a *issuer.Award) error
}

// Service is the core: it awards and revokes badges, keeping the store, the
// signed credentials and the announcement outbox consistent.
type Service struct {
	Store   Store
	Signer  Signer
	BaseURL string   // public URL of the server, no trailing slash
	Targets []Target // where awards are announced
	// Programs are the teams that issue their own badges; a badge of one
	// is announced in its channels.
	Programs []Program
	Log      *slog.Logger
	Now      func() time.Time

	// Reserved status indexes (statusIndex): idxNext up to idxEnd are
	// unused, out of a block of idxBlock taken at idxTaken; spareN indexes
	// from spare are reserved ahead (none when 0); the next block reserved
	// has blockN (statusBlockMin until awarding needs more).
	mu        sync.Mutex
	idxNext   int
	idxEnd    int
	idxBlock  int
	idxTaken  time.Time
	spare     int
	spareN    int
	blockN    int
	reserving bool // a caller is reserving the spare block
}

// A status-list index is reserved in blocks, one write per block instead
// of one per award. A block lives between statusBlockMin and
// statusBlockMax indexes: a block used up within statusBlockFor makes the
// next twice as large, one that lasted ten times that makes it half. The
// reservation of the next block starts halfway through the current one;
// with blocks of 64 at a few thousand awards a second, it often had not
// committed when the block ran out, and every awarding goroutine waited
// behind the one reserving (about three fifths of the time they spent
// blocked, cmd/badgebot BenchmarkProcess traced). A restart leaves the
// rest of its blocks unused: at most two of the largest, a few thousand
// of a status list's 131,072 entries, and only after a burst.
const (
	statusBlockMin = 64
	statusBlockMax = 4096
	statusBlockFor = time.Second
)

// statusIndex hands out a fresh status-list index. Halfway through a block
// the caller reserves the next one, without holding the lock, so that
// awarding goes on meanwhile and rarely waits for a reservation.
func (s *Service) statusIndex(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.blockN == 0 {
		s.blockN = statusBlockMin
	}
	if s.idxNext == s.idxEnd {
		now := s.now()
		if !s.idxTaken.IsZero() {
			switch lasted := now.Sub(s.idxTaken); {
			case lasted < statusBlockFor:
				s.blockN = min(2*s.blockN, statusBlockMax)
			case lasted > 10*statusBlockFor:
				s.blockN = max(s.blockN/2, statusBlockMin)
			}
		}
		if s.spareN > 0 {
			s.idxNext, s.idxBlock, s.spareN = s.spare, s.spareN, 0
		} else {
			first, err := s.Store.ReserveStatusIndexes(ctx, s.blockN)
			if err != nil {
				return 0, err
			}
			s.idxNext, s.idxBlock = first, s.blockN
		}
		s.idxEnd, s.idxTaken = s.idxNext+s.idxBlock, now
	}
	idx := s.idxNext
	s.idxNext++
	if s.idxEnd-s.idxNext == s.idxBlock/2 && s.spareN == 0 && !s.reserving {
		s.reserving = true
		n := s.blockN
		s.mu.Unlock()
		first, err := s.Store.ReserveStatusIndexes(ctx, n)
		s.mu.Lock()
		s.reserving = false
		// On failure the next block is reserved when it is needed, and
		// that failure is reported then.
		if err == nil {
			s.spare, s.spareN = first, n
		}
	}
	return idx, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// AwardURL returns the public page of an award.
func (s *Service) AwardURL(id string) string { return issuer.AwardURL(s.BaseURL, id) }

// NominationURL returns the public page of an approved nomination, the
// evidence of the award it made.
func (s *Service) NominationURL(id int64) string {
	return s.BaseURL + "/nominations/" + strconv.FormatInt(id, 10)
}

// CredentialURL returns the URL of an award's OB 3.0 credential.
func (s *Service) CredentialURL(id string) string { return s.AwardURL(id) + "/credential.json" }

// SaveBadge validates and stores a badge definition.
func (s *Service) SaveBadge(ctx context.Context, b *Badge) error {
	if err := b.Validate(); err != nil {
		return err
	}
	b.Name, b.Description, b.Criteria = issuer.CleanText(b.Name), issuer.CleanText(b.Description), issuer.CleanText(b.Criteria)
	return s.Store.UpsertBadge(ctx, b)
}

// Award issues a badge: it signs the credential and stores the award with
// its announcements in one transaction.
func (s *Service) Award(ctx context.Context, req AwardRequest) (*Award, error) {
	return s.awardRequest(ctx, req, true)
}

// AwardQuietly awards as Award does but queues no announcement: a sweep,
// a backfill or an import announces its awards as one summary.
func (s *Service) AwardQuietly(ctx context.Context, req AwardRequest) (*Award, error) {
	return s.awardRequest(ctx, req, false)
}

func (s *Service) awardRequest(ctx context.Context, req AwardRequest, announce bool) (*Award, error) {
	if req.Source == SourceRule || req.Source == SourceNomination {
		req.redactEmails()
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	badge, err := s.Store.Badge(ctx, req.Badge)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, Errorf(ENOTFOUND, "no badge %q (see `badge list`)", req.Badge)
		}
		return nil, err
	}
	if err := req.checkEvidence(); err != nil {
		return nil, err
	}
	return s.award(ctx, req, badge, true, announce)
}

// award issues badge, read already, for a valid req. checkHeld asks for
// the friendly ECONFLICT before anything is signed; the rules engine, which
// has just checked, skips it. CreateAward checks again in its transaction
// either way, so a badge is never held twice. announce false queues no
// announcement.
func (s *Service) award(ctx context.Context, req AwardRequest, badge *Badge, checkHeld, announce bool) (*Award, error) {
	return s.awardWith(ctx, req, badge, checkHeld, announce, func(a *Award, out []Announcement) error {
		return s.Store.CreateAward(ctx, a, badge.Repeatable, out)
	})
}

// awardWith is award with the store's write given: CreateAward, or
// ApproveNomination.
func (s *Service) awardWith(ctx context.Context, req AwardRequest, badge *Badge, checkHeld, announce bool, store func(a *Award, out []Announcement) error) (*Award, error) {
	// Most recipients exist already (their event made them): a read is
	// cheaper than the write EnsurePerson is.
	person, err := s.Store.PersonByRecipient(ctx, req.To)
	if ErrorCode(err) == ENOTFOUND {
		person, err = s.Store.EnsurePerson(ctx, req.To, req.ToName)
	}
	if err != nil {
		return nil, err
	}
	if checkHeld && !badge.Repeatable {
		held, err := s.Store.Awards(ctx, AwardFilter{Badge: badge.Slug, PersonID: person.ID, Revoked: new(false), Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(held) > 0 {
			return nil, Errorf(ECONFLICT, "%s already has %q (award %s)", req.To, badge.Slug, held[0].ID)
		}
	}
	idx, err := s.statusIndex(ctx)
	if err != nil {
		return nil, err
	}
	at := req.At
	if at.IsZero() {
		at = s.now()
	}
	evidence := make([]Evidence, len(req.Evidence))
	for i, e := range req.Evidence {
		evidence[i] = Evidence{URL: e.URL, Name: issuer.CleanText(e.Name), Description: issuer.CleanText(e.Description),
			Narrative: issuer.CleanText(e.Narrative), Genre: issuer.CleanText(e.Genre)}
	}
	narrative := issuer.CleanText(req.Narrative)
	if req.byHand() && !hasEvidenceURL(evidence) {
		// Evidence without a link: the narrative, and who vouches for it.
		by, err := s.awarderName(ctx, req.By)
		if err != nil {
			return nil, err
		}
		evidence = append(evidence, Evidence{Name: "Awarded by " + by, Narrative: narrative, Genre: "Award"})
	}
	a := &Award{
		ID:          newAwardID(),
		Badge:       badge.Slug,
		Program:     badge.Program,
		Recipient:   req.To,
		PersonID:    person.ID,
		IssuedAt:    at.UTC().Truncate(time.Second),
		Evidence:    evidence,
		Narrative:   narrative,
		Source:      req.Source,
		SourceRef:   req.SourceRef,
		AwardedBy:   req.By,
		Via:         awardVia(ctx, req),
		StatusIndex: idx,
		Salt:        newSalt(),
	}
	if req.byHand() && badge.Approvals > 1 && a.SourceRef == "" {
		// Only admins (and the CLI and API, which are theirs) award such
		// a badge by hand: the audit trail says it skipped the approvals.
		a.SourceRef = fmt.Sprintf("admin override: the badge needs %d approvals", badge.Approvals)
	}
	if a.AwardedBy == "" {
		a.AwardedBy = "badgebot"
	}
	a.IdentityType, a.Identity = s.identity(person, req.To)
	doc := s.issuerAward(a, badge, person)
	if err := s.Signer.SignCredential(&doc); err != nil {
		return nil, fmt.Errorf("bot: sign award: %w", err)
	}
	a.Credential, a.SigningKey = doc.Credential, doc.SigningKey
	var anns []Announcement
	if announce {
		anns = s.announcements(KindAward, a, badge, person)
	}
	if err := store(a, anns); err != nil {
		return nil, err
	}
	s.log().Info("badge awarded", "award", a.ID, "badge", a.Badge, "person", person.Handle, "recipient", a.Recipient, "source", a.Source)
	return a, nil
}

// Revoke revokes an award. Its OB 2.0 assertion then answers 410 and its
// bit in the status list is set.
func (s *Service) Revoke(ctx context.Context, id, reason, by string) (*Award, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Errorf(EINVALID, "a reason is required to revoke an award")
	}
	if len(reason) > 1000 {
		return nil, Errorf(EINVALID, "reason: at most 1000 characters")
	}
	// The reason is public: in the revocation list and the 410 assertion.
	if err := NoEmail("The reason", reason); err != nil {
		return nil, err
	}
	a, err := s.Store.Award(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Revoked {
		return nil, Errorf(ECONFLICT, "award %s is already revoked", id)
	}
	if by == "" {
		by = "badgebot"
	}
	badge, err := s.Store.Badge(ctx, a.Badge)
	if err != nil {
		return nil, err
	}
	person, err := s.Store.PersonByRecipient(ctx, a.Recipient)
	if err != nil {
		return nil, err
	}
	a.RevocationReason = reason
	out := s.announcements(KindRevoke, a, badge, person)
	revoked, err := s.Store.RevokeAward(ctx, id, reason, by, s.now(), out)
	if err != nil {
		return nil, err
	}
	s.log().Info("award revoked", "award", id, "by", by)
	return revoked, nil
}

// awardVia says where an award is made: the request's Via, else the
// context's origin, else what its source implies. A rule firing is "rule"
// (or "backfill") whatever command's events made it fire.
func awardVia(ctx context.Context, req AwardRequest) string {
	if req.Via != "" {
		return req.Via
	}
	via := OriginOf(ctx).Via
	switch req.Source {
	case SourceRule:
		if via == ViaBackfill {
			return ViaBackfill
		}
		return ViaRule
	case SourceAPI:
		return ViaAPI
	}
	return via
}

// awarderName names who made an award by hand in its evidence: the
// person's public handle, never an e-mail address.
func (s *Service) awarderName(ctx context.Context, by string) (string, error) {
	switch by {
	case "", "badgebot":
		return "badgebot", nil
	case ViaCLI:
		return "an administrator (badgebot command line)", nil
	case ViaAPI:
		return "an administrator (badgebot API)", nil
	}
	r, err := ParseRecipient(by)
	if err != nil {
		return "an administrator", nil
	}
	p, err := s.Store.PersonByRecipient(ctx, r)
	switch ErrorCode(err) {
	case "":
		return "@" + p.Handle, nil
	case ENOTFOUND:
		if r.Platform == PlatformGitHub {
			return "@" + r.ID, nil
		}
		return "an administrator", nil // a chat id or an address says nothing public
	}
	return "", err
}

// identity picks what the credential hashes: an e-mail address when one is
// known, else the GitHub profile or the person's page here.
func (s *Service) identity(p *Person, to Recipient) (typ, value string) {
	if email, ok := to.Email(); ok {
		return issuer.RecipientEmail, email
	}
	if email, ok := p.Email(); ok {
		return issuer.RecipientEmail, email
	}
	if to.Platform == PlatformGitHub {
		return issuer.RecipientURL, "https://github.com/" + to.ID
	}
	return issuer.RecipientURL, s.BaseURL + "/people/" + to.String()
}

func (s *Service) issuerAward(a *Award, b *Badge, p *Person) issuer.Award {
	return issuer.Award{
		ID:      a.ID,
		Program: a.Program,
		Badge: issuer.Achievement{
			Slug: b.Slug, Name: b.Name, Description: b.Description, Criteria: b.Criteria,
			Image: b.Image, ImageType: b.ImageType, Program: a.Program,
		},
		Recipient:   issuer.Recipient{Type: a.IdentityType, Identity: a.Identity, Salt: a.Salt},
		IssuedAt:    a.IssuedAt,
		Evidence:    a.Evidence,
		Narrative:   a.Narrative,
		StatusIndex: a.StatusIndex,
		Holder:      p.Handle,
		HolderURL:   s.BaseURL + "/people/" + p.Handle,
	}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// newAwardID returns a short random id, easy to type in chat: 12
// characters of lower-case base32, 60 bits.
func newAwardID() string {
	var b [8]byte
	rand.Read(b[:])
	return newAwardIDFrom(b[:])
}

func newAwardIDFrom(b []byte) string {
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:12]
}

func newSalt() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
