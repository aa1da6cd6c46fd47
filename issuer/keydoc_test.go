package issuer

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/badgebot/badgebot/issuer/bake"
	"github.com/go-jose/go-jose/v4"
)

// loopback serves the fixture's routes over HTTPS on 127.0.0.1 and
// returns a client that sends every request, whatever its host, to that
// server over TCP (the fixture's base URL is https://badges.example.org,
// so the test certificate's name is not checked).
func loopback(t *testing.T, f *httpFixture) *http.Client {
	t.Helper()
	srv := httptest.NewTLSServer(f.mux)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.InsecureSkipVerify = true
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// fetch GETs u with the client and decodes the JSON object it answers.
func fetchObject(t *testing.T, c *http.Client, u, accept string) (map[string]any, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("GET %s: %v\n%s", u, err, body)
		}
	}
	return m, resp
}

// TestVerificationMethodDereferences: the proof's verificationMethod,
// fetched over HTTP as a wallet's document loader fetches it, is the
// Multikey document of the signing key, controlled by the issuer, whose
// controller document lists it in verificationMethod and assertionMethod.
func TestVerificationMethodDereferences(t *testing.T) {
	f := newHTTPFixture(t)
	c := loopback(t, f)
	a := f.award("a1b2c3")
	var cred struct {
		Proof []dataIntegrityProof `json:"proof"`
	}
	if err := json.Unmarshal(a.Credential, &cred); err != nil || len(cred.Proof) != 1 {
		t.Fatalf("credential: %v", err)
	}
	vm := cred.Proof[0].VerificationMethod
	ed, _ := f.is.keys.current()
	if want := f.is.IssuerID() + "/keys/" + ed.multibase; vm != want {
		t.Fatalf("verificationMethod %s, want %s", vm, want)
	}
	doc, resp := fetchObject(t, c, vm, "application/ld+json, application/json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != mediaJSONLD {
		t.Fatalf("GET %s: %d %s", vm, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	want := map[string]any{
		"@context": ContextMultikeyV1, "id": vm, "type": "Multikey",
		"controller": f.is.IssuerID(), "publicKeyMultibase": ed.multibase,
	}
	for k, v := range want {
		if doc[k] != v {
			t.Errorf("key document %s = %v, want %v", k, doc[k], v)
		}
	}
	prof, _ := fetchObject(t, c, f.is.IssuerID(), "application/ld+json")
	if !slices.Contains(asList(prof["assertionMethod"]), any(vm)) {
		t.Errorf("/issuer assertionMethod %v lacks %s", prof["assertionMethod"], vm)
	}
	listed := false
	for _, x := range asList(prof["verificationMethod"]) {
		m, _ := x.(map[string]any)
		listed = listed || (str(m, "id") == vm && str(m, "publicKeyMultibase") == ed.multibase && str(m, "controller") == f.is.IssuerID())
	}
	if !listed {
		t.Errorf("/issuer verificationMethod lacks %s", vm)
	}
	// Asked for a JWK, the same URL gives the key as an OKP JWK.
	if j, resp := fetchObject(t, c, vm, mediaJWK); resp.Header.Get("Content-Type") != mediaJWK || j["kty"] != "OKP" || j["x"] != b64url(ed.pub) {
		t.Errorf("GET %s as JWK: %s %v", vm, resp.Header.Get("Content-Type"), j)
	}
	if _, resp := fetchObject(t, c, f.is.IssuerID()+"/keys/z6MkNoSuchKey", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown key: %d, want 404", resp.StatusCode)
	}
}

// TestJWTKidDereferences verifies the VC-JWT as a verifier that follows
// kid does (OB 3.0 §8.2: kid dereferences to a JWK) and as one that reads
// /.well-known/jwks.json does.
func TestJWTKidDereferences(t *testing.T) {
	f := newHTTPFixture(t)
	c := loopback(t, f)
	a := f.award("a1b2c3")
	jws, err := jose.ParseSignedCompact(a.JWT, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	kid := jws.Signatures[0].Protected.KeyID
	if !strings.HasPrefix(kid, f.is.IssuerID()+"/keys/") {
		t.Fatalf("kid %s is not a key URL", kid)
	}
	verifyWith := func(how string, m map[string]any) {
		t.Helper()
		b, _ := json.Marshal(m)
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(b); err != nil || !k.IsPublic() {
			t.Fatalf("%s: not a public JWK: %v %s", how, err, b)
		}
		if _, err := jws.Verify(k); err != nil {
			t.Errorf("%s: VC-JWT does not verify: %v", how, err)
		}
	}
	j, resp := fetchObject(t, c, kid, "application/jwk+json, application/json")
	if resp.StatusCode != http.StatusOK || j["kty"] != "RSA" || j["kid"] != kid {
		t.Fatalf("GET kid %s: %d %v", kid, resp.StatusCode, j)
	}
	verifyWith("key at kid", j)
	// A client that asks for nothing in particular gets the JWK too.
	if j2, _ := fetchObject(t, c, kid, ""); j2["kty"] != "RSA" {
		t.Errorf("GET kid without Accept: %v", j2)
	}
	set, _ := fetchObject(t, c, f.is.JWKSURL(), "")
	found := false
	for _, x := range asList(set["keys"]) {
		if m, _ := x.(map[string]any); str(m, "kid") == kid {
			verifyWith("key from the JWKS", m)
			found = true
		}
	}
	if !found {
		t.Errorf("JWKS lacks kid %s", kid)
	}
	// Our verifier follows kid too.
	rep, err := f.is.Verify(t.Context(), []byte(a.JWT), VerifyOptions{Client: c, Now: testNow})
	if err != nil || !rep.Complete() {
		t.Fatalf("Verify: %v %+v", err, rep)
	}
	if m := checkMessage(rep, "jwt.key"); !strings.Contains(m, "dereferences to the signing key") {
		t.Errorf("jwt.key: %s", m)
	}
}

func checkMessage(rep *Report, name string) string {
	for _, c := range rep.Checks {
		if c.Name == name {
			return string(c.Status) + ": " + c.Message
		}
	}
	return ""
}

// TestLegacyKeyIDsKeepVerifying: a credential and a VC-JWT signed before
// keys had their own URLs (verificationMethod …/issuer#z6Mk…, kid
// …/issuer#thumbprint; testdata/legacy-*, signed by the test keys) still
// verify against the hosted documents, every check made.
func TestLegacyKeyIDsKeepVerifying(t *testing.T) {
	f := newHTTPFixture(t)
	f.is.keys = newTestKeyRing(t) // the keys testdata/legacy-* were signed with
	c := loopback(t, f)
	for _, name := range []string{"legacy-credential.json", "legacy-credential.jwt"} {
		in, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(in), "/issuer#") && !strings.HasSuffix(name, ".jwt") {
			t.Fatalf("%s is not signed the old way", name)
		}
		rep, err := f.is.Verify(t.Context(), in, VerifyOptions{Client: c, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Complete() {
			t.Errorf("%s:", name)
			for _, ch := range rep.Checks {
				t.Logf("  %-8s %-12s %s", ch.Status, ch.Name, ch.Message)
			}
		}
	}
}

// TestBakedOB2SVGVerify: the OB 2.0 baked SVG names the hosted assertion
// in verify (Baking 2.0) and carries the assertion in its body.
func TestBakedOB2SVGVerify(t *testing.T) {
	f := newHTTPFixture(t)
	w := f.get("/awards/a1b2c3/badge.svg?format=ob2", "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET: %d", w.Code)
	}
	want := `<openbadges:assertion verify="` + f.is.AwardURL("a1b2c3") + `">`
	if !strings.Contains(w.Body.String(), want) {
		t.Fatalf("baked SVG lacks %s", want)
	}
	b, err := bake.Extract(w.Body.Bytes())
	if err != nil || b.Version != bake.VersionOB2 || b.Text != string(f.is.AssertionOB2(f.award("a1b2c3"))) {
		t.Fatalf("Extract: %v %+v", err, b)
	}
}
