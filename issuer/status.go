package issuer

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// statusEntry is the last signed form of one status list.
type statusEntry struct {
	key string // current key and revoked indexes it was signed for
	doc []byte
}

type statusListCredential struct {
	Context           []string             `json:"@context"`
	ID                string               `json:"id"`
	Type              []string             `json:"type"`
	Issuer            string               `json:"issuer"`
	ValidFrom         string               `json:"validFrom"`
	CredentialSubject statusListSubject    `json:"credentialSubject"`
	Proof             []dataIntegrityProof `json:"proof,omitempty"`
}

type statusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

// StatusList returns status list n (1-based) as a signed
// BitstringStatusListCredential for /status/{n}. revokedIndexes are the
// StatusIndex values of revoked awards; those that belong to other lists
// are ignored. The signed document is cached until the revoked set or the
// current key changes, so repeated reads do not sign again.
func (is *Issuer) StatusList(n int, revokedIndexes []int) ([]byte, error) {
	if n < 1 {
		return nil, fmt.Errorf("issuer: status list %d: lists are numbered from 1", n)
	}
	var bits []int
	for _, si := range revokedIndexes {
		if list, idx := StatusListPosition(si); si >= 0 && list == n {
			bits = append(bits, idx)
		}
	}
	slices.Sort(bits)
	bits = slices.Compact(bits)

	ed, _ := is.keys.current()
	var key strings.Builder
	key.WriteString(ed.multibase)
	for _, b := range bits {
		key.WriteByte(',')
		key.WriteString(strconv.Itoa(b))
	}
	is.statusMu.Lock()
	e, ok := is.statusCache[n]
	is.statusMu.Unlock()
	if ok && e.key == key.String() {
		return e.doc, nil
	}

	enc, err := is.statusEnc.encode(bits)
	if err != nil {
		return nil, err
	}
	listURL := is.StatusListURL(n)
	c := statusListCredential{
		Context:   []string{ContextCredentialsV2},
		ID:        listURL,
		Type:      []string{"VerifiableCredential", "BitstringStatusListCredential"},
		Issuer:    is.IssuerID(),
		ValidFrom: xsdDateTime(is.now()),
		CredentialSubject: statusListSubject{
			ID:            listURL + "#list",
			Type:          "BitstringStatusList",
			StatusPurpose: statusPurposeRevocation,
			EncodedList:   enc,
		},
	}
	doc, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("issuer: encoding status list %d: %w", n, err)
	}
	p, err := is.canon.signDataIntegrityJSON(doc, stringList(c.Context), ed.priv, is.verificationMethodID(ed), c.ValidFrom)
	if err != nil {
		return nil, fmt.Errorf("issuer: signing status list %d: %w", n, err)
	}
	out, err := withProof(doc, p)
	if err != nil {
		return nil, fmt.Errorf("issuer: encoding status list %d: %w", n, err)
	}
	is.statusMu.Lock()
	is.statusCache[n] = statusEntry{key: key.String(), doc: out}
	is.statusMu.Unlock()
	return out, nil
}

// statusEncoder makes the encodedList of a StatusListSize-bit list with
// given bits set: "u" + base64url(gzip(bitstring)), where index 0 is the
// most significant bit of the first byte. It keeps its buffers and gzip
// writer for the next list: a best-compression writer allocates most of a
// megabyte, more than the rest of signing a list. The zero value is ready
// for use, and it is safe for concurrent use.
type statusEncoder struct {
	pool sync.Pool // *statusBuffers
}

type statusBuffers struct {
	raw []byte
	out bytes.Buffer
	zw  *gzip.Writer
}

func (e *statusEncoder) encode(set []int) (string, error) {
	b, _ := e.pool.Get().(*statusBuffers)
	if b == nil {
		zw, err := gzip.NewWriterLevel(nil, gzip.BestCompression)
		if err != nil {
			return "", fmt.Errorf("issuer: gzip: %w", err)
		}
		b = &statusBuffers{raw: make([]byte, StatusListSize/8), zw: zw}
	}
	defer e.pool.Put(b)
	clear(b.raw)
	for _, i := range set {
		if i < 0 || i >= StatusListSize {
			return "", fmt.Errorf("issuer: status index %d out of range", i)
		}
		b.raw[i/8] |= 0x80 >> (i % 8)
	}
	b.out.Reset()
	b.zw.Reset(&b.out) // as new: default header, same level
	if _, err := b.zw.Write(b.raw); err != nil {
		return "", fmt.Errorf("issuer: gzip: %w", err)
	}
	if err := b.zw.Close(); err != nil {
		return "", fmt.Errorf("issuer: gzip: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(b.out.Bytes()), nil
}

// maxStatusListBytes bounds a decoded bitstring (a gzip bomb guard):
// sixteen times the W3C minimum.
const maxStatusListBytes = 16 * StatusListSize / 8

// decodeStatusList reverses statusEncoder.encode.
func decodeStatusList(enc string) ([]byte, error) {
	if !strings.HasPrefix(enc, "u") {
		return nil, errors.New("issuer: encodedList is not multibase base64url (prefix \"u\")")
	}
	z, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc[1:], "="))
	if err != nil {
		return nil, fmt.Errorf("issuer: encodedList: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("issuer: encodedList gzip: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxStatusListBytes+1))
	if err != nil {
		return nil, fmt.Errorf("issuer: encodedList gzip: %w", err)
	}
	if len(raw) > maxStatusListBytes {
		return nil, errors.New("issuer: encodedList is too large")
	}
	return raw, nil
}

// statusBit reads bit i (most significant first) of a decoded list.
func statusBit(raw []byte, i int) (bool, error) {
	if i < 0 || i/8 >= len(raw) {
		return false, fmt.Errorf("issuer: status index %d outside a list of %d entries", i, len(raw)*8)
	}
	return raw[i/8]&(0x80>>(i%8)) != 0, nil
}
