package issuer

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwtPayload is an OB 3.0 VC-JWT payload: the credential itself (without
// an embedded proof) plus the registered claims that mirror it. There is
// no "sub": the subject has no id, only a hashed identifier.
type jwtPayload struct {
	ob3Credential
	Iss string `json:"iss"`
	Jti string `json:"jti"`
	Nbf int64  `json:"nbf"`
}

// signJWT returns the credential as a compact RS256 JWS whose protected
// header is exactly {alg, kid, typ: "JWT"}.
func (is *Issuer) signJWT(c ob3Credential, k *rsaKey) (string, error) {
	c.Proof = nil
	from, err := time.Parse(time.RFC3339, c.ValidFrom)
	if err != nil {
		return "", fmt.Errorf("issuer: VC-JWT nbf: %w", err)
	}
	payload, err := json.Marshal(jwtPayload{ob3Credential: c, Iss: c.Issuer.ID, Jti: c.ID, Nbf: from.Unix()})
	if err != nil {
		return "", fmt.Errorf("issuer: VC-JWT payload: %w", err)
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.priv, KeyID: is.kid(k)}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", fmt.Errorf("issuer: VC-JWT signer: %w", err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("issuer: VC-JWT signing: %w", err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("issuer: VC-JWT serialising: %w", err)
	}
	return token, nil
}

// jwk is one entry of the JWKS.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

type jwks struct {
	Keys []jwk `json:"keys"`
}

// JWKS is the JSON Web Key Set served at /.well-known/jwks.json: every
// RSA key ever used for VC-JWTs, so old awards keep verifying, each listed
// under its current kid (its /issuer/keys/ URL) and its older one.
func (is *Issuer) JWKS() []byte {
	_, rs := is.keys.all()
	set := jwks{Keys: make([]jwk, 0, len(rs))}
	for _, k := range rs {
		// Under the kid new VC-JWTs carry and under the one VC-JWTs signed
		// before keys had their own URL carry.
		set.Keys = append(set.Keys, rsaJWK(is.kid(k), k), rsaJWK(is.legacyKid(k), k))
		for _, c := range is.programs { // programs' VC-JWTs name their own kid
			set.Keys = append(set.Keys, rsaJWK(c.kid(k), k))
		}
	}
	return mustJSON(set)
}

// rsaJWK is the public JWK of an RSA key under the given kid.
func rsaJWK(kid string, k *rsaKey) jwk {
	pub := k.priv.PublicKey
	return jwk{
		Kty: "RSA",
		Kid: kid,
		Use: "sig",
		Alg: string(jose.RS256),
		N:   b64url(pub.N.Bytes()),
		E:   b64url(bigEndian(pub.E)),
	}
}

// bigEndian is the minimal big-endian encoding of a positive int (JWK "e").
func bigEndian(e int) []byte {
	var b []byte
	for ; e > 0; e >>= 8 {
		b = append([]byte{byte(e)}, b...)
	}
	return b
}
