package issuer

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
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

// TestBase58EncodeMatchesBigInt checks the limb arithmetic of base58Encode
// against math/big on random lengths and values, zero bytes included.
func TestBase58EncodeMatchesBigInt(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		b := make([]byte, r.IntN(80))
		for i := range b {
			if r.IntN(4) > 0 {
				b[i] = byte(r.Uint32())
			}
		}
		var want []byte
		for n := new(big.Int).SetBytes(b); n.Sign() > 0; {
			var m big.Int
			n.DivMod(n, big.NewInt(58), &m)
			want = append([]byte{base58btc[m.Int64()]}, want...)
		}
		for i := 0; i < len(b) && b[i] == 0; i++ {
			want = append([]byte{'1'}, want...)
		}
		if got := base58Encode(b); got != string(want) {
			t.Fatalf("base58Encode(%x) = %s, want %s", b, got, want)
		}
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
