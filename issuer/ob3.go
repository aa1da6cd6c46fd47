package issuer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// OB 3.0 vocabulary used in the documents.
const (
	schemaAchievementCredential = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
	schemaValidator2019         = "1EdTechJsonSchemaValidator2019"
	statusPurposeRevocation     = "revocation"
)

// credentialContext is the @context of every OB 3.0 credential we issue.
var credentialContext = []string{ContextCredentialsV2, ContextOB303, ContextOBExtensions}

// The structs below fix the field order of the documents (stable bytes);
// every list the 1EdTech schema wants as an array is a slice.

type ob3Credential struct {
	Context           []string             `json:"@context"`
	ID                string               `json:"id"`
	Type              []string             `json:"type"`
	Name              string               `json:"name"`
	Issuer            ob3Profile           `json:"issuer"`
	ValidFrom         string               `json:"validFrom"`
	CredentialSubject ob3Subject           `json:"credentialSubject"`
	Evidence          []ob3Evidence        `json:"evidence,omitempty"`
	CredentialSchema  []ob3Schema          `json:"credentialSchema"`
	CredentialStatus  *ob3Status           `json:"credentialStatus,omitempty"`
	Proof             []dataIntegrityProof `json:"proof,omitempty"`
}

type ob3Profile struct {
	ID          string   `json:"id"`
	Type        []string `json:"type"`
	Name        string   `json:"name"`
	URL         string   `json:"url,omitempty"`
	Email       string   `json:"email,omitempty"`
	Description string   `json:"description,omitempty"`
	// A program's profile only: its logo and the instance's issuer.
	Image     *ob3Image   `json:"image,omitempty"`
	ParentOrg *ob3Profile `json:"parentOrg,omitempty"`
}

type ob3Subject struct {
	Type        []string       `json:"type"`
	Identifier  []ob3Identity  `json:"identifier"`
	Achievement ob3Achievement `json:"achievement"`
	Narrative   string         `json:"narrative,omitempty"`
}

type ob3Identity struct {
	Type         string `json:"type"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
	Salt         string `json:"salt"`
	IdentityHash string `json:"identityHash"`
}

type ob3Achievement struct {
	Context     []string    `json:"@context,omitempty"` // only as a document of its own
	ID          string      `json:"id"`
	Type        []string    `json:"type"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Criteria    ob3Criteria `json:"criteria"`
	Image       ob3Image    `json:"image"`
	Creator     *ob3Profile `json:"creator,omitempty"`
}

type ob3Criteria struct {
	Narrative string `json:"narrative,omitempty"`
}

type ob3Image struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type ob3Evidence struct {
	ID          string   `json:"id,omitempty"`
	Type        []string `json:"type"`
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Narrative   string   `json:"narrative,omitempty"`
	Genre       string   `json:"genre,omitempty"`
}

type ob3Schema struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type ob3Status struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// profileRef is the issuer as the credential embeds it. A program's
// names its logo and, as parentOrg, the instance's issuer.
func (is *Issuer) profileRef() ob3Profile {
	p := ob3Profile{
		ID:          is.IssuerID(),
		Type:        []string{"Profile"},
		Name:        is.p.Name,
		URL:         is.p.URL,
		Email:       is.p.Email,
		Description: is.p.Description,
	}
	if is.parent != nil {
		if logo := is.LogoURL(); logo != "" {
			p.Image = &ob3Image{ID: logo, Type: "Image"}
		}
		parent := is.parent.profileRef()
		p.ParentOrg = &parent
	}
	return p
}

func (is *Issuer) achievement(a Achievement) ob3Achievement {
	narrative := a.Criteria
	if narrative == "" {
		narrative = a.Description
	}
	doc := ob3Achievement{
		ID:          is.AchievementURL(a.Slug),
		Type:        []string{"Achievement"},
		Name:        a.Name,
		Description: a.Description,
		Criteria:    ob3Criteria{Narrative: narrative},
		Image:       ob3Image{ID: is.ImageURL(a), Type: "Image"},
	}
	if is.parent != nil {
		// A program's achievement says whose it is in the credential
		// too (the issuer, described in full beside it); the instance's
		// credentials stay as they always were.
		doc.Creator = &ob3Profile{ID: is.IssuerID(), Type: []string{"Profile"}, Name: is.p.Name}
	}
	return doc
}

// AchievementDocument is the OB 3.0 Achievement served at /badges/{slug}:
// its creator is the badge's program, or the instance's issuer.
func (is *Issuer) AchievementDocument(a Achievement) []byte {
	is = is.issuerOf(a.Program)
	doc := is.achievement(a)
	doc.Context = []string{ContextCredentialsV2, ContextOB303}
	creator := is.profileRef()
	doc.Creator = &creator
	return mustJSON(doc)
}

// identityType maps a Recipient type to OB 3.0 identityType. OB 3.0's
// IdentifierTypeEnum has no "url" (OB 2.0 had one); its JSON Schema admits
// extensions as "ext:NAME", so a profile URL is "ext:url".
func identityType(t string) (string, error) {
	switch t {
	case RecipientEmail:
		return "emailAddress", nil
	case RecipientURL:
		return "ext:url", nil
	}
	return "", fmt.Errorf("issuer: recipient type %q is neither %q nor %q", t, RecipientEmail, RecipientURL)
}

// hashedIdentity is the recipient hash; e-mail addresses are compared
// case-insensitively, so they are hashed in lower case.
func hashedIdentity(r Recipient) string {
	id := strings.TrimSpace(r.Identity)
	if r.Type == RecipientEmail {
		id = strings.ToLower(id)
	}
	return IdentityHash(id, r.Salt)
}

// validateAward checks what signing needs.
func validateAward(a *Award) error {
	switch {
	case a == nil:
		return errors.New("issuer: sign: nil award")
	case a.ID == "":
		return errors.New("issuer: sign: award has no id")
	case a.Badge.Slug == "" || a.Badge.Name == "":
		return fmt.Errorf("issuer: sign: award %s: badge needs a slug and a name", a.ID)
	case strings.TrimSpace(a.Recipient.Identity) == "":
		return fmt.Errorf("issuer: sign: award %s: recipient has no identity", a.ID)
	case a.Recipient.Salt == "":
		return fmt.Errorf("issuer: sign: award %s: recipient has no salt", a.ID)
	case a.IssuedAt.IsZero():
		return fmt.Errorf("issuer: sign: award %s: no issue time", a.ID)
	case a.StatusIndex < 0:
		return fmt.Errorf("issuer: sign: award %s: negative status index", a.ID)
	}
	if _, err := identityType(a.Recipient.Type); err != nil {
		return err
	}
	texts := []string{a.Badge.Name, a.Badge.Description, a.Badge.Criteria, a.Narrative}
	for _, e := range a.Evidence {
		texts = append(texts, e.Name, e.Description, e.Narrative, e.Genre)
	}
	for _, t := range texts {
		if !ValidText(t) {
			return fmt.Errorf("issuer: sign: award %s: text %q holds a control character (only tab, newline and carriage return may appear)", a.ID, t)
		}
	}
	return nil
}

// credential builds the unsigned OB 3.0 credential of an award.
func (is *Issuer) credential(a *Award) ob3Credential {
	it, _ := identityType(a.Recipient.Type) // checked by validateAward
	list, idx := StatusListPosition(a.StatusIndex)
	listURL := is.StatusListURL(list)
	c := ob3Credential{
		Context:   credentialContext,
		ID:        is.CredentialURL(a.ID),
		Type:      []string{"VerifiableCredential", "OpenBadgeCredential"},
		Name:      a.Badge.Name,
		Issuer:    is.profileRef(),
		ValidFrom: xsdDateTime(a.IssuedAt),
		CredentialSubject: ob3Subject{
			Type: []string{"AchievementSubject"},
			Identifier: []ob3Identity{{
				Type:         "IdentityObject",
				IdentityType: it,
				Hashed:       true,
				Salt:         a.Recipient.Salt,
				IdentityHash: hashedIdentity(a.Recipient),
			}},
			Achievement: is.achievement(a.Badge),
			Narrative:   a.Narrative,
		},
		CredentialSchema: []ob3Schema{{ID: schemaAchievementCredential, Type: schemaValidator2019}},
		CredentialStatus: &ob3Status{
			ID:                   listURL + "#" + strconv.Itoa(idx),
			Type:                 "BitstringStatusListEntry",
			StatusPurpose:        statusPurposeRevocation,
			StatusListIndex:      strconv.Itoa(idx),
			StatusListCredential: listURL,
		},
	}
	for _, e := range a.Evidence {
		c.Evidence = append(c.Evidence, ob3Evidence{
			ID:          e.URL,
			Type:        []string{"Evidence"},
			Name:        e.Name,
			Description: e.Description,
			Narrative:   e.Narrative,
			Genre:       e.Genre,
		})
	}
	return c
}

// Sign creates the signed forms of an award: a.Credential, the OB 3.0
// credential with an embedded eddsa-rdfc-2022 Data Integrity proof, and
// a.JWT, the same credential (without the embedded proof) as an RS256
// VC-JWT. Both use the ring's current keys.
func (is *Issuer) Sign(a *Award) error {
	if err := is.SignCredential(a); err != nil {
		return err
	}
	token, err := is.JWTFromCredential(a.Credential)
	if err != nil {
		return fmt.Errorf("issuer: sign award %s: %w", a.ID, err)
	}
	a.JWT = token
	return nil
}

// SignCredential fills a.Credential only: the OB 3.0 credential with its
// Data Integrity proof. The VC-JWT can be made from it later with
// JWTFromCredential, when somebody asks for it: RS256 costs about eight
// times the Ed25519 proof, and most awards are never fetched as a JWT.
//
// An award of a program's badge (a.Program) is signed by the program's
// issuer.
func (is *Issuer) SignCredential(a *Award) error {
	if err := validateAward(a); err != nil {
		return err
	}
	if a.Program != "" && is.parent == nil {
		c, ok := is.Program(a.Program)
		if !ok {
			return fmt.Errorf("issuer: sign award %s: no program %q", a.ID, a.Program)
		}
		is = c
	}
	ed, _ := is.keys.current()
	signed, err := is.signCredential(is.credential(a), ed, xsdDateTime(is.now()))
	if err != nil {
		return fmt.Errorf("issuer: sign award %s: %w", a.ID, err)
	}
	a.Credential, a.SigningKey = signed, ed.multibase
	return nil
}

// JWTFromCredential signs, with the current RSA key, the VC-JWT of a
// credential this issuer or one of its programs made: the same credential
// without its embedded proof, its kid under the credential's issuer.
// RS256 (PKCS #1 v1.5) is deterministic, so the token is the same every
// time until the key is rotated.
func (is *Issuer) JWTFromCredential(credential []byte) (string, error) {
	var c ob3Credential
	if err := json.Unmarshal(credential, &c); err != nil {
		return "", fmt.Errorf("issuer: vc-jwt: read credential: %w", err)
	}
	is, ok := is.issuerByID(c.Issuer.ID)
	if !ok {
		return "", fmt.Errorf("issuer: vc-jwt: credential of issuer %q, not ours", c.Issuer.ID)
	}
	c.Proof = nil
	_, rk := is.keys.current()
	return is.signJWT(c, rk)
}

// signCredential adds the Data Integrity proof and returns the JSON.
func (is *Issuer) signCredential(c ob3Credential, k *edKey, created string) ([]byte, error) {
	c.Proof = nil
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("issuer: encoding document: %w", err)
	}
	p, err := is.canon.signDataIntegrityJSON(doc, stringList(c.Context), k.priv, is.verificationMethodID(k), created)
	if err != nil {
		return nil, err
	}
	return withProof(doc, p)
}

// withProof returns doc, the JSON of a credential struct with no proof,
// as json.Marshal writes the struct with Proof []dataIntegrityProof{p}:
// "proof" is the last field of ob3Credential and statusListCredential and
// left out when empty, so it goes before the final '}'. Signing has the
// JSON of the document already, and encoding it twice was a tenth of the
// work (TestWithProofIsMarshal holds the two to the same bytes).
func withProof(doc []byte, p dataIntegrityProof) ([]byte, error) {
	proof, err := json.Marshal([]dataIntegrityProof{p})
	if err != nil {
		return nil, fmt.Errorf("issuer: encoding proof: %w", err)
	}
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return nil, fmt.Errorf("issuer: encoding proof: document is not a JSON object")
	}
	const name = `,"proof":`
	out := make([]byte, 0, len(doc)+len(name)+len(proof))
	out = append(out, doc[:len(doc)-1]...)
	out = append(out, name...)
	out = append(out, proof...)
	return append(out, '}'), nil
}

// stringList returns l as the []any that decoded JSON would hold.
func stringList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// mustJSON encodes documents built from our own structs of strings,
// which cannot fail to encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("issuer: encoding %T: %v", v, err))
	}
	return b
}
