package issuer

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/badgebot/badgebot/issuer/bake"
)

// statuses returns the status of each named check (last one wins).
func statuses(rep *Report) map[string]CheckStatus {
	m := map[string]CheckStatus{}
	for _, c := range rep.Checks {
		m[c.Name] = c.Status
	}
	return m
}

func tinyPNG(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const tinySVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>`

// tamperJSON changes the badge name inside a signed credential.
func tamperJSON(b []byte) []byte {
	return bytes.Replace(b, []byte(`"name":"First Pull Request"`), []byte(`"name":"Last Pull Request"`), 1)
}

// tamperJWT changes the payload of a compact JWS, keeping its signature.
func tamperJWT(t testing.TB, token string) string {
	parts := strings.Split(token, ".")
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(tamperJSON(p))
	return strings.Join(parts, ".")
}

// signDIDKey signs a credential as a did:key issuer would (another issuer).
func signDIDKey(t testing.TB, key ed25519.PrivateKey, issuerDID string, mutate func(m map[string]any)) []byte {
	t.Helper()
	pub := MultikeyEd25519(key.Public().(ed25519.PublicKey))
	did := "did:key:" + pub
	if issuerDID == "" {
		issuerDID = did
	}
	cred := map[string]any{
		"@context":  []any{ContextCredentialsV2, ContextOB303},
		"id":        "urn:uuid:6a8f4ec6-6b6d-4e1e-9b84-1f0c2d1b2c3d",
		"type":      []any{"VerifiableCredential", "OpenBadgeCredential"},
		"issuer":    map[string]any{"id": issuerDID, "type": []any{"Profile"}, "name": "Other Org"},
		"validFrom": "2025-01-01T00:00:00Z",
		"name":      "Other badge",
		"credentialSubject": map[string]any{
			"id":   "did:example:holder",
			"type": []any{"AchievementSubject"},
			"achievement": map[string]any{
				"id": "https://other.example/achievements/1", "type": []any{"Achievement"},
				"name": "One", "description": "The first.", "criteria": map[string]any{"narrative": "Do it."},
			},
		},
	}
	if mutate != nil {
		mutate(cred)
	}
	p, err := newCanonicalizer().signDataIntegrity(cred, key, did+"#"+pub, "2025-01-01T00:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	cred["proof"] = []any{p}
	b, err := json.Marshal(cred)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerify(t *testing.T) {
	is := newTestIssuer(t)
	a := testAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	docs := is.verifyDocs(t, []int{7})
	revokedDocs := is.verifyDocs(t, []int{7, 42})
	is.statusCache = map[int]statusEntry{} // the next test reads list 1 afresh

	// an impostor signs our credential with its own key, named in the fragment
	impostor := newTestIssuer(t)
	impostor.keys.ed[0] = newEdKey("", testNow, testEdKey("impostor"))
	forged := testAward()
	if err := impostor.Sign(&forged); err != nil {
		t.Fatal(err)
	}

	otherKey := testEdKey("other org")
	didCred := signDIDKey(t, otherKey, "", nil)
	didWrongIssuer := signDIDKey(t, otherKey, "did:key:"+MultikeyEd25519(testEdKey("x").Public().(ed25519.PublicKey)), nil)

	pngCred, err := bake.PNG(tinyPNG(t), bake.KeywordOB3, string(a.Credential))
	if err != nil {
		t.Fatal(err)
	}
	pngJWT, err := bake.PNG(tinyPNG(t), bake.KeywordOB3, a.JWT)
	if err != nil {
		t.Fatal(err)
	}
	svgCred, err := bake.SVG([]byte(tinySVG), bake.VersionOB3, string(a.Credential))
	if err != nil {
		t.Fatal(err)
	}
	svgTampered, err := bake.SVG([]byte(tinySVG), bake.VersionOB3, string(tamperJSON(a.Credential)))
	if err != nil {
		t.Fatal(err)
	}
	svgJWT, err := bake.SVG([]byte(tinySVG), bake.VersionOB3, a.JWT)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		input  []byte
		opt    VerifyOptions
		valid  bool
		format string
		want   map[string]CheckStatus // checks that must have this status
	}{
		{"credential, online", a.Credential, VerifyOptions{Docs: docs}, true, "json",
			map[string]CheckStatus{"model": CheckOK, "jsonld": CheckOK, "dates": CheckOK, "proof": CheckOK, "proof.key": CheckOK, "status": CheckOK, "status.proof": CheckOK, "status.proof.key": CheckOK}},
		{"VC-JWT, online", []byte(a.JWT), VerifyOptions{Docs: docs}, true, "jwt",
			map[string]CheckStatus{"jwt.header": CheckOK, "jwt": CheckOK, "jwt.key": CheckOK, "jwt.claims": CheckOK, "model": CheckOK, "jsonld": CheckOK, "status": CheckOK}},
		{"credential, offline: key from the fragment", a.Credential, VerifyOptions{}, true, "json",
			map[string]CheckStatus{"proof": CheckOK, "proof.key": CheckSkipped, "status": CheckSkipped}},
		{"VC-JWT, offline: kid cannot be resolved", []byte(a.JWT), VerifyOptions{}, false, "jwt",
			map[string]CheckStatus{"jwt": CheckFailed}},
		{"credential, recipient matches (any case)", a.Credential, VerifyOptions{Docs: docs, Recipient: "Alice@Example.ORG"}, true, "json",
			map[string]CheckStatus{"recipient": CheckOK}},
		{"credential, other recipient", a.Credential, VerifyOptions{Docs: docs, Recipient: "bob@example.org"}, false, "json",
			map[string]CheckStatus{"recipient": CheckFailed}},
		{"credential tampered", tamperJSON(a.Credential), VerifyOptions{Docs: docs}, false, "json",
			map[string]CheckStatus{"proof": CheckFailed}},
		{"VC-JWT tampered", []byte(tamperJWT(t, a.JWT)), VerifyOptions{Docs: docs}, false, "jwt",
			map[string]CheckStatus{"jwt": CheckFailed}},
		{"credential revoked", a.Credential, VerifyOptions{Docs: revokedDocs}, false, "json",
			map[string]CheckStatus{"proof": CheckOK, "status": CheckFailed}},
		{"VC-JWT revoked", []byte(a.JWT), VerifyOptions{Docs: revokedDocs}, false, "jwt",
			map[string]CheckStatus{"jwt": CheckOK, "status": CheckFailed}},
		{"not yet valid", a.Credential, VerifyOptions{Docs: docs, Now: a.IssuedAt.Add(-time.Hour)}, false, "json",
			map[string]CheckStatus{"dates": CheckFailed}},
		{"forged key, profile available", forged.Credential, VerifyOptions{Docs: docs}, false, "json",
			map[string]CheckStatus{"proof": CheckFailed, "proof.key": CheckFailed}},
		{"forged key, offline: signature holds, provenance unproven", forged.Credential, VerifyOptions{}, true, "json",
			map[string]CheckStatus{"proof": CheckOK, "proof.key": CheckSkipped}},
		{"other issuer, did:key, offline", didCred, VerifyOptions{}, true, "json",
			map[string]CheckStatus{"proof": CheckOK, "proof.key": CheckOK}},
		{"did:key of someone else than the issuer", didWrongIssuer, VerifyOptions{}, false, "json",
			map[string]CheckStatus{"proof.key": CheckFailed}},
		{"baked PNG, credential", pngCred, VerifyOptions{Docs: docs}, true, "png",
			map[string]CheckStatus{"baking": CheckOK, "proof": CheckOK, "status": CheckOK}},
		{"baked PNG, VC-JWT", pngJWT, VerifyOptions{Docs: docs}, true, "png",
			map[string]CheckStatus{"baking": CheckOK, "jwt": CheckOK}},
		{"baked SVG, credential", svgCred, VerifyOptions{Docs: docs}, true, "svg",
			map[string]CheckStatus{"baking": CheckOK, "proof": CheckOK}},
		{"baked SVG, tampered", svgTampered, VerifyOptions{Docs: docs}, false, "svg",
			map[string]CheckStatus{"proof": CheckFailed}},
		{"baked SVG, VC-JWT", svgJWT, VerifyOptions{Docs: docs}, true, "svg",
			map[string]CheckStatus{"jwt": CheckOK}},
		{"no proof at all", bytes.Replace(a.Credential, []byte(`"proof":`), []byte(`"proofX":`), 1), VerifyOptions{Docs: docs}, false, "json",
			map[string]CheckStatus{"proof": CheckFailed, "jsonld": CheckFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opt.Now.IsZero() {
				tt.opt.Now = testNow
			}
			rep, err := Verify(t.Context(), tt.input, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Valid() != tt.valid || rep.Format != tt.format {
				t.Errorf("Valid() = %v (format %s), want %v (%s)", rep.Valid(), rep.Format, tt.valid, tt.format)
			}
			got := statuses(rep)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("check %s = %q, want %q", name, got[name], want)
				}
			}
			if t.Failed() {
				for _, c := range rep.Checks {
					t.Logf("%-8s %-16s %s", c.Status, c.Name, c.Message)
				}
			}
		})
	}
}

func TestVerifyUnusableInput(t *testing.T) {
	for _, in := range []string{"", "hello", "[1,2]", "{not json", "a.b", "\x89PNG\r\n\x1a\nbroken", "<svg", strings.Repeat("x", MaxVerifyInput+1)} {
		rep, err := Verify(t.Context(), []byte(in), VerifyOptions{})
		if !errors.Is(err, ErrUnusableInput) || rep != nil {
			t.Errorf("Verify(%.20q) = %v, %v; want ErrUnusableInput", in, rep, err)
		}
	}
}

// TestVerifyOnline serves the issuer's documents over HTTP and lets
// Verify fetch them, as `badgebot verify URL` does.
func TestVerifyOnline(t *testing.T) {
	var is *Issuer
	revoked := map[string]bool{}
	var awards = map[string]Award{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case path == "/issuer" && r.URL.Query().Get("format") == "ob2":
			w.Write(is.ProfileOB2())
		case path == "/issuer":
			w.Write(is.ProfileDocument())
		case path == "/.well-known/jwks.json":
			w.Write(is.JWKS())
		case strings.HasPrefix(path, "/issuer/keys/"):
			b, _, ok := is.KeyDocument(strings.TrimPrefix(path, "/issuer/keys/"), r.Header.Get("Accept") == "application/jwk+json")
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Write(b)
		case path == "/status/1":
			var idx []int
			for id := range revoked {
				idx = append(idx, awards[id].StatusIndex)
			}
			b, err := is.StatusList(1, idx)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Write(b)
		case path == "/badges/first-pr" && r.URL.Query().Get("format") == "ob2":
			w.Write(is.BadgeClassOB2(testAchievement()))
		case strings.HasPrefix(path, "/awards/"):
			id := strings.TrimPrefix(path, "/awards/")
			a, ok := awards[id]
			if !ok {
				http.NotFound(w, r)
				return
			}
			if revoked[id] {
				a.Revoked, a.RevocationReason = true, "mistake"
				w.WriteHeader(http.StatusGone)
			}
			w.Write(is.AssertionOB2(a))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	p := testProfile
	p.BaseURL = srv.URL
	var err error
	if is, err = New(p, newTestKeyRing(t)); err != nil {
		t.Fatal(err)
	}
	is.now = func() time.Time { return testNow }
	a := testAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	awards[a.ID] = a
	opt := VerifyOptions{Client: srv.Client(), Now: testNow}
	ctx := context.Background()

	check := func(name string, input []byte, valid bool, want map[string]CheckStatus) {
		t.Helper()
		rep, err := Verify(ctx, input, opt)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := statuses(rep)
		bad := rep.Valid() != valid
		for n, s := range want {
			bad = bad || got[n] != s
		}
		if bad {
			t.Errorf("%s: Valid() = %v, want %v; checks:", name, rep.Valid(), valid)
			for _, c := range rep.Checks {
				t.Logf("  %-8s %-16s %s", c.Status, c.Name, c.Message)
			}
		}
	}
	check("credential", a.Credential, true, map[string]CheckStatus{"proof.key": CheckOK, "status": CheckOK})
	check("VC-JWT", []byte(a.JWT), true, map[string]CheckStatus{"jwt.key": CheckOK, "status": CheckOK})
	check("OB 2.0 assertion URL", []byte(is.AwardURL(a.ID)), true, map[string]CheckStatus{"hosted": CheckOK, "ob2.badge": CheckOK, "ob2.issuer": CheckOK})
	ob2png, err := bake.PNG(tinyPNG(t), bake.KeywordOB2, is.AwardURL(a.ID))
	if err != nil {
		t.Fatal(err)
	}
	check("OB 2.0 baked URL", ob2png, true, map[string]CheckStatus{"hosted": CheckOK})

	revoked[a.ID] = true
	check("revoked credential", a.Credential, false, map[string]CheckStatus{"proof": CheckOK, "status": CheckFailed})
	check("revoked assertion (410)", is.AssertionOB2(a), false, map[string]CheckStatus{"hosted": CheckFailed})
	check("revoked assertion URL", []byte(is.AwardURL(a.ID)), false, map[string]CheckStatus{"revoked": CheckFailed})
}
