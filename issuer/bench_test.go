package issuer

import (
	"crypto/ed25519"
	"strconv"
	"testing"

	"github.com/badgebot/badgebot/issuer/artwork"
	"github.com/badgebot/badgebot/issuer/bake"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Issuance benchmarks. DESIGN.md §7 wants signing and baking at 30x the
// Node signer (tools/obverify/bench-sign.mjs, Data Integrity only) on the
// same machine; run them with -cpu 1,2 to get the rate on one core and on
// every core:
//
//	go test -run XXX -bench 'Sign' -cpu 1,2 -benchmem ./issuer/

// benchAward returns a distinct award per iteration, as real issuance has.
func benchAward(i int) Award {
	a := testAward()
	a.ID = "bench" + strconv.Itoa(i)
	a.Recipient.Salt = "salt" + strconv.Itoa(i)
	a.StatusIndex = i % StatusListSize
	a.Evidence[0].URL = "https://github.com/example/app/pull/" + strconv.Itoa(i)
	a.Evidence[0].Name = "example/app#" + strconv.Itoa(i)
	return a
}

// BenchmarkSignEd25519 times the Ed25519 signature each award makes, by
// curve25519-voi as signDataIntegrityJSON makes it, beside crypto/ed25519.
func BenchmarkSignEd25519(b *testing.B) {
	_, key, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 64) // two SHA-256 digests, as eddsa-rdfc-2022 signs
	b.Run("voi", func(b *testing.B) {
		for b.Loop() {
			voi.Sign(voi.PrivateKey(key), msg)
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		for b.Loop() {
			ed25519.Sign(key, msg)
		}
	})
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

// BenchmarkSignAndBake measures issuance on every core: signing an award
// and baking its credential into the badge's PNG artwork (generated, as
// served at /awards/{id}/badge.png). "credential" is what issuance does
// (SignCredential: the Data Integrity form only, the work the Node signer
// does); "credential+jwt" is Issuer.Sign, which also signs the RS256
// VC-JWT that is otherwise signed on first request.
func BenchmarkSignAndBake(b *testing.B) {
	is := newTestIssuer(b)
	a := testAward()
	art, err := artwork.PNG(a.Badge.Slug, a.Badge.Name, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		sign func(*Award) error
	}{{"credential", is.SignCredential}, {"credential+jwt", is.Sign}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					a := benchAward(i)
					i++
					err := bc.sign(&a)
					if err == nil {
						_, err = bake.PNG(art, bake.KeywordOB3, string(a.Credential))
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkSignStatusList measures signing a status list whose revoked set
// changed (the signed-list cache misses every time).
func BenchmarkSignStatusList(b *testing.B) {
	is := newTestIssuer(b)
	revoked := make([]int, 0, 1024)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		revoked = append(revoked[:0], (i*7919)%StatusListSize, (i*104729)%StatusListSize)
		i++
		if _, err := is.StatusList(1, revoked); err != nil {
			b.Fatal(err)
		}
	}
}
