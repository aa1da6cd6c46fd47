package storage

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSigningKeysMigrationReadsOldAwards: awards stored before the
// signing_keys table existed are counted from their proofs.
func TestSigningKeysMigrationReadsOldAwards(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "badgebot.db")
	// The store of this binary writes the columns of 014_programs, so
	// the old database has that one too.
	programs, err := migrationFS().Open("014_programs.sql")
	if err != nil {
		t.Fatal(err)
	}
	programsSQL, _ := io.ReadAll(programs)
	v6, _, err := openWith(t, path, migrations(t, 10, map[string]string{"014_programs.sql": string(programsSQL)}))
	if err != nil {
		t.Fatal(err)
	}
	addBadge(t, v6, "helper", true)
	var ids []string
	for _, cred := range []string{
		`{"proof":[{"type":"DataIntegrityProof","verificationMethod":"https://badges.example.org/issuer#z6MkOne"}]}`,
		`{"proof":[{"type":"DataIntegrityProof","verificationMethod":"https://badges.example.org/issuer#z6MkOne"}]}`,
		`{"proof":{"type":"DataIntegrityProof","verificationMethod":"https://badges.example.org/issuer#z6MkTwo"}}`,
		`{"proof":[{"type":"DataIntegrityProof","verificationMethod":"https://badges.example.org/issuer/keys/z6MkThree"}]}`,
		`{"proof":[{"type":"DataIntegrityProof","verificationMethod":"https://badges.example.org/issuer#"}]}`,
		`{"type":["VerifiableCredential"]}`,
		`not json`,
	} {
		a := newAward(t, v6, "helper", recipient(t, "github:octocat"))
		a.Credential = []byte(cred)
		if err := v6.CreateAward(ctx, a, true, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	v6.Close()
	db := openPath(t, path)
	keys, any, err := db.SigningKeys(ctx)
	if err != nil || !any {
		t.Fatalf("any award %v, err %v", any, err)
	}
	want := map[string]string{"z6MkOne": min(ids[0], ids[1]), "z6MkTwo": ids[2], "z6MkThree": ids[3]}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("signing keys after the migration (-want +got):\n%s", diff)
	}
}
