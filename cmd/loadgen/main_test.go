package main

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// Delivery ids look like GitHub's: version 1 UUIDs whose time is the
// sending time, distinct for distinct sequence numbers sent at once.
func TestAppendDeliveryID(t *testing.T) {
	form := regexp.MustCompile(`^([0-9a-f]{8})-([0-9a-f]{4})-1([0-9a-f]{3})-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	at := time.Date(2026, 11, 26, 23, 50, 0, 123456700, time.UTC)
	seen := map[string]bool{}
	for _, seq := range []int64{0, 1, 2, 1 << 32, 1<<32 | 1, 1<<62 - 1} {
		id := string(appendDeliveryID([]byte("kept:"), at, seq))[len("kept:"):]
		m := form.FindStringSubmatch(id)
		if m == nil {
			t.Fatalf("appendDeliveryID(seq %d) = %q: not a version 1 UUID", seq, id)
		}
		ts, err := strconv.ParseUint(m[3]+m[2]+m[1], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Unix(0, int64(ts-0x01B21DD213814000)*100).UTC(); !got.Equal(at) {
			t.Errorf("id %s has time %v, want %v", id, got, at)
		}
		if seen[id] {
			t.Errorf("id %s made twice", id)
		}
		seen[id] = true
	}
}
