package issuer

import (
	"strconv"
	"testing"
)

// benchAward returns a distinct award per iteration, as real issuance has.
func benchAward(i int) Award {
	a := testAward()
	a.ID = "bench" + strconv.Itoa(i)
	a.Recipient.Salt = "salt" + strconv.Itoa(i)
	a.StatusIndex = i % StatusListSize
	return a
}

// BenchmarkSign measures Data Integrity signing only (canonicalisation of
// the credential and proof configuration, Ed25519, JSON).
func BenchmarkSign(b *testing.B) {
	is := newTestIssuer(b)
	ed, _ := is.keys.current()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a := benchAward(i)
		i++
		if _, err := is.signCredential(is.credential(&a), ed, "2026-11-26T12:00:00Z"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignParallel is BenchmarkSign on every core.
func BenchmarkSignParallel(b *testing.B) {
	is := newTestIssuer(b)
	ed, _ := is.keys.current()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			a := benchAward(i)
			i++
			if _, err := is.signCredential(is.credential(&a), ed, "2026-11-26T12:00:00Z"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSignJWT measures VC-JWT (RS256) signing only.
func BenchmarkSignJWT(b *testing.B) {
	is := newTestIssuer(b)
	_, rk := is.keys.current()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a := benchAward(i)
		i++
		if _, err := is.signJWT(is.credential(&a), rk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignBoth measures Issuer.Sign: both forms.
func BenchmarkSignBoth(b *testing.B) {
	is := newTestIssuer(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a := benchAward(i)
		i++
		if err := is.Sign(&a); err != nil {
			b.Fatal(err)
		}
	}
}
