package issuer

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// newTestProgram adds the "docs" program, with a colour and a PNG logo,
// to is.
func newTestProgram(t testing.TB, is *Issuer) *Issuer {
	t.Helper()
	p, err := is.AddProgram(Program{
		Slug: "docs", Name: "Docs Team", URL: "https://docs.example.org",
		Description: "Recognising the people who write our documentation.",
		Color:       "#0b6e4f", Logo: tinyPNG(t), LogoType: "image/png",
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testProgramAward is testAward of a badge of the docs program.
func testProgramAward() Award {
	a := testAward()
	a.ID, a.Program = "d0c5a1", "docs"
	a.Badge = Achievement{Slug: "docs-star", Name: "Docs Star", Description: "Wrote a page of the manual.",
		Criteria: "Get a documentation page merged.", Program: "docs"}
	return a
}

// TestProgramGolden pins a program's documents: its Profile (the
// controller document of the keys it signs with, parentOrg the
// instance), the Achievement of one of its badges (creator the program),
// a credential it issued and its OB 2.0 profile and BadgeClass.
func TestProgramGolden(t *testing.T) {
	is := newTestIssuer(t)
	p := newTestProgram(t, is)
	a := testProgramAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "program-profile.json", indentJSON(t, p.ProfileDocument()))
	goldenFile(t, "program-achievement.json", indentJSON(t, is.AchievementDocument(a.Badge)))
	goldenFile(t, "program-credential.json", indentJSON(t, a.Credential))
	goldenFile(t, "program-credential.jwt", []byte(a.JWT+"\n"))
	goldenFile(t, "program-ob2-profile.json", indentJSON(t, p.ProfileOB2()))
	goldenFile(t, "program-ob2-badgeclass.json", indentJSON(t, is.BadgeClassOB2(a.Badge)))

	var c struct {
		Issuer struct {
			ID        string `json:"id"`
			ParentOrg struct {
				ID string `json:"id"`
			} `json:"parentOrg"`
		} `json:"issuer"`
		Subject struct {
			Achievement struct {
				Creator struct {
					ID string `json:"id"`
				} `json:"creator"`
			} `json:"achievement"`
		} `json:"credentialSubject"`
		Status struct {
			List string `json:"statusListCredential"`
		} `json:"credentialStatus"`
		Proof []struct {
			VM string `json:"verificationMethod"`
		} `json:"proof"`
	}
	if err := json.Unmarshal(a.Credential, &c); err != nil {
		t.Fatal(err)
	}
	ed, rk := is.keys.current()
	want := "https://badges.example.org/programs/docs"
	switch {
	case c.Issuer.ID != want, c.Issuer.ParentOrg.ID != is.IssuerID():
		t.Errorf("issuer %s, parentOrg %s; want %s, %s", c.Issuer.ID, c.Issuer.ParentOrg.ID, want, is.IssuerID())
	case c.Subject.Achievement.Creator.ID != want:
		t.Errorf("achievement creator %s, want %s", c.Subject.Achievement.Creator.ID, want)
	case c.Status.List != want+"/status/1":
		t.Errorf("status list %s, want the program's", c.Status.List)
	case len(c.Proof) != 1 || c.Proof[0].VM != want+"/keys/"+ed.multibase:
		t.Errorf("proof %+v: want the key under the program's URL", c.Proof)
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(a.JWT, ".")[0])
	if !strings.Contains(string(hdr), `"kid":"`+want+`/keys/`+rk.thumb+`"`) {
		t.Errorf("VC-JWT header %s: want the kid under the program's URL", hdr)
	}
	// The instance's own documents do not change when programs exist,
	// but its JWKS lists the programs' kids too.
	inst := testAward()
	if err := is.Sign(&inst); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "credential.json", indentJSON(t, inst.Credential))
	goldenFile(t, "profile.json", indentJSON(t, is.ProfileDocument()))
	if !strings.Contains(string(is.JWKS()), `"kid":"`+want+`/keys/`+rk.thumb+`"`) {
		t.Error("the JWKS lacks the program's kid")
	}
}

// TestProgramCredentialVerifies: a program's credential verifies against
// the program's profile, key documents and status list, as any verifier
// would fetch them, with each key's controller the credential's issuer.
func TestProgramCredentialVerifies(t *testing.T) {
	is := newTestIssuer(t)
	p := newTestProgram(t, is)
	a := testProgramAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	docs := p.verifyDocs(t, nil)
	docs[is.JWKSURL()] = is.JWKS()
	for name, input := range map[string][]byte{"credential": a.Credential, "VC-JWT": []byte(a.JWT)} {
		rep, err := Verify(t.Context(), input, VerifyOptions{Docs: docs, Now: testNow, Recipient: "alice@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Valid() || rep.Issuer != p.IssuerID() {
			t.Errorf("%s: valid %v, issuer %s", name, rep.Valid(), rep.Issuer)
		}
		for _, c := range rep.Checks {
			if c.Status != CheckOK {
				t.Errorf("%s: check %+v", name, c)
			}
		}
	}
	// Revoked: the program's own status list says so.
	docs = p.verifyDocs(t, []int{a.StatusIndex})
	docs[is.JWKSURL()] = is.JWKS()
	rep, err := Verify(t.Context(), a.Credential, VerifyOptions{Docs: docs, Now: testNow})
	if err != nil || rep.Valid() {
		t.Fatalf("revoked program credential: valid %v, %v", rep.Valid(), err)
	}

	// The key document under the program's URL names the program as its
	// controller; the program's profile lists it as an assertionMethod.
	ed, _ := is.keys.current()
	kd, _, ok := p.KeyDocument(ed.multibase, false)
	if !ok || !bytes.Contains(kd, []byte(`"controller":"`+p.IssuerID()+`"`)) || !bytes.Contains(kd, []byte(`"id":"`+p.KeyURL(ed.multibase)+`"`)) {
		t.Errorf("program key document %s", kd)
	}
	if !bytes.Contains(p.ProfileDocument(), []byte(`"assertionMethod":["`+p.KeyURL(ed.multibase)+`"]`)) {
		t.Errorf("program profile %s does not list its key", p.ProfileDocument())
	}
	// A program's OB 2.0 assertion verifies through its BadgeClass and
	// profile.
	ob2 := map[string][]byte{
		is.AwardURL(a.ID):              is.AssertionOB2(a),
		is.BadgeClassURL(a.Badge.Slug): is.BadgeClassOB2(a.Badge),
		p.ProfileOB2URL():              p.ProfileOB2(),
	}
	rep, err = Verify(t.Context(), is.AssertionOB2(a), VerifyOptions{Docs: ob2, Recipient: "alice@example.org"})
	if err != nil || !rep.Valid() || rep.Issuer != p.ProfileOB2URL() {
		t.Fatalf("program OB 2.0 assertion: %+v, %v", rep, err)
	}
}

// TestProgramRevocationList: a program's OB 2.0 revocation list lists
// only its own revoked awards, the instance's only the instance's.
func TestProgramRevocationList(t *testing.T) {
	is := newTestIssuer(t)
	p := newTestProgram(t, is)
	revs := []Revocation{{AwardID: "inst", StatusIndex: 1}, {AwardID: "prog", Program: "docs", StatusIndex: 2}}
	if got := string(p.RevocationListOB2(revs)); !strings.Contains(got, "/awards/prog") || strings.Contains(got, "/awards/inst") || !strings.Contains(got, `"issuer":"`+p.ProfileOB2URL()+`"`) {
		t.Errorf("program revocation list %s", got)
	}
	if got := string(is.RevocationListOB2(revs)); strings.Contains(got, "/awards/prog") || !strings.Contains(got, "/awards/inst") {
		t.Errorf("instance revocation list %s", got)
	}
}

func TestAddProgramRefuses(t *testing.T) {
	is := newTestIssuer(t)
	newTestProgram(t, is)
	for name, p := range map[string]Program{
		"bad slug":     {Slug: "Docs", Name: "x"},
		"twice":        {Slug: "docs", Name: "x"},
		"no name":      {Slug: "forum", Name: " \x07"},
		"bad colour":   {Slug: "forum", Name: "x", Color: "red;}body{display:none"},
		"logo type":    {Slug: "forum", Name: "x", Logo: []byte("GIF89a"), LogoType: "image/gif"},
		"on a program": {Slug: "sub", Name: "x"},
	} {
		target := is
		if name == "on a program" {
			target, _ = is.Program("docs")
		}
		if _, err := target.AddProgram(p); err == nil {
			t.Errorf("%s: AddProgram(%+v) succeeded", name, p)
		}
	}
	if len(is.Programs()) != 1 {
		t.Errorf("%d programs after refusals, want 1", len(is.Programs()))
	}
}

// TestSignUnknownProgram: an award naming a program the issuer does not
// have is refused rather than signed by someone else.
func TestSignUnknownProgram(t *testing.T) {
	is := newTestIssuer(t)
	a := testProgramAward()
	if err := is.SignCredential(&a); err == nil || !strings.Contains(err.Error(), `no program "docs"`) {
		t.Fatalf("SignCredential = %v, want no program", err)
	}
}

// TestObverifyProgram runs the independent verifier (and the 1EdTech
// JSON Schema in it) on a program's credential and VC-JWT, with the
// documents at the program's URLs.
func TestObverifyProgram(t *testing.T) {
	dir := os.Getenv("OBVERIFY_DIR")
	if dir == "" {
		t.Skip("OBVERIFY_DIR not set (see TestObverify)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	is := newTestIssuer(t)
	p := newTestProgram(t, is)
	a := testProgramAward()
	if err := is.Sign(&a); err != nil {
		t.Fatal(err)
	}
	write := testFiles(t)
	status, err := p.StatusList(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := p.StatusList(1, []int{a.StatusIndex})
	if err != nil {
		t.Fatal(err)
	}
	docs := issuerDocs(p, write)
	tests := []struct {
		name, file, status, mustSay string
		exit, maxWarns              int
	}{
		{"credential", write("credential.json", a.Credential), write("status.json", status), "valid against ob_v3p0_achievementcredential_schema", 0, 0},
		{"VC-JWT", write("credential.jwt", []byte(a.JWT)), write("status2.json", status), "signing key is in", 0, 1},
		{"revoked", write("credential2.json", a.Credential), write("status-revoked.json", revoked), "REVOKED", 1, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify.mjs", tt.file, "--json", "--now", "2026-11-26T12:00:00Z",
				"--doc", p.StatusListURL(1) + "=" + tt.status}, docs...)
			runObverify(t, node, dir, args, tt.exit, tt.maxWarns, tt.mustSay)
		})
	}
}
