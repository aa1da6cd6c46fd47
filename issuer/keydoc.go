package issuer

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// mediaJWK is the media type of one JSON Web Key (RFC 7517 §8.5).
const mediaJWK = "application/jwk+json"

// ed25519JWK is an Ed25519 public key as an OKP JWK (RFC 8037).
type ed25519JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	X   string `json:"x"`
}

// multikeyDocument is one Ed25519 key on its own, as a Data Integrity
// verifier loads a verification method by its id.
type multikeyDocument struct {
	Context string `json:"@context"`
	multikeyDoc
}

// KeyDocument returns the document served at /issuer/keys/{id} (KeyURL)
// and its media type: for an Ed25519 key its Multikey document, whose
// controller is the issuer (or, when jwk is set, its OKP JWK); for an RSA
// key its JWK, the key a VC-JWT kid names. ok is false when no key of the
// ring, current or retired, has that id.
func (is *Issuer) KeyDocument(id string, jwk bool) (body []byte, media string, ok bool) {
	eds, rs := is.keys.all()
	for _, k := range eds {
		if k.multibase != id {
			continue
		}
		if jwk {
			return mustJSON(ed25519JWK{
				Kty: "OKP", Crv: "Ed25519", Kid: is.verificationMethodID(k), Use: "sig", Alg: "EdDSA",
				X: b64url(k.pub),
			}), mediaJWK, true
		}
		return mustJSON(multikeyDocument{
			Context:     ContextMultikeyV1,
			multikeyDoc: is.multikey(is.verificationMethodID(k), k),
		}), mediaJSONLD, true
	}
	for _, k := range rs {
		if k.thumb == id {
			return mustJSON(rsaJWK(is.kid(k), k)), mediaJWK, true
		}
	}
	return nil, "", false
}

// Key serves GET /issuer/keys/{id}: one signing key (Issuer.KeyDocument).
// An Ed25519 key is its Multikey document unless the client asks for
// application/jwk+json; an RSA key is always its JWK.
func (h *Handler) Key(w http.ResponseWriter, r *http.Request) {
	negotiated(w)
	body, media, ok := h.is.KeyDocument(r.PathValue("id"), wantsJWK(r))
	if !ok {
		h.writeError(w, r, http.StatusNotFound, "no such key")
		return
	}
	writeBody(w, http.StatusOK, media, cacheKeys, body)
}

// wantsJWK reports whether the Accept header names application/jwk+json
// (or jwk-set+json) with a q above zero.
func wantsJWK(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, params, _ := strings.Cut(part, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			if (mt == mediaJWK || mt == "application/jwk-set+json") && acceptQ(params) > 0 {
				return true
			}
		}
	}
	return false
}

// keyFromURL reads the Ed25519 key from a verification method id whose
// last path segment (or fragment) is a publicKeyMultibase, as ours are.
func keyFromURL(vm string) (ed25519.PublicKey, error) {
	base, frag, _ := strings.Cut(vm, "#")
	if frag != "" {
		return ParseMultikeyEd25519(frag)
	}
	i := strings.LastIndexByte(base, '/')
	if i < 0 || !strings.HasPrefix(base, "http") {
		return nil, errors.New("no key in the id")
	}
	pub, err := ParseMultikeyEd25519(base[i+1:])
	if err != nil {
		return nil, fmt.Errorf("last path segment: %w", err)
	}
	return pub, nil
}
