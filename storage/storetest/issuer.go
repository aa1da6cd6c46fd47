package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/badgebot/badgebot/issuer"
	"github.com/google/go-cmp/cmp"
)

func testIssuerSource(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	src := db.Source("https://badges.example.org/")

	png := []byte("\x89PNG\r\n\x1a\nfake")
	b := addBadge(t, db, "first-pr", false)
	b.Image, b.ImageType = png, "image/png"
	if err := db.UpsertBadge(ctx, b); err != nil {
		t.Fatal(err)
	}
	addBadge(t, db, "alpha", true)

	wantFirst := issuer.Achievement{Slug: "first-pr", Name: b.Name, Description: b.Description, Criteria: b.Criteria, Image: png, ImageType: "image/png"}
	got, err := src.Achievement(ctx, "first-pr")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantFirst, got); diff != "" {
		t.Errorf("Achievement (-want +got):\n%s", diff)
	}
	all, err := src.Achievements(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := []issuer.Achievement{{Slug: "alpha", Name: "Badge alpha", Description: "The alpha badge.", Criteria: "Do alpha."}, wantFirst}
	if diff := cmp.Diff(wantAll, all); diff != "" {
		t.Errorf("Achievements (-want +got):\n%s", diff)
	}

	if n, err := src.LastStatusIndex(ctx); err != nil || n != -1 {
		t.Errorf("LastStatusIndex with no awards = %d, %v; want -1", n, err)
	}

	// The award is to a Bugzilla e-mail; the holder shown is the handle.
	bz := recipient(t, "bugzilla:ada@example.org")
	a := newAward(t, db, "first-pr", bz)
	a.IdentityType, a.Identity = issuer.RecipientEmail, "ada@example.org"
	if err := db.CreateAward(ctx, a, false, nil); err != nil {
		t.Fatal(err)
	}
	want := issuer.Award{
		ID:          a.ID,
		Badge:       wantFirst,
		Recipient:   issuer.Recipient{Type: issuer.RecipientEmail, Identity: "ada@example.org", Salt: a.Salt},
		IssuedAt:    t0,
		Evidence:    a.Evidence,
		Narrative:   a.Narrative,
		Holder:      "person-1",
		HolderURL:   "https://badges.example.org/people/person-1",
		StatusIndex: a.StatusIndex,
		Credential:  a.Credential,
		JWT:         a.JWT,
	}
	ga, err := src.Award(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, ga); diff != "" {
		t.Errorf("Award (-want +got):\n%s", diff)
	}

	if n, err := src.LastStatusIndex(ctx); err != nil || n != a.StatusIndex {
		t.Errorf("LastStatusIndex = %d, %v; want %d", n, err, a.StatusIndex)
	}
	if rs, err := src.Revocations(ctx); err != nil || len(rs) != 0 {
		t.Errorf("Revocations before revoking: %v, %v", rs, err)
	}
	// The hosted routes keep what they read until a change is counted.
	cc, ok := src.(issuer.ChangeCounter)
	if !ok {
		t.Fatal("the issuer source counts no changes: hosted awards would stay unrevoked")
	}
	counted := func(what string, change func() error) {
		t.Helper()
		before := cc.Changes()
		if err := change(); err != nil {
			t.Fatal(err)
		}
		if cc.Changes() == before {
			t.Errorf("%s is not counted as a change", what)
		}
	}
	at := t0.Add(time.Hour)
	counted("a revocation", func() error {
		_, err := db.RevokeAward(ctx, a.ID, "duplicate", "slack:U0ADMIN", at, nil)
		return err
	})
	ga, err = src.Award(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want.Revoked, want.RevokedAt, want.RevocationReason = true, at, "duplicate"
	if diff := cmp.Diff(want, ga); diff != "" {
		t.Errorf("revoked Award (-want +got):\n%s", diff)
	}
	rs, err := src.Revocations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRs := []issuer.Revocation{{AwardID: a.ID, StatusIndex: a.StatusIndex, RevokedAt: at, Reason: "duplicate"}}
	if diff := cmp.Diff(wantRs, rs); diff != "" {
		t.Errorf("Revocations (-want +got):\n%s", diff)
	}

	counted("a badge edit", func() error { b.Name = "First PR"; return db.UpsertBadge(ctx, b) })
	counted("a link", func() error {
		_, err := db.LinkIdentities(ctx, bz, recipient(t, "github:ada"))
		return err
	})

	for name, err := range map[string]error{
		"Achievement": func() error { _, err := src.Achievement(ctx, "nope"); return err }(),
		"Award":       func() error { _, err := src.Award(ctx, "nope"); return err }(),
	} {
		if !errors.Is(err, issuer.ErrNotFound) {
			t.Errorf("%s of a missing one: %v, want issuer.ErrNotFound", name, err)
		}
	}
}
