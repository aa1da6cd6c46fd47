package memo

import (
	"errors"
	"sync"
	"testing"
)

func TestMemo(t *testing.T) {
	c := Cache[int, string]{Max: 2}
	computed := 0
	get := func(k int) string {
		t.Helper()
		v, err := c.Get(k, func() (string, error) { computed++; return string(rune('a' + k)), nil })
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first, second := get(0), get(0)
	if first != "a" || second != "a" || computed != 1 {
		t.Fatalf("get(0) = %q then %q after %d computations; want a twice, computed once", first, second, computed)
	}
	get(1)
	get(2) // full: starts over
	if _, ok := c.Lookup(0); ok || c.Len() != 1 {
		t.Errorf("a full memo kept %d entries, key 0 among them: %v", c.Len(), ok)
	}
	// An error is returned and not stored.
	boom := errors.New("boom")
	if _, err := c.Get(5, func() (string, error) { return "", boom }); err != boom {
		t.Errorf("get = %v, want the compute error", err)
	}
	if _, ok := c.Lookup(5); ok {
		t.Error("a failed computation was stored")
	}
	// Safe for concurrent use (go test -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for k := range 100 {
				c.Get((i+k)%5, func() (string, error) { return "x", nil })
			}
		})
	}
	wg.Wait()
}
