package issuer

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Issuer builds and signs the Open Badges documents of one issuing
// organisation. Its document builders return the bytes the hosted routes
// serve; all of them are safe for concurrent use.
type Issuer struct {
	p     Profile
	keys  *KeyRing
	canon *canonicalizer
	now   func() time.Time // proof creation time; tests fix it

	// root is the path of the issuer id under BaseURL: "/issuer", or
	// "/programs/{slug}" for a program's issuer, whose parent is the
	// instance's (its parentOrg) and which signs with the parent's keys.
	root     string
	parent   *Issuer
	program  Program   // set for a program's issuer
	programs []*Issuer // the instance's programs, in the order added

	statusMu    sync.Mutex
	statusCache map[int]statusEntry // list number -> last signed list
	statusEnc   statusEncoder       // gzip writers for status lists
}

// New returns an Issuer for profile p signing with the keys in k.
// p.BaseURL must be an absolute http(s) URL; a trailing slash is dropped.
func New(p Profile, k *KeyRing) (*Issuer, error) {
	if k == nil {
		return nil, errors.New("issuer: new: no key ring")
	}
	p.BaseURL = strings.TrimRight(p.BaseURL, "/")
	u, err := url.Parse(p.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("issuer: new: base URL %q is not an absolute http(s) URL without query", p.BaseURL)
	}
	p.Name, p.Description, p.Email = CleanText(p.Name), CleanText(p.Description), CleanText(p.Email)
	if strings.TrimSpace(p.Name) == "" {
		return nil, errors.New("issuer: new: profile name is empty")
	}
	if p.URL == "" {
		p.URL = p.BaseURL
	}
	return &Issuer{
		p:           p,
		keys:        k,
		canon:       newCanonicalizer(),
		now:         time.Now,
		root:        "/issuer",
		statusCache: make(map[int]statusEntry),
	}, nil
}

// Profile returns the issuer's profile (BaseURL without trailing slash).
func (is *Issuer) Profile() Profile { return is.p }

// KeyRing returns the keys the issuer signs with.
func (is *Issuer) KeyRing() *KeyRing { return is.keys }

// IssuerID is the OB 3.0 issuer id and controller document URL: /issuer.
// A program's issuer id is /programs/{slug}.
func (is *Issuer) IssuerID() string { return is.p.BaseURL + is.root }

// ProfileOB2URL is the id of the OB 2.0 issuer Profile.
func (is *Issuer) ProfileOB2URL() string { return is.IssuerID() + "?format=ob2" }

// AchievementURL is the OB 3.0 Achievement id of a badge: /badges/{slug}.
func (is *Issuer) AchievementURL(slug string) string {
	return is.p.BaseURL + "/badges/" + url.PathEscape(slug)
}

// BadgeClassURL is the OB 2.0 BadgeClass id of a badge.
func (is *Issuer) BadgeClassURL(slug string) string {
	return is.AchievementURL(slug) + "?format=ob2"
}

// ImageURL is the badge artwork URL: image.svg for SVG artwork, else
// image.png (generated artwork is PNG).
func (is *Issuer) ImageURL(a Achievement) string {
	ext := "png"
	if a.ImageType == "image/svg+xml" {
		ext = "svg"
	}
	return is.AchievementURL(a.Slug) + "/image." + ext
}

// AwardURL is the award page and OB 2.0 assertion id: /awards/{id}.
func (is *Issuer) AwardURL(id string) string { return AwardURL(is.p.BaseURL, id) }

// AwardURL is the page of award id under the public URL base: every
// /awards/ link is built here, the id escaped.
func AwardURL(base, id string) string { return base + "/awards/" + url.PathEscape(id) }

// CredentialURL is the OB 3.0 credential id: /awards/{id}/credential.json.
func (is *Issuer) CredentialURL(id string) string { return is.AwardURL(id) + "/credential.json" }

// CredentialJWTURL is where the VC-JWT form is served.
func (is *Issuer) CredentialJWTURL(id string) string { return is.AwardURL(id) + "/credential.jwt" }

// StatusListURL is the id of status list n (1-based): /status/{n}.
// A program's lists are its own (/programs/{slug}/status/{n}): a status
// list credential is issued by the credential's issuer.
func (is *Issuer) StatusListURL(n int) string {
	return is.listBase() + "/status/" + strconv.Itoa(n)
}

// RevocationListURL is the OB 2.0 revocation list: /revocations, or a
// program's /programs/{slug}/revocations.
func (is *Issuer) RevocationListURL() string { return is.listBase() + "/revocations" }

// listBase is where the issuer's status and revocation lists hang.
func (is *Issuer) listBase() string {
	if is.parent != nil {
		return is.IssuerID()
	}
	return is.p.BaseURL
}

// JWKSURL is the JSON Web Key Set of the VC-JWT keys.
func (is *Issuer) JWKSURL() string { return is.p.BaseURL + "/.well-known/jwks.json" }

// KeyURL is where one signing key is served on its own: /issuer/keys/{id},
// id being a KeyInfo.ID (the publicKeyMultibase of an Ed25519 key, the
// RFC 7638 thumbprint of an RSA key).
func (is *Issuer) KeyURL(id string) string { return is.IssuerID() + "/keys/" + url.PathEscape(id) }

// verificationMethodID names an Ed25519 key: its own URL, which
// dereferences to its Multikey document (wallets load the verification
// method by its id) and ends in the publicKeyMultibase, so an offline
// verifier can still read the key.
func (is *Issuer) verificationMethodID(k *edKey) string { return is.KeyURL(k.multibase) }

// legacyVerificationMethodID is how Ed25519 keys were named before they
// had their own URL: the issuer URL with the publicKeyMultibase as
// fragment. Credentials signed then carry it, so the profile still lists it.
func (is *Issuer) legacyVerificationMethodID(k *edKey) string {
	return is.IssuerID() + "#" + k.multibase
}

// kid names an RSA key: its own URL, which dereferences to its JWK (OB 3.0
// §8.2: "a URI that can be dereferenced to an object of type JWK").
func (is *Issuer) kid(k *rsaKey) string { return is.KeyURL(k.thumb) }

// legacyKid is how RSA keys were named before they had their own URL: the
// issuer URL with the RFC 7638 thumbprint as fragment. VC-JWTs signed then
// carry it, so the JWKS still lists it.
func (is *Issuer) legacyKid(k *rsaKey) string { return is.IssuerID() + "#" + k.thumb }

// StatusListPosition returns the list number (1-based) and the index
// within it of a status index.
func StatusListPosition(statusIndex int) (list, index int) {
	return statusIndex/StatusListSize + 1, statusIndex % StatusListSize
}

// IdentityHash is the salted recipient hash OB 2.0 and OB 3.0 use:
// "sha256$" + hex(sha256(identity + salt)).
func IdentityHash(identity, salt string) string {
	h := sha256.Sum256([]byte(identity + salt))
	return "sha256$" + hex.EncodeToString(h[:])
}

// b64url is unpadded base64url.
func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// xsdDateTime formats t as an RFC 3339 UTC date-time with seconds.
func xsdDateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
