package issuer

import (
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestProfileDocument(t *testing.T) {
	is := newTestIssuer(t)
	doc := is.ProfileDocument()
	goldenFile(t, "profile.json", indentJSON(t, doc))
	// Every term must be defined: Data Integrity verifiers frame the
	// controller document in JSON-LD safe mode.
	nq, err := newCanonicalizer().Canonicalize(readJSONObject(t, doc))
	if err != nil {
		t.Fatalf("profile is not valid JSON-LD in safe mode: %v", err)
	}
	ed, _ := is.keys.current()
	vm := is.verificationMethodID(ed)
	for _, want := range []string{
		"<" + is.IssuerID() + "> <https://w3id.org/security#assertionMethod> <" + vm + ">",
		"<" + is.IssuerID() + "> <https://w3id.org/security#verificationMethod> <" + vm + ">",
		"<" + vm + "> <https://w3id.org/security#publicKeyMultibase> \"" + ed.multibase + "\"^^<https://w3id.org/security#multibase>",
		"<" + vm + "> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#Multikey>",
	} {
		if !strings.Contains(nq, want) {
			t.Errorf("profile RDF lacks %s\n%s", want, nq)
		}
	}
}

func TestJWKS(t *testing.T) {
	is := newTestIssuer(t)
	goldenFile(t, "jwks.json", indentJSON(t, is.JWKS()))
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(is.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	_, rk := is.keys.current()
	keys := set.Key(is.kid(rk))
	if len(keys) != 1 {
		t.Fatalf("kid %s found %d times", is.kid(rk), len(keys))
	}
	pub, ok := keys[0].Key.(*rsa.PublicKey)
	if !ok || !pub.Equal(&rk.priv.PublicKey) || keys[0].Use != "sig" || keys[0].Algorithm != "RS256" {
		t.Fatalf("JWKS key %+v", keys[0])
	}
	tp, err := keys[0].Thumbprint(crypto.SHA256)
	if err != nil || base64.RawURLEncoding.EncodeToString(tp) != rk.thumb {
		t.Fatalf("thumbprint %x, kid fragment %s", tp, rk.thumb)
	}
	if got := new(big.Int).SetBytes(bigEndian(65537)).Int64(); got != 65537 {
		t.Fatalf("bigEndian(65537) = %d", got)
	}
}
