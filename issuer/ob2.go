package issuer

import (
	"cmp"
	"slices"
)

// OB 2.0 documents (hosted verification). Ids dereference to these
// documents: the Profile at /issuer?format=ob2, each BadgeClass at
// /badges/{slug}?format=ob2, each Assertion at /awards/{id}, the
// revocation list at /revocations.

type ob2Profile struct {
	Context        string `json:"@context"`
	Type           string `json:"type"`
	ID             string `json:"id"`
	Name           string `json:"name"`
	URL            string `json:"url"`
	Email          string `json:"email,omitempty"`
	Description    string `json:"description,omitempty"`
	Image          string `json:"image,omitempty"` // a program's logo
	RevocationList string `json:"revocationList"`
}

type ob2BadgeClass struct {
	Context     string      `json:"@context"`
	Type        string      `json:"type"`
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Image       string      `json:"image"`
	Criteria    ob2Criteria `json:"criteria"`
	Issuer      string      `json:"issuer"`
}

type ob2Criteria struct {
	Narrative string `json:"narrative"`
}

type ob2Assertion struct {
	Context          string          `json:"@context"`
	Type             string          `json:"type"`
	ID               string          `json:"id"`
	Recipient        ob2Recipient    `json:"recipient"`
	Badge            string          `json:"badge"`
	Verification     ob2Verification `json:"verification"`
	IssuedOn         string          `json:"issuedOn"`
	Narrative        string          `json:"narrative,omitempty"`
	Evidence         []ob2Evidence   `json:"evidence,omitempty"`
	Revoked          bool            `json:"revoked,omitempty"`
	RevocationReason string          `json:"revocationReason,omitempty"`
}

type ob2Recipient struct {
	Type     string `json:"type"`
	Hashed   bool   `json:"hashed"`
	Salt     string `json:"salt"`
	Identity string `json:"identity"`
}

type ob2Verification struct {
	Type string `json:"type"`
}

type ob2Evidence struct {
	ID          string `json:"id,omitempty"`
	Type        string `json:"type"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Narrative   string `json:"narrative,omitempty"`
	Genre       string `json:"genre,omitempty"`
}

type ob2RevocationList struct {
	Context           string          `json:"@context"`
	Type              string          `json:"type"`
	ID                string          `json:"id"`
	Issuer            string          `json:"issuer"`
	RevokedAssertions []ob2Revocation `json:"revokedAssertions"`
}

type ob2Revocation struct {
	ID               string `json:"id"`
	RevocationReason string `json:"revocationReason,omitempty"`
}

// ProfileOB2 is the OB 2.0 issuer Profile, served at /issuer?format=ob2
// (its id); it names the revocation list.
func (is *Issuer) ProfileOB2() []byte {
	return mustJSON(ob2Profile{
		Context:        ContextOB2,
		Type:           "Profile",
		ID:             is.ProfileOB2URL(),
		Name:           is.p.Name,
		URL:            is.p.URL,
		Email:          is.p.Email,
		Description:    is.p.Description,
		Image:          is.LogoURL(),
		RevocationList: is.RevocationListURL(),
	})
}

// BadgeClassOB2 is the OB 2.0 BadgeClass of a badge, served at
// /badges/{slug}?format=ob2 (its id). Its issuer is the badge's program,
// or the instance's issuer.
func (is *Issuer) BadgeClassOB2(a Achievement) []byte {
	is = is.issuerOf(a.Program)
	narrative := a.Criteria
	if narrative == "" {
		narrative = a.Description
	}
	return mustJSON(ob2BadgeClass{
		Context:     ContextOB2,
		Type:        "BadgeClass",
		ID:          is.BadgeClassURL(a.Slug),
		Name:        a.Name,
		Description: a.Description,
		Image:       is.ImageURL(a),
		Criteria:    ob2Criteria{Narrative: narrative},
		Issuer:      is.ProfileOB2URL(),
	})
}

// AssertionOB2 is the OB 2.0 hosted Assertion of an award, served at the
// award page URL (its id) for JSON clients. A revoked award says so
// (revoked, revocationReason); the route answers 410 for it.
func (is *Issuer) AssertionOB2(a Award) []byte {
	doc := ob2Assertion{
		Context: ContextOB2,
		Type:    "Assertion",
		ID:      is.AwardURL(a.ID),
		Recipient: ob2Recipient{
			Type:     a.Recipient.Type,
			Hashed:   true,
			Salt:     a.Recipient.Salt,
			Identity: hashedIdentity(a.Recipient),
		},
		Badge:        is.BadgeClassURL(a.Badge.Slug),
		Verification: ob2Verification{Type: "HostedBadge"},
		IssuedOn:     xsdDateTime(a.IssuedAt),
		Narrative:    a.Narrative,
		Revoked:      a.Revoked,
	}
	if a.Revoked {
		doc.RevocationReason = a.RevocationReason
	}
	for _, e := range a.Evidence {
		doc.Evidence = append(doc.Evidence, ob2Evidence{
			ID:          e.URL,
			Type:        "Evidence",
			Name:        e.Name,
			Description: e.Description,
			Narrative:   e.Narrative,
			Genre:       e.Genre,
		})
	}
	return mustJSON(doc)
}

// RevocationListOB2 is the OB 2.0 RevocationList served at /revocations,
// listing the given revoked awards by assertion id (sorted by id): those
// this issuer issued (a program's list at /programs/{slug}/revocations
// those the program issued).
func (is *Issuer) RevocationListOB2(revoked []Revocation) []byte {
	list := ob2RevocationList{
		Context:           ContextOB2,
		Type:              "RevocationList",
		ID:                is.RevocationListURL(),
		Issuer:            is.ProfileOB2URL(),
		RevokedAssertions: make([]ob2Revocation, 0, len(revoked)),
	}
	for _, r := range revoked {
		if r.Program != is.program.Slug {
			continue
		}
		list.RevokedAssertions = append(list.RevokedAssertions, ob2Revocation{
			ID:               is.AwardURL(r.AwardID),
			RevocationReason: r.Reason,
		})
	}
	slices.SortFunc(list.RevokedAssertions, func(a, b ob2Revocation) int { return cmp.Compare(a.ID, b.ID) })
	return mustJSON(list)
}
