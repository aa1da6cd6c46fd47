package issuer

// controllerTerms returns an inline context defining the two
// controller-document terms that neither credentials/v2, the OB 3.0 context
// nor multikey/v1 defines at the top level, with the IRIs the security vocabulary (and so every Data Integrity
// verifier that frames controller documents) uses. Without it JSON-LD safe
// mode rejects the profile.
func controllerTerms() map[string]any {
	return map[string]any{
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
// them all, so credentials signed before a rotation still verify.
func (is *Issuer) ProfileDocument() []byte {
	eds, _ := is.keys.all()
	doc := profileDocument{
		Context:     []any{ContextCredentialsV2, ContextOB303, ContextMultikeyV1, controllerTerms()},
		ID:          is.IssuerID(),
		Type:        []string{"Profile"},
		Name:        is.p.Name,
		URL:         is.p.URL,
		Email:       is.p.Email,
		Description: is.p.Description,
	}
	for _, k := range eds {
		id := is.verificationMethodID(k)
		doc.VerificationMethod = append(doc.VerificationMethod, multikeyDoc{
			ID:                 id,
			Type:               "Multikey",
			Controller:         is.IssuerID(),
			PublicKeyMultibase: k.multibase,
		})
		doc.AssertionMethod = append(doc.AssertionMethod, id)
	}
	return mustJSON(doc)
}
