package issuer

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
)

// base58btc is the Bitcoin base58 alphabet used by multibase prefix "z".
const base58btc = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58Index maps a byte to its base58btc digit, or -1.
var base58Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base58btc); i++ {
		t[base58btc[i]] = int8(i)
	}
	return t
}()

// base58Limb is 58^5, the base of the limbs base58Encode works in: a limb
// shifted left by 32 bits still fits in a uint64.
const base58Limb = 58 * 58 * 58 * 58 * 58

// base58Encode encodes b in base58btc (leading zero bytes become '1').
// It divides 32 input bits at a time into limbs of five digits, a
// twentieth of the steps of digit-by-digit division: every signature is
// encoded once.
func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	rest := b[zeros:]
	// little-endian limbs; log(256)/log(58) < 1.37 digits per byte
	limbs := make([]uint64, 0, (len(rest)*138/100)/5+2)
	add := func(word uint64, bits uint) {
		carry := word
		for i := range limbs {
			x := limbs[i]<<bits | carry
			limbs[i], carry = x%base58Limb, x/base58Limb
		}
		for carry > 0 {
			limbs = append(limbs, carry%base58Limb)
			carry /= base58Limb
		}
	}
	head := len(rest) % 4
	if head > 0 {
		var w uint64
		for _, c := range rest[:head] {
			w = w<<8 | uint64(c)
		}
		add(w, uint(8*head))
	}
	for i := head; i < len(rest); i += 4 {
		add(uint64(rest[i])<<24|uint64(rest[i+1])<<16|uint64(rest[i+2])<<8|uint64(rest[i+3]), 32)
	}
	digits := make([]byte, 0, 5*len(limbs))
	for _, l := range limbs {
		for range 5 {
			digits = append(digits, byte(l%58))
			l /= 58
		}
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1] // the top limb's leading zeros
	}
	var sb strings.Builder
	sb.Grow(zeros + len(digits))
	for range zeros {
		sb.WriteByte('1')
	}
	for i := len(digits) - 1; i >= 0; i-- {
		sb.WriteByte(base58btc[digits[i]])
	}
	return sb.String()
}

// errBase58 reports a character outside the base58btc alphabet.
var errBase58 = errors.New("issuer: invalid base58btc")

// maxBase58Len bounds what base58Decode accepts: the work is quadratic and
// nothing we read (keys, signatures) is longer than a few hundred digits.
const maxBase58Len = 1024

// base58Decode decodes a base58btc string.
func base58Decode(s string) ([]byte, error) {
	if len(s) > maxBase58Len {
		return nil, fmt.Errorf("%w: too long", errBase58)
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// little-endian base-256 digits of the number
	num := make([]byte, 0, len(s))
	for i := zeros; i < len(s); i++ {
		d := base58Index[s[i]]
		if d < 0 {
			return nil, fmt.Errorf("%w: character %q", errBase58, s[i])
		}
		carry := int(d)
		for j := range num {
			carry += int(num[j]) * 58
			num[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			num = append(num, byte(carry))
			carry >>= 8
		}
	}
	out := make([]byte, zeros+len(num))
	for i, c := range num {
		out[len(out)-1-i] = c
	}
	return out, nil
}

// multicodec prefix of an Ed25519 public key (varint 0xed).
var ed25519PubPrefix = []byte{0xed, 0x01}

// MultikeyEd25519 returns the Multikey publicKeyMultibase ("z6Mk…") of an
// Ed25519 public key: multibase base58btc of the multicodec
// ed25519-pub header and the 32 key bytes.
func MultikeyEd25519(pub ed25519.PublicKey) string {
	b := make([]byte, 0, len(ed25519PubPrefix)+len(pub))
	b = append(b, ed25519PubPrefix...)
	b = append(b, pub...)
	return "z" + base58Encode(b)
}

// ParseMultikeyEd25519 decodes a "z6Mk…" publicKeyMultibase into an
// Ed25519 public key.
func ParseMultikeyEd25519(mb string) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(mb, "z") {
		return nil, fmt.Errorf("issuer: multikey %q: not multibase base58btc", mb)
	}
	b, err := base58Decode(mb[1:])
	if err != nil {
		return nil, fmt.Errorf("issuer: multikey: %w", err)
	}
	if len(b) != len(ed25519PubPrefix)+ed25519.PublicKeySize || b[0] != ed25519PubPrefix[0] || b[1] != ed25519PubPrefix[1] {
		return nil, fmt.Errorf("issuer: multikey %q: not an Ed25519 public key", mb)
	}
	return ed25519.PublicKey(b[len(ed25519PubPrefix):]), nil
}
