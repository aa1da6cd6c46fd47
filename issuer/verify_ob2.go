package issuer

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// verifyOB2 checks an OB 2.0 assertion; token is the compact JWS it came
// in for a signed assertion, else "".
func (v *verifier) verifyOB2(ctx context.Context, rep *Report, a map[string]any, token string) {
	rep.Subject = str(a, "id")
	var problems []string
	for _, k := range []string{"id", "type", "recipient", "badge", "verification", "issuedOn"} {
		if a[k] == nil || a[k] == "" {
			problems = append(problems, "lacks "+k)
		}
	}
	if !hasType(a, "Assertion") {
		problems = append(problems, "type is not Assertion")
	}
	rc := obj(a, "recipient")
	if str(rc, "type") == "" || str(rc, "identity") == "" {
		problems = append(problems, "recipient needs type and identity")
	}
	hashed, isBool := rc["hashed"].(bool)
	if !isBool {
		problems = append(problems, "recipient.hashed is not a boolean")
	}
	if hashed && !identityHashRE.MatchString(str(rc, "identity")) {
		problems = append(problems, "hashed identity is not sha256$<hex> or md5$<hex>")
	}
	if len(problems) > 0 {
		rep.fail("ob2.model", "Assertion %s", strings.Join(problems, "; "))
	} else {
		rep.ok("ob2.model", "Assertion with the required fields")
	}
	v.checkOB2Dates(rep, a)
	if a["revoked"] == true {
		rep.fail("revoked", "the assertion says revoked: true (%s)", str(a, "revocationReason"))
	}
	issuerProfile := v.checkOB2Badge(ctx, rep, a)

	vt := ""
	if ver := obj(a, "verification"); ver != nil {
		vt, _ = firstString(asList(ver["type"]))
	}
	switch vt {
	case "HostedBadge", "hosted":
		v.checkHosted(ctx, rep, a)
	case "SignedBadge", "signed":
		v.checkSignedOB2(ctx, rep, a, token, issuerProfile)
	default:
		rep.fail("ob2.verification", "verification type %q is neither HostedBadge nor SignedBadge", vt)
	}
	if v.opt.Recipient != "" {
		if matchIdentity(v.opt.Recipient, str(rc, "identity"), str(rc, "salt"), hashed, str(rc, "type") == RecipientEmail) {
			rep.ok("recipient", "recipient (%s) matches", str(rc, "type"))
		} else {
			rep.fail("recipient", "recipient does not match %q", v.opt.Recipient)
		}
	}
}

func (v *verifier) checkOB2Dates(rep *Report, a map[string]any) {
	issued, err := time.Parse(time.RFC3339Nano, str(a, "issuedOn"))
	if err != nil {
		rep.fail("dates", "issuedOn %q is not an ISO 8601 date-time", str(a, "issuedOn"))
		return
	}
	if s := str(a, "expires"); s != "" {
		exp, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			rep.fail("dates", "expires %q is not an ISO 8601 date-time", s)
			return
		}
		if !exp.After(v.now) {
			rep.fail("dates", "expired (expires %s)", s)
			return
		}
	}
	rep.ok("dates", "issued %s", issued.UTC().Format(time.RFC3339))
}

// checkOB2Badge checks the BadgeClass and its issuer Profile when they can
// be had, and returns the Profile (nil when not available).
func (v *verifier) checkOB2Badge(ctx context.Context, rep *Report, a map[string]any) map[string]any {
	badge, err := v.embeddedOrFetched(ctx, a["badge"])
	if err != nil {
		rep.skipFetch("ob2.badge", "BadgeClass %s not checked: %v", idOf(a["badge"]), err)
		return nil
	}
	if miss := missing(badge, "id", "type", "name", "description", "image", "criteria", "issuer"); miss != "" {
		rep.fail("ob2.badge", "BadgeClass lacks %s", miss)
	} else {
		rep.ok("ob2.badge", "BadgeClass %s has the required fields", str(badge, "id"))
	}
	rep.Issuer = idOf(badge["issuer"])
	profile, err := v.embeddedOrFetched(ctx, badge["issuer"])
	if err != nil {
		rep.skipFetch("ob2.issuer", "issuer Profile %s not checked: %v", rep.Issuer, err)
		return nil
	}
	if miss := missing(profile, "id", "type", "name", "url", "email"); miss != "" {
		rep.fail("ob2.issuer", "issuer Profile lacks %s", miss)
	} else {
		rep.ok("ob2.issuer", "issuer Profile %s has the required fields", str(profile, "id"))
	}
	return profile
}

// embeddedOrFetched returns an object given inline or by URL.
func (v *verifier) embeddedOrFetched(ctx context.Context, x any) (map[string]any, error) {
	if m, ok := x.(map[string]any); ok {
		return m, nil
	}
	s, _ := x.(string)
	if s == "" {
		return nil, fmt.Errorf("missing")
	}
	return v.fetchJSON(ctx, s)
}

// missing names the keys of m that are absent or empty.
func missing(m map[string]any, keys ...string) string {
	var out []string
	for _, k := range keys {
		if m[k] == nil || m[k] == "" {
			out = append(out, k)
		}
	}
	return strings.Join(out, ", ")
}

// checkHosted dereferences a hosted assertion: 410 or revoked: true mean
// revoked, and the hosted copy must equal the one given.
func (v *verifier) checkHosted(ctx context.Context, rep *Report, a map[string]any) {
	id := str(a, "id")
	if !isHTTPURL(id) {
		rep.fail("hosted", "hosted assertion id %q is not an http(s) URL", id)
		return
	}
	body, status, err := v.fetch(ctx, id)
	switch {
	case err != nil:
		rep.skipFetch("hosted", "hosted copy %s not checked: %v", id, err)
		return
	case status == http.StatusGone:
		rep.fail("hosted", "%s answers 410 Gone: revoked", id)
		return
	case status != http.StatusOK:
		rep.fail("hosted", "%s answers HTTP %d", id, status)
		return
	}
	var hosted map[string]any
	if err := decodeJSONObject(body, &hosted); err != nil {
		rep.fail("hosted", "%s: %v", id, err)
		return
	}
	switch {
	case hosted["revoked"] == true:
		rep.fail("hosted", "hosted copy says revoked: true (%s)", str(hosted, "revocationReason"))
	case !reflect.DeepEqual(hosted, a):
		rep.fail("hosted", "hosted copy at %s differs from the given assertion", id)
	default:
		rep.ok("hosted", "hosted copy at %s equals the assertion", id)
		rep.proved = true
	}
}

// checkSignedOB2 verifies a signed assertion with the issuer's
// CryptographicKey (publicKeyPem) and its revocation list.
func (v *verifier) checkSignedOB2(ctx context.Context, rep *Report, a map[string]any, token string, profile map[string]any) {
	if token == "" {
		rep.fail("ob2.signed", "SignedBadge, but the input was not a JWS")
		return
	}
	creator := idOf(obj(a, "verification")["creator"])
	if creator == "" && profile != nil {
		creator = idOf(firstOf(profile["publicKey"]))
	}
	keyDoc, err := v.embeddedOrFetched(ctx, obj(a, "verification")["creator"])
	if err != nil && creator != "" {
		keyDoc, err = v.fetchJSON(ctx, creator)
	}
	if err != nil {
		rep.skipFetch("ob2.signed", "CryptographicKey %s not available: %v", creator, err)
		return
	}
	blk, _ := pem.Decode([]byte(str(keyDoc, "publicKeyPem")))
	if blk == nil {
		rep.fail("ob2.signed", "CryptographicKey %s has no PEM public key", creator)
		return
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		rep.fail("ob2.signed", "CryptographicKey %s: %v", creator, err)
		return
	}
	jws, err := jose.ParseSignedCompact(token, jwsAlgorithms)
	if err == nil {
		_, err = jws.Verify(pub)
	}
	if err != nil {
		rep.fail("ob2.signed", "JWS signature invalid: %v", err)
		return
	}
	rep.ok("ob2.signed", "JWS verified with %s", creator)
	rep.proved = true
	if profile == nil {
		rep.skipFetch("ob2.key", "issuer Profile not available: key owner and revocation list not checked")
		return
	}
	if owner := str(keyDoc, "owner"); owner != str(profile, "id") {
		rep.fail("ob2.key", "key owner %q is not the issuer %q", owner, str(profile, "id"))
	} else {
		rep.ok("ob2.key", "key belongs to the issuer")
	}
	rl := str(profile, "revocationList")
	if rl == "" {
		return
	}
	list, err := v.fetchJSON(ctx, rl)
	if err != nil {
		rep.skipFetch("revoked", "revocation list %s not checked: %v", rl, err)
		return
	}
	for _, x := range asList(list["revokedAssertions"]) {
		if idOf(x) == str(a, "id") || (str(a, "uid") != "" && str(asObject(x), "uid") == str(a, "uid")) {
			rep.fail("revoked", "listed in %s", rl)
			return
		}
	}
	rep.ok("revoked", "not in %s", rl)
}

func firstOf(x any) any {
	l := asList(x)
	if len(l) == 0 {
		return nil
	}
	return l[0]
}

func asObject(x any) map[string]any {
	m, _ := x.(map[string]any)
	return m
}
