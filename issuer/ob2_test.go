package issuer

import (
	"testing"
	"time"
)

func TestOB2Golden(t *testing.T) {
	is := newTestIssuer(t)
	a := testAward()
	goldenFile(t, "ob2-profile.json", indentJSON(t, is.ProfileOB2()))
	goldenFile(t, "ob2-badgeclass.json", indentJSON(t, is.BadgeClassOB2(a.Badge)))
	goldenFile(t, "ob2-assertion.json", indentJSON(t, is.AssertionOB2(a)))
	a.Revoked, a.RevokedAt, a.RevocationReason = true, testNow, "Awarded by mistake"
	goldenFile(t, "ob2-assertion-revoked.json", indentJSON(t, is.AssertionOB2(a)))
	goldenFile(t, "ob2-revocations.json", indentJSON(t, is.RevocationListOB2([]Revocation{
		{AwardID: "zz9", StatusIndex: 9, RevokedAt: testNow, Reason: "Duplicate"},
		{AwardID: "a1b2c3", StatusIndex: 42, RevokedAt: testNow.Add(-time.Hour), Reason: "Awarded by mistake"},
	})))
	goldenFile(t, "ob2-revocations-empty.json", indentJSON(t, is.RevocationListOB2(nil)))
}

// TestOB2Verifies runs our verifier over the hosted OB 2.0 documents.
func TestOB2Verifies(t *testing.T) {
	is := newTestIssuer(t)
	a := testAward()
	docs := map[string][]byte{
		is.AwardURL(a.ID):              is.AssertionOB2(a),
		is.BadgeClassURL(a.Badge.Slug): is.BadgeClassOB2(a.Badge),
		is.ProfileOB2URL():             is.ProfileOB2(),
	}
	rep, err := Verify(t.Context(), is.AssertionOB2(a), VerifyOptions{Docs: docs, Recipient: "ALICE@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Valid() || rep.Version != "ob2" || rep.Issuer != is.ProfileOB2URL() {
		t.Fatalf("report %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Status != CheckOK {
			t.Errorf("check %+v", c)
		}
	}
}
