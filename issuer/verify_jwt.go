package issuer

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwsAlgorithms are the JOSE algorithms a VC-JWT or signed OB 2.0
// assertion may use here; "none" and HMAC are never accepted.
var jwsAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// allowedJOSEHeaders are the header parameters OB 3.0 allows in a VC-JWT.
var allowedJOSEHeaders = map[string]bool{"alg": true, "kid": true, "jwk": true, "typ": true}

// verifyJWS checks a compact JWS: an OB 3.0 VC-JWT or a signed OB 2.0
// assertion.
func (v *verifier) verifyJWS(ctx context.Context, rep *Report, token string) {
	jws, err := jose.ParseSignedCompact(token, jwsAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		rep.Version = "ob3"
		rep.fail("jwt", "not a usable JWS: %v", err)
		return
	}
	var payload map[string]any
	if err := unmarshalBounded(jws.UnsafePayloadWithoutVerification(), &payload); err != nil {
		rep.Version = "ob3"
		rep.fail("jwt", "payload is not a JSON object: %v", err)
		return
	}
	if isOB2(payload) {
		rep.Version = "ob2"
		v.verifyOB2(ctx, rep, payload, token)
		return
	}
	rep.Version = "ob3"
	cred := payload
	legacy := false
	if vc, ok := payload["vc"].(map[string]any); ok {
		cred, legacy = vc, true
	}
	issuerID := idOf(cred["issuer"])
	v.checkJWT(ctx, rep, jws, payload, cred, issuerID, legacy)
	v.verifyOB3(ctx, rep, cred, "jwt")
}

// checkJWT verifies the VC-JWT signature, its header, its claims and
// where its key comes from.
func (v *verifier) checkJWT(ctx context.Context, rep *Report, jws *jose.JSONWebSignature, payload, cred map[string]any, issuerID string, legacy bool) {
	h := jws.Signatures[0].Protected
	var extra []string
	for k := range h.ExtraHeaders {
		if !allowedJOSEHeaders[string(k)] {
			extra = append(extra, string(k))
		}
	}
	typ, _ := h.ExtraHeaders["typ"].(string)
	switch {
	case len(extra) > 0:
		rep.fail("jwt.header", "JOSE header parameters OB 3.0 does not allow: %s", strings.Join(extra, ", "))
	case h.ExtraHeaders["typ"] != nil && typ != "JWT":
		rep.fail("jwt.header", "typ %q (OB 3.0: if present, \"JWT\")", typ)
	default:
		rep.ok("jwt.header", "alg %s, kid %q", h.Algorithm, h.KeyID)
	}

	key, prov := v.jwtKey(ctx, h, issuerID)
	if key == nil {
		rep.fail("jwt", "%s", prov.Message)
		return
	}
	if _, err := jws.Verify(key); err != nil {
		rep.fail("jwt", "VC-JWT signature invalid: %v", err)
		return
	}
	rep.ok("jwt", "VC-JWT signature verified (%s)", h.Algorithm)
	rep.add("jwt.key", prov.Status, "%s", prov.Message)
	if prov.Status != CheckFailed {
		rep.proved = true
	}
	if legacy {
		rep.skip("jwt.claims", "credential is in the \"vc\" claim (VCDM 1.1 style); claims not compared")
		return
	}
	v.checkJWTClaims(rep, payload, cred, issuerID)
}

func (v *verifier) checkJWTClaims(rep *Report, payload, cred map[string]any, issuerID string) {
	var problems []string
	want := map[string]string{"iss": issuerID, "jti": str(cred, "id"), "sub": str(obj(cred, "credentialSubject"), "id")}
	for _, c := range []string{"iss", "jti", "sub"} {
		got, present := payload[c]
		switch {
		case want[c] == "" && !present:
		case !present:
			problems = append(problems, c+" is missing")
		case got != want[c]:
			problems = append(problems, fmt.Sprintf("%s %v is not %q", c, got, want[c]))
		}
	}
	for claim, field := range map[string]string{"nbf": "validFrom", "exp": "validUntil"} {
		s := str(cred, field)
		got, present := payload[claim]
		if s == "" {
			if present && claim == "exp" {
				problems = append(problems, "exp without validUntil")
			}
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		n, isNum := got.(float64)
		switch {
		case err != nil:
			// reported by the dates check
		case !present:
			problems = append(problems, claim+" is missing")
		case !isNum || math.Floor(n) != n || int64(n) != t.Unix():
			problems = append(problems, fmt.Sprintf("%s %v is not %s (%d)", claim, got, field, t.Unix()))
		}
	}
	if len(problems) > 0 {
		rep.fail("jwt.claims", "%s", strings.Join(problems, "; "))
		return
	}
	rep.ok("jwt.claims", "iss, jti, nbf agree with the credential")
}

// jwtKey finds the public key of a JWS and says how far its binding to
// the issuer could be checked.
func (v *verifier) jwtKey(ctx context.Context, h jose.Header, issuerID string) (any, Check) {
	c := Check{Name: "jwt.key"}
	if h.JSONWebKey != nil {
		if !h.JSONWebKey.IsPublic() {
			c.Status, c.Message = CheckFailed, "the jwk header holds a private key"
			return nil, c
		}
		if strings.HasPrefix(issuerID, "did:key:") {
			pub, err := ParseMultikeyEd25519(strings.TrimPrefix(strings.SplitN(issuerID, "#", 2)[0], "did:key:"))
			if err == nil && sameJWK(jose.JSONWebKey{Key: pub}, *h.JSONWebKey) {
				c.Status, c.Message = CheckOK, "signing key is the issuer's did:key"
			} else {
				c.Status, c.Message = CheckFailed, "signing key is not the issuer's did:key"
			}
			return h.JSONWebKey.Key, c
		}
		c.Status, c.Message = CheckSkipped, "key carried in the jwk header; its binding to the issuer is not proven"
		return h.JSONWebKey.Key, c
	}
	kid := h.KeyID
	if kid == "" {
		c.Status, c.Message = CheckFailed, "neither kid nor jwk in the JOSE header"
		return nil, c
	}
	if strings.HasPrefix(kid, "did:key:") {
		base, _, _ := strings.Cut(kid, "#")
		pub, err := ParseMultikeyEd25519(strings.TrimPrefix(base, "did:key:"))
		if err != nil {
			c.Status, c.Message = CheckFailed, fmt.Sprintf("kid %s: %v", kid, err)
			return nil, c
		}
		if base == issuerID {
			c.Status, c.Message = CheckOK, "kid is the issuer's did:key"
		} else {
			c.Status, c.Message = CheckFailed, fmt.Sprintf("kid %s is not a key of the issuer %s", kid, issuerID)
		}
		return pub, c
	}
	var tried []string
	if isHTTPURL(kid) && !strings.Contains(kid, "#") {
		// OB 3.0 §8.2: kid is a URI that dereferences to a JWK.
		key, c, err := v.kidJWK(ctx, kid, issuerID)
		if err == nil {
			return key, c
		}
		tried = append(tried, fmt.Sprintf("%s: %v", kid, err))
	}
	for _, u := range jwksURLs(issuerID, kid) {
		set, err := v.fetchJSON(ctx, u)
		if err != nil {
			tried = append(tried, fmt.Sprintf("%s: %v", u, err))
			continue
		}
		for _, x := range asList(set["keys"]) {
			k, _ := x.(map[string]any)
			if str(k, "kid") != kid {
				continue
			}
			b, _ := json.Marshal(k)
			var jwk jose.JSONWebKey
			if err := jwk.UnmarshalJSON(b); err != nil || !jwk.IsPublic() {
				c.Status, c.Message = CheckFailed, fmt.Sprintf("key %s in %s is not a usable public JWK", kid, u)
				return nil, c
			}
			if sameOrigin(u, issuerID) {
				c.Status, c.Message = CheckOK, fmt.Sprintf("signing key is in the issuer's key set %s", u)
			} else {
				c.Status, c.Message = CheckFailed, fmt.Sprintf("key set %s is not on the issuer's host", u)
			}
			return jwk.Key, c
		}
		tried = append(tried, u+": no key with that kid")
	}
	c.Status, c.Message = CheckFailed, fmt.Sprintf("cannot find kid %s (%s): %v", kid, strings.Join(tried, "; "), errNoKey)
	return nil, c
}

// kidJWK dereferences a kid URL to its JWK. The key is bound to the
// issuer when the kid is on the issuer's host. An error means no JWK was
// found there (the caller then looks in the key set).
func (v *verifier) kidJWK(ctx context.Context, kid, issuerID string) (any, Check, error) {
	c := Check{Name: "jwt.key"}
	body, status, err := v.fetchAccept(ctx, kid, mediaJWK+", application/json;q=0.9")
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("HTTP %d", status)
	}
	if err != nil {
		return nil, c, err
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(body); err != nil {
		return nil, c, fmt.Errorf("not a JWK: %v", err)
	}
	if !jwk.IsPublic() || !jwk.Valid() {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("kid %s dereferences to a JWK that is not a public key", kid)
		return nil, c, nil
	}
	if jwk.KeyID != "" && jwk.KeyID != kid {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("kid %s dereferences to a JWK with kid %q", kid, jwk.KeyID)
		return nil, c, nil
	}
	if !sameOrigin(kid, issuerID) {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("kid %s is not on the issuer's host", kid)
		return jwk.Key, c, nil
	}
	c.Status, c.Message = CheckOK, fmt.Sprintf("kid %s dereferences to the signing key (JWK) on the issuer's host", kid)
	return jwk.Key, c, nil
}

// jwksURLs lists where the key set of an issuer may be: beside the
// issuer (badgebot serves /issuer and /.well-known/jwks.json under one
// base URL) and at the issuer's origin.
func jwksURLs(issuerID, kid string) []string {
	var out []string
	add := func(u string) {
		for _, o := range out {
			if o == u {
				return
			}
		}
		out = append(out, u)
	}
	for _, id := range []string{issuerID, strings.SplitN(kid, "#", 2)[0]} {
		u, err := url.Parse(id)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		if i := strings.LastIndex(u.Path, "/"); i > 0 {
			add(u.Scheme + "://" + u.Host + u.Path[:i] + "/.well-known/jwks.json")
		}
		add(u.Scheme + "://" + u.Host + "/.well-known/jwks.json")
	}
	return out
}

// sameOrigin reports whether two URLs share scheme and host.
func sameOrigin(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host)
}

// sameJWK compares two public keys by RFC 7638 thumbprint.
func sameJWK(a, b jose.JSONWebKey) bool {
	ta, err1 := a.Thumbprint(crypto.SHA256)
	tb, err2 := b.Thumbprint(crypto.SHA256)
	return err1 == nil && err2 == nil && string(ta) == string(tb)
}
