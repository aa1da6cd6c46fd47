package issuer

// controllerTerms returns an inline context defining the controller
// document terms that neither credentials/v2 nor the OB 3.0 context
// defines, with the IRIs the security vocabulary (and so every Data
// Integrity verifier that frames controller documents) uses. Without it
// JSON-LD safe mode rejects the profile. Multikey is defined here as
// multikey/v1 defines it rather than by naming that context: wallets
// (the DCC's verifier-core) frame the controller document with the
// contexts they ship, which do not include multikey/v1, and cannot fetch
// it offline.
func controllerTerms() map[string]any {
	return map[string]any{
		"Multikey": map[string]any{
			"@id": "https://w3id.org/security#Multikey",
			"@context": map[string]any{
				"@protected": true,
				"id":         "@id",
				"type":       "@type",
				"controller": map[string]any{
					"@id":   "https://w3id.org/security#controller",
					"@type": "@id",
				},
				"publicKeyMultibase": map[string]any{
					"@id":   "https://w3id.org/security#publicKeyMultibase",
					"@type": "https://w3id.org/security#multibase",
				},
			},
		},
		"verificationMethod": map[string]any{
			"@id":   "https://w3id.org/security#verificationMethod",
			"@type": "@id",
		},
		"assertionMethod": map[string]any{
			"@id":        "https://w3id.org/security#assertionMethod",
			"@type":      "@id",
			"@container": "@set",
		},
	}
}

// profileDocument is the issuer Profile served at /issuer. It is also
// the controller document of the Data Integrity keys.
type profileDocument struct {
	Context            []any         `json:"@context"`
	ID                 string        `json:"id"`
	Type               []string      `json:"type"`
	Name               string        `json:"name"`
	URL                string        `json:"url,omitempty"`
	Email              string        `json:"email,omitempty"`
	Description        string        `json:"description,omitempty"`
	Image              *ob3Image     `json:"image,omitempty"`     // a program's logo
	ParentOrg          *ob3Profile   `json:"parentOrg,omitempty"` // a program's: the instance's issuer
	VerificationMethod []multikeyDoc `json:"verificationMethod"`
	AssertionMethod    []string      `json:"assertionMethod"`
}

type multikeyDoc struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

// ProfileDocument is the OB 3.0 issuer Profile served at /issuer. It is
// the controller document of the issuer's keys: verificationMethod lists
// every Ed25519 key ever used as a Multikey, and assertionMethod names
// them all, so credentials signed before a rotation still verify. Each key
// is listed under its own URL (/issuer/keys/{multibase}, which new
// credentials name) and under the issuer URL with its multibase as
// fragment (which credentials signed before keys had a URL name).
//
// A program's profile (/programs/{slug}) lists the same keys under its
// own URLs only (programs came after keys had URLs), and names the
// instance's issuer as parentOrg.
func (is *Issuer) ProfileDocument() []byte {
	eds, _ := is.keys.all()
	doc := profileDocument{
		Context:     []any{ContextCredentialsV2, ContextOB303, controllerTerms()},
		ID:          is.IssuerID(),
		Type:        []string{"Profile"},
		Name:        is.p.Name,
		URL:         is.p.URL,
		Email:       is.p.Email,
		Description: is.p.Description,
	}
	if is.parent != nil {
		ref := is.profileRef()
		doc.Image, doc.ParentOrg = ref.Image, ref.ParentOrg
	}
	for _, k := range eds {
		// Each key under its own URL and, for credentials signed before
		// keys had one, under the issuer URL with its multibase fragment.
		ids := []string{is.verificationMethodID(k), is.legacyVerificationMethodID(k)}
		if is.parent != nil {
			ids = ids[:1]
		}
		for _, id := range ids {
			doc.VerificationMethod = append(doc.VerificationMethod, is.multikey(id, k))
			doc.AssertionMethod = append(doc.AssertionMethod, id)
		}
	}
	return mustJSON(doc)
}

func (is *Issuer) multikey(id string, k *edKey) multikeyDoc {
	return multikeyDoc{ID: id, Type: "Multikey", Controller: is.IssuerID(), PublicKeyMultibase: k.multibase}
}
