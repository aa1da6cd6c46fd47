package issuer

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestBase58(t *testing.T) {
	// vectors from draft-msporny-base58 and the Bitcoin test suite
	tests := []struct{ hex, b58 string }{
		{"", ""},
		{"00", "1"},
		{"0000", "11"},
		{"61", "2g"},
		{"626262", "a3gV"},
		{"636363", "aPEr"},
		{"48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U"},
		{"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
		{"516b6fcd0f", "ABnLTmg"},
		{"bf4f89001e670274dd", "3SEo3LWLoPntC"},
		{"572e4794", "3EFU7m"},
		{"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
		{"10c8511e", "Rt5zm"},
		{"00000000000000000000", "1111111111"},
	}
	for _, tt := range tests {
		b, _ := hex.DecodeString(tt.hex)
		if got := base58Encode(b); got != tt.b58 {
			t.Errorf("base58Encode(%s) = %q, want %q", tt.hex, got, tt.b58)
		}
		got, err := base58Decode(tt.b58)
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("base58Decode(%q) = %x, %v; want %s", tt.b58, got, err, tt.hex)
		}
	}
	for _, bad := range []string{"0", "O", "I", "l", "abc+", "\x00"} {
		if _, err := base58Decode(bad); err == nil {
			t.Errorf("base58Decode(%q) succeeded", bad)
		}
	}
}

// refAlphabet is the base58btc alphabet, for the reference below.
const refAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// refBase58Encode is base58btc by the definition, with math/big.
func refBase58Encode(b []byte) string {
	var out []byte
	for n := new(big.Int).SetBytes(b); n.Sign() > 0; {
		var m big.Int
		n.DivMod(n, big.NewInt(58), &m)
		out = append(out, refAlphabet[m.Int64()])
	}
	for i := 0; i < len(b) && b[i] == 0; i++ {
		out = append(out, '1')
	}
	slices.Reverse(out)
	return string(out)
}

// refBase58Decode is the inverse of refBase58Encode; ok is false for a
// character outside the alphabet.
func refBase58Decode(s string) (b []byte, ok bool) {
	n := new(big.Int)
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(refAlphabet, s[i])
		if d < 0 {
			return nil, false
		}
		n.Mul(n, big.NewInt(58)).Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), true
}

// FuzzBase58 checks the library's base58btc against the math/big
// reference both ways: encoding any bytes, and decoding any string (which
// must fail exactly where a character is outside the alphabet).
func FuzzBase58(f *testing.F) {
	f.Add([]byte{}, "")
	f.Add([]byte{0, 0, 1}, "11z")
	f.Add(append([]byte{0xed, 0x01}, make([]byte, 32)...), "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
	f.Add(bytes.Repeat([]byte{0xff}, 64), "0OIl+")
	f.Fuzz(func(t *testing.T, b []byte, s string) {
		enc := base58Encode(b)
		if want := refBase58Encode(b); enc != want {
			t.Fatalf("base58Encode(%x) = %s, want %s", b, enc, want)
		}
		switch got, err := base58Decode(enc); {
		case len(enc) > maxBase58Len:
			if err == nil {
				t.Fatalf("base58Decode of %d characters succeeded; want refused over %d", len(enc), maxBase58Len)
			}
		case err != nil || !bytes.Equal(got, b):
			t.Fatalf("base58Decode(%s) = %x, %v; want %x", enc, got, err, b)
		}
		if len(s) > maxBase58Len {
			return
		}
		got, err := base58Decode(s)
		want, ok := refBase58Decode(s)
		if (err == nil) != ok {
			t.Fatalf("base58Decode(%q): err %v, reference ok %v", s, err, ok)
		}
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("base58Decode(%q) = %x, want %x", s, got, want)
		}
	})
}

// TestBase58EncodeMatchesBigInt runs the reference comparison on random
// lengths and values, zero bytes included, in every test run.
func TestBase58EncodeMatchesBigInt(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		b := make([]byte, r.IntN(80))
		for i := range b {
			if r.IntN(4) > 0 {
				b[i] = byte(r.Uint32())
			}
		}
		if got, want := base58Encode(b), refBase58Encode(b); got != want {
			t.Fatalf("base58Encode(%x) = %s, want %s", b, got, want)
		}
		if got, err := base58Decode(refBase58Encode(b)); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("base58Decode(%s) = %x, %v", refBase58Encode(b), got, err)
		}
	}
	if _, err := base58Decode(strings.Repeat("2", maxBase58Len+1)); err == nil {
		t.Error("base58Decode accepted a string over maxBase58Len")
	}
}

// BenchmarkBase58 encodes and decodes what badgebot does: 32-byte keys,
// 34-byte multikeys and 64-byte signatures.
func BenchmarkBase58(b *testing.B) {
	seed := make([]byte, ed25519.SeedSize)
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	for _, in := range []struct {
		name string
		b    []byte
	}{
		{"key32", pub},
		{"multikey34", append([]byte{0xed, 0x01}, pub...)},
		{"sig64", ed25519.Sign(key, []byte("badge"))},
	} {
		s := base58Encode(in.b)
		b.Run("encode/"+in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = base58Encode(in.b)
			}
		})
		b.Run("decode/"+in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := base58Decode(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestMultikeyEd25519(t *testing.T) {
	seed, _ := hex.DecodeString("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	mb := MultikeyEd25519(pub)
	if want := "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"; mb != want {
		t.Fatalf("MultikeyEd25519 = %s, want %s", mb, want)
	}
	got, err := ParseMultikeyEd25519(mb)
	if err != nil || !got.Equal(pub) {
		t.Fatalf("ParseMultikeyEd25519 = %x, %v", got, err)
	}
	for _, bad := range []string{
		"", "6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi", "z", "z6Mk",
		"zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme", // secp256k1 multikey
		"z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwiX",
	} {
		if _, err := ParseMultikeyEd25519(bad); err == nil {
			t.Errorf("ParseMultikeyEd25519(%q) succeeded", bad)
		}
	}
}
