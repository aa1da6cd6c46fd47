package issuer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestSignGolden(t *testing.T) {
	is := newTestIssuer(t)
	a := testAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "credential.json", indentJSON(t, a.Credential))
	goldenFile(t, "credential.jwt", []byte(a.JWT+"\n"))

	// Signing is deterministic (Ed25519, RSA PKCS#1 v1.5, fixed clock).
	b := testAward()
	if err := is.Sign(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Credential, b.Credential) || a.JWT != b.JWT {
		t.Fatal("signing the same award twice gave different bytes")
	}
}

func decodeJWTPart(t *testing.T, part string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		t.Fatal(err)
	}
	return readJSONObject(t, b)
}

func TestSignJWTShape(t *testing.T) {
	is := newTestIssuer(t)
	a := testAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(a.JWT, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	_, rk := is.keys.current()
	wantHeader := map[string]any{"alg": "RS256", "kid": is.IssuerID() + "/keys/" + rk.thumb, "typ": "JWT"}
	if diff := cmp.Diff(wantHeader, decodeJWTPart(t, parts[0])); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	payload := decodeJWTPart(t, parts[1])
	cred := readJSONObject(t, a.Credential)
	delete(cred, "proof")
	for k, v := range cred {
		if diff := cmp.Diff(v, payload[k]); diff != "" {
			t.Errorf("payload %s differs from the credential (-cred +payload):\n%s", k, diff)
		}
	}
	if payload["proof"] != nil || payload["sub"] != nil || payload["vc"] != nil {
		t.Errorf("payload has proof/sub/vc: %v", payload)
	}
	if payload["iss"] != is.IssuerID() || payload["jti"] != is.CredentialURL(a.ID) || payload["nbf"] != float64(a.IssuedAt.Unix()) {
		t.Errorf("claims iss=%v jti=%v nbf=%v", payload["iss"], payload["jti"], payload["nbf"])
	}
}

func TestSignKeepsRecipientPrivate(t *testing.T) {
	is := newTestIssuer(t)
	for _, r := range []Recipient{
		{Type: RecipientEmail, Identity: "Alice@Example.org", Salt: "s1"},
		{Type: RecipientURL, Identity: "https://github.com/alice", Salt: "s2"},
	} {
		a := testAward()
		a.Recipient = r
		if err := is.Sign(&a); err != nil {
			t.Fatal(err)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(a.JWT, ".")[1])
		for name, doc := range map[string][]byte{"credential": a.Credential, "jwt": payload, "assertion": is.AssertionOB2(a)} {
			for _, secret := range []string{r.Identity, strings.ToLower(r.Identity), "alice@"} {
				if bytes.Contains(bytes.ToLower(doc), bytes.ToLower([]byte(secret))) {
					t.Errorf("%s for %s contains %q", name, r.Type, secret)
				}
			}
		}
		idf := obj(readJSONObject(t, a.Credential), "credentialSubject")["identifier"].([]any)[0].(map[string]any)
		wantType := map[string]string{RecipientEmail: "emailAddress", RecipientURL: "ext:url"}[r.Type]
		if idf["identityType"] != wantType || idf["hashed"] != true || idf["salt"] != r.Salt {
			t.Errorf("identifier %v", idf)
		}
		plain := r.Identity
		if r.Type == RecipientEmail {
			plain = strings.ToLower(plain)
		}
		if idf["identityHash"] != IdentityHash(plain, r.Salt) {
			t.Errorf("identityHash %v, want %s", idf["identityHash"], IdentityHash(plain, r.Salt))
		}
	}
}

func TestSignRejectsIncompleteAwards(t *testing.T) {
	is := newTestIssuer(t)
	tests := []struct {
		name   string
		change func(a *Award)
	}{
		{"no id", func(a *Award) { a.ID = "" }},
		{"no badge slug", func(a *Award) { a.Badge.Slug = "" }},
		{"no badge name", func(a *Award) { a.Badge.Name = "" }},
		{"no identity", func(a *Award) { a.Recipient.Identity = " " }},
		{"no salt", func(a *Award) { a.Recipient.Salt = "" }},
		{"unknown recipient type", func(a *Award) { a.Recipient.Type = "slack" }},
		{"no issue time", func(a *Award) { a.IssuedAt = time.Time{} }},
		{"negative status index", func(a *Award) { a.StatusIndex = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAward()
			tt.change(&a)
			if err := is.Sign(&a); err == nil || a.Credential != nil || a.JWT != "" {
				t.Fatalf("Sign = %v, credential %d bytes", err, len(a.Credential))
			}
		})
	}
	if err := is.Sign(nil); err == nil {
		t.Fatal("Sign(nil) succeeded")
	}
}

func TestCredentialVariants(t *testing.T) {
	is := newTestIssuer(t)
	tests := []struct {
		name   string
		change func(a *Award)
		check  func(t *testing.T, cred map[string]any)
	}{
		{"no evidence: field omitted", func(a *Award) { a.Evidence = nil }, func(t *testing.T, c map[string]any) {
			if _, ok := c["evidence"]; ok {
				t.Error("evidence present")
			}
		}},
		{"evidence without URL: blank node", func(a *Award) {
			a.Evidence = []Evidence{{Narrative: "Nominated by bob: great reviews", Genre: "Nomination"}}
		}, func(t *testing.T, c map[string]any) {
			ev := c["evidence"].([]any)[0].(map[string]any)
			if _, ok := ev["id"]; ok || ev["narrative"] == nil {
				t.Errorf("evidence %v", ev)
			}
		}},
		{"svg artwork", func(a *Award) { a.Badge.Image, a.Badge.ImageType = []byte("<svg/>"), "image/svg+xml" }, func(t *testing.T, c map[string]any) {
			img := obj(obj(obj(c, "credentialSubject"), "achievement"), "image")
			if img["id"] != "https://badges.example.org/badges/first-pr/image.svg" {
				t.Errorf("image %v", img)
			}
		}},
		{"second status list", func(a *Award) { a.StatusIndex = StatusListSize + 5 }, func(t *testing.T, c map[string]any) {
			st := obj(c, "credentialStatus")
			if st["statusListCredential"] != "https://badges.example.org/status/2" || st["statusListIndex"] != "5" {
				t.Errorf("status %v", st)
			}
		}},
		{"criteria falls back to description", func(a *Award) { a.Badge.Criteria = "" }, func(t *testing.T, c map[string]any) {
			cr := obj(obj(obj(c, "credentialSubject"), "achievement"), "criteria")
			if cr["narrative"] != "Had a first pull request merged." {
				t.Errorf("criteria %v", cr)
			}
		}},
		{"markup stays inert for SVG CDATA baking", func(a *Award) { a.Narrative = "x]]><script>" }, func(t *testing.T, c map[string]any) {
			if obj(c, "credentialSubject")["narrative"] != "x]]><script>" {
				t.Error("narrative changed")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := testAward()
			tt.change(&a)
			if err := is.Sign(&a); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(a.Credential, []byte("]]>")) {
				t.Error("credential contains ]]>, which would end an SVG CDATA section")
			}
			tt.check(t, readJSONObject(t, a.Credential))
			rep, err := is.Verify(t.Context(), a.Credential, VerifyOptions{Docs: is.verifyDocs(t, nil), Now: testNow})
			if err != nil || !rep.Valid() {
				t.Fatalf("Verify: %v %+v", err, rep)
			}
		})
	}
}

func TestAchievementDocument(t *testing.T) {
	is := newTestIssuer(t)
	doc := is.AchievementDocument(testAchievement())
	goldenFile(t, "achievement.json", indentJSON(t, doc))
	if _, err := newCanonicalizer().Canonicalize(readJSONObject(t, doc)); err != nil {
		t.Fatalf("achievement is not valid JSON-LD in safe mode: %v", err)
	}
}

func TestNewValidatesProfile(t *testing.T) {
	k := newTestKeyRing(t)
	for _, p := range []Profile{
		{BaseURL: "", Name: "x"},
		{BaseURL: "ftp://example.org", Name: "x"},
		{BaseURL: "https://example.org?x=1", Name: "x"},
		{BaseURL: "/relative", Name: "x"},
		{BaseURL: "https://example.org", Name: " "},
	} {
		if _, err := New(p, k); err == nil {
			t.Errorf("New(%+v) succeeded", p)
		}
	}
	if _, err := New(testProfile, nil); err == nil {
		t.Error("New without keys succeeded")
	}
	is, err := New(Profile{BaseURL: "https://example.org/badges/", Name: "x"}, k)
	if err != nil {
		t.Fatal(err)
	}
	if is.IssuerID() != "https://example.org/badges/issuer" || is.Profile().URL != "https://example.org/badges" {
		t.Errorf("IssuerID %s, URL %s", is.IssuerID(), is.Profile().URL)
	}
}

func TestURLs(t *testing.T) {
	is := newTestIssuer(t)
	got := []string{
		is.IssuerID(), is.ProfileOB2URL(), is.AchievementURL("first-pr"), is.BadgeClassURL("first-pr"),
		is.ImageURL(testAchievement()), is.AwardURL("a1"), is.CredentialURL("a1"), is.CredentialJWTURL("a1"),
		is.StatusListURL(3), is.RevocationListURL(), is.JWKSURL(), is.AchievementURL("a b/c"),
	}
	want := []string{
		"https://badges.example.org/issuer",
		"https://badges.example.org/issuer?format=ob2",
		"https://badges.example.org/badges/first-pr",
		"https://badges.example.org/badges/first-pr?format=ob2",
		"https://badges.example.org/badges/first-pr/image.png",
		"https://badges.example.org/awards/a1",
		"https://badges.example.org/awards/a1/credential.json",
		"https://badges.example.org/awards/a1/credential.jwt",
		"https://badges.example.org/status/3",
		"https://badges.example.org/revocations",
		"https://badges.example.org/.well-known/jwks.json",
		"https://badges.example.org/badges/a%20b%2Fc",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("URLs (-want +got):\n%s", diff)
	}
	for si, want := range map[int][2]int{0: {1, 0}, 131071: {1, 131071}, 131072: {2, 0}, 300000: {3, 300000 - 2*131072}} {
		if l, i := StatusListPosition(si); l != want[0] || i != want[1] {
			t.Errorf("StatusListPosition(%d) = %d, %d; want %v", si, l, i, want)
		}
	}
}

// TestSignRefusesControlCharacters: text holding a control character
// other than tab, newline and carriage return is refused, in every text
// field, since its proof would not verify elsewhere; CleanText removes
// exactly those.
func TestSignRefusesControlCharacters(t *testing.T) {
	is := newTestIssuer(t)
	for name, spoil := range map[string]func(a *Award){
		"narrative":      func(a *Award) { a.Narrative = "bell\x07" },
		"badge name":     func(a *Award) { a.Badge.Name = "Bug\x00Hunter" },
		"criteria":       func(a *Award) { a.Badge.Criteria = "del\x7f" },
		"evidence name":  func(a *Award) { a.Evidence[0].Name = "PR\f#1" },
		"evidence genre": func(a *Award) { a.Evidence[0].Genre = "c1\u0085" },
	} {
		a := testAward()
		spoil(&a)
		if err := is.SignCredential(&a); err == nil || !strings.Contains(err.Error(), "control character") {
			t.Errorf("%s: SignCredential = %v, want a refusal", name, err)
		}
	}
	a := testAward()
	a.Narrative = "tab\there\r\nand ünïcode 例え"
	if err := is.SignCredential(&a); err != nil {
		t.Errorf("tab, newline, carriage return and Unicode: %v", err)
	}
	if got := CleanText("tab\there, bell\x07 bs\b ff\f del\x7f nul\x00 c1\u0085 end\r\n"); got != "tab\there, bell bs ff del nul c1 end\r\n" {
		t.Errorf("CleanText = %q", got)
	}
}
