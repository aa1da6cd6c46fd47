package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/badgebot/badgebot/bot"
	"github.com/google/go-cmp/cmp"
)

// saveDeliveries stores deliveries d1…dn with the given bodies and returns
// their Seq in order.
func saveDeliveries(t *testing.T, db DB, bodies ...[]byte) []int64 {
	t.Helper()
	ctx := context.Background()
	var seqs []int64
	for i, body := range bodies {
		id := fmt.Sprintf("d%d", i+1)
		if dup, err := db.SaveDelivery(ctx, bot.WebhookDelivery{Source: bot.PlatformGitHub, ID: id, Type: "pull_request", Body: body}); err != nil || dup {
			t.Fatalf("SaveDelivery(%s) = %v, %v", id, dup, err)
		}
		var seq int64
		if err := db.QueryRow(ctx, `SELECT id FROM deliveries WHERE delivery_id = ?`, id).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func seqsOf(ds []bot.WebhookDelivery) []int64 {
	var s []int64
	for _, d := range ds {
		s = append(s, d.Seq)
	}
	return s
}

func testPendingDeliveriesAfter(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	small := []byte(`{}`)
	seq := saveDeliveries(t, db, small, small, small, small, small)
	if _, err := db.CompleteDelivery(ctx, bot.WebhookDelivery{Seq: seq[1], Source: bot.PlatformGitHub, ID: "d2"}, nil, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		after int64
		limit int
		want  []int64
	}{
		{"all pending", 0, 10, []int64{seq[0], seq[2], seq[3], seq[4]}},
		{"limit", 0, 2, []int64{seq[0], seq[2]}},
		{"after a processed one", seq[1], 10, []int64{seq[2], seq[3], seq[4]}},
		{"after a pending one", seq[3], 10, []int64{seq[4]}},
		{"after the last", seq[4], 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, err := db.PendingDeliveriesAfter(ctx, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, seqsOf(ds)); diff != "" {
				t.Errorf("Seq (-want +got):\n%s", diff)
			}
		})
	}
	ds, err := db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{seq[0], seq[2], seq[3], seq[4]}, seqsOf(ds)); diff != "" {
		t.Errorf("PendingDeliveriesAfter Seq (-want +got):\n%s", diff)
	}
	if got := ds[0]; got.ID != "d1" || got.Type != "pull_request" || string(got.Body) != "{}" || !got.ReceivedAt.Equal(t0) {
		t.Errorf("PendingDeliveriesAfter()[0] = %+v", got)
	}
}

// testPendingDeliveriesAfterCapsBytes: large bodies make a short batch,
// never an empty one.
// pendingBytes is the bodies' size past which both stores make
// PendingDeliveriesAfter's batch short.
const pendingBytes = 16 << 20

func testPendingDeliveriesAfterCapsBytes(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	big := bytes.Repeat([]byte("x"), pendingBytes/2+1)
	seq := saveDeliveries(t, db, big, big, big)
	ds, err := db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{seq[0], seq[1]}, seqsOf(ds)); diff != "" {
		t.Errorf("Seq (-want +got):\n%s", diff)
	}
	if ds, err = db.PendingDeliveriesAfter(ctx, seq[1], 10); err != nil || len(ds) != 1 || ds[0].Seq != seq[2] {
		t.Errorf("after the short batch: %d deliveries, %v; want the third", len(ds), err)
	}
	one := openAt(t, open)
	seq = saveDeliveries(t, one, bytes.Repeat([]byte("y"), pendingBytes+1))
	ds, err = one.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seq, seqsOf(ds)); diff != "" {
		t.Errorf("one delivery larger than the cap: Seq (-want +got):\n%s", diff)
	}
}

func testCompleteDelivery(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	seq := saveDeliveries(t, db, []byte(`{"a":1}`), []byte(`{"b":2}`), []byte(`{"c":3}`), []byte(`{"d":4}`))
	ev := bot.Event{
		Kind: bot.EventPRMerged, Key: "github.com/o/r/pull/1",
		Actor: recipient(t, "github:octocat"), Repository: "o/r", URL: "https://github.com/o/r/pull/1",
		OccurredAt: t0.Add(-time.Hour),
	}
	d1 := bot.WebhookDelivery{Seq: seq[0], Source: bot.PlatformGitHub, ID: "d1", ReceivedAt: t0}
	stored, err := db.CompleteDelivery(ctx, d1, []bot.Event{ev}, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].ID == 0 || stored[0].PersonID == 0 {
		t.Fatalf("CompleteDelivery stored %+v, want one event with ID and PersonID", stored)
	}
	if again, err := db.CompleteDelivery(ctx, d1, []bot.Event{ev}, ""); err != nil || len(again) != 0 {
		t.Errorf("second CompleteDelivery = %v, %v; want nothing stored", again, err)
	}
	d2 := bot.WebhookDelivery{Seq: seq[1], Source: bot.PlatformGitHub, ID: "d2", ReceivedAt: t0}
	if _, err := db.CompleteDelivery(ctx, d2, nil, "unsupported action"); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Processed int64
		Problem   string
	}
	var got []row
	for _, id := range []string{"d1", "d2"} {
		var r row
		if err := db.QueryRow(ctx, `SELECT processed_at, problem FROM deliveries WHERE delivery_id = ?`, id).Scan(&r.Processed, &r.Problem); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	want := []row{{t0.UnixMilli(), ""}, {t0.UnixMilli(), "unsupported action"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}

	// Several events: one stored before (skipped), two by an actor nobody
	// had (one person made), one by a known actor under a new name.
	octocat := stored[0].PersonID
	pr := func(n int, actor, name string) bot.Event {
		e := ev
		e.Key, e.URL = fmt.Sprintf("github.com/o/r/pull/%d", n), fmt.Sprintf("https://github.com/o/r/pull/%d", n)
		e.Actor, e.ActorName = recipient(t, actor), name
		return e
	}
	d3 := bot.WebhookDelivery{Seq: seq[2], Source: bot.PlatformGitHub, ID: "d3", ReceivedAt: t0}
	stored, err = db.CompleteDelivery(ctx, d3, []bot.Event{ev, pr(2, "github:hubot", "Hubot"),
		pr(3, "github:hubot", "Hubot"), pr(4, "github:octocat", "The Octocat")}, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range stored {
		keys = append(keys, e.Key)
	}
	if want := []string{"github.com/o/r/pull/2", "github.com/o/r/pull/3", "github.com/o/r/pull/4"}; !slices.Equal(keys, want) {
		t.Fatalf("stored %v, want %v", keys, want)
	}
	if hubot := stored[0].PersonID; hubot == 0 || hubot == octocat || stored[1].PersonID != hubot || stored[2].PersonID != octocat {
		t.Errorf("people of the events: %d, %d, %d; want one new person twice, then octocat's %d",
			stored[0].PersonID, stored[1].PersonID, stored[2].PersonID, octocat)
	}
	identityName := func(actor string) string {
		p, err := db.PersonByRecipient(ctx, recipient(t, actor))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range p.Identities {
			if id.Recipient == recipient(t, actor) {
				return id.Name
			}
		}
		return ""
	}
	if got := identityName("github:hubot"); got != "Hubot" {
		t.Errorf("hubot's identity is named %q, want Hubot", got)
	}
	if got := identityName("github:octocat"); got != "The Octocat" {
		t.Errorf("octocat's identity is named %q after a later event, want The Octocat", got)
	}
	// The first event of a delivery by a known actor renames them too.
	d4 := bot.WebhookDelivery{Seq: seq[3], Source: bot.PlatformGitHub, ID: "d4", ReceivedAt: t0}
	if stored, err := db.CompleteDelivery(ctx, d4, []bot.Event{pr(5, "github:octocat", "Octo Cat")}, ""); err != nil ||
		len(stored) != 1 || stored[0].PersonID != octocat {
		t.Fatalf("CompleteDelivery = %+v, %v; want one event by octocat's person %d", stored, err, octocat)
	}
	if got := identityName("github:octocat"); got != "Octo Cat" {
		t.Errorf("octocat's identity is named %q, want Octo Cat", got)
	}
}

// testDeliveryExtracts: a delivery stored with an extract comes back for
// processing with it and without its body, which DeliveryBody still reads;
// one without comes back with its body. Retention empties both.
func testDeliveryExtracts(t *testing.T, open Opener) {
	ctx := context.Background()
	db := openAt(t, open)
	body := bytes.Repeat([]byte(`{"pull_request":{"merged":true}} `), 40) // compressed when stored
	extract := []byte(`tag{"pull_request":{"merged":true}}`)
	for _, d := range []bot.WebhookDelivery{
		{Source: bot.PlatformGitHub, ID: "with", Type: "pull_request", Body: body, Extract: extract, ReceivedAt: t0},
		{Source: bot.PlatformBugzilla, ID: "without", Type: "bug.modify", Body: []byte(`{"bug":{}}`), ReceivedAt: t0},
	} {
		if dup, err := db.SaveDelivery(ctx, d); err != nil || dup {
			t.Fatalf("SaveDelivery(%s) = %v, %v", d.ID, dup, err)
		}
	}
	ds, err := db.PendingDeliveriesAfter(ctx, 0, 10)
	if err != nil || len(ds) != 2 {
		t.Fatalf("PendingDeliveriesAfter = %d deliveries, %v; want 2", len(ds), err)
	}
	if d := ds[0]; d.ID != "with" || string(d.Extract) != string(extract) || d.Body != nil || !d.ReceivedAt.Equal(t0) {
		t.Errorf("delivery with an extract read back as %q: Extract %q, Body %d bytes; want the extract alone", d.ID, d.Extract, len(d.Body))
	}
	if d := ds[1]; d.ID != "without" || d.Extract != nil || string(d.Body) != `{"bug":{}}` {
		t.Errorf("delivery without an extract read back as %q: Extract %q, Body %q; want its body", d.ID, d.Extract, d.Body)
	}
	if got, err := db.DeliveryBody(ctx, ds[0].Seq); err != nil || !bytes.Equal(got, body) {
		t.Errorf("DeliveryBody(with) = %d bytes, %v; want the body", len(got), err)
	}
	_, err = db.DeliveryBody(ctx, ds[1].Seq+1000)
	wantCode(t, err, bot.ENOTFOUND)
	for _, d := range ds {
		if _, err := db.CompleteDelivery(ctx, d, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.DropDeliveryBodies(ctx, t0.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("DropDeliveryBodies = %d, %v; want 2", n, err)
	}
	var kept int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE extract IS NOT NULL`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("%d extracts kept past retention (%v), want 0", kept, err)
	}
	if _, err := db.DeliveryBody(ctx, ds[0].Seq); err == nil {
		t.Error("DeliveryBody after retention returned a body")
	}
}
