package rdfc

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/piprate/json-gold/ld"
)

// Context URLs of the JSON-LD contexts embedded in the binary.
const (
	ContextCredentialsV2   = "https://www.w3.org/ns/credentials/v2"
	ContextOB303           = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
	ContextOBExtensions    = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
	ContextMultikeyV1      = "https://w3id.org/security/multikey/v1"
	ContextDataIntegrityV2 = "https://w3id.org/security/data-integrity/v2"
	ContextStatusListV1    = "https://www.w3.org/ns/credentials/status/v1"
)

//go:embed contexts/*
var contextFS embed.FS

// contextFiles maps each context URL to its embedded file, as published.
var contextFiles = map[string]string{
	ContextCredentialsV2:   "contexts/credentials-v2.jsonld",
	ContextOB303:           "contexts/ob-v3p0-context-3.0.3.json",
	ContextOBExtensions:    "contexts/ob-v3p0-extensions.json",
	ContextMultikeyV1:      "contexts/multikey-v1.jsonld",
	ContextDataIntegrityV2: "contexts/data-integrity-v2.jsonld",
	ContextStatusListV1:    "contexts/vc-bitstring-status-list-v1.jsonld",
}

// ContextDocument returns the embedded JSON-LD context published at url;
// ok is false for any other URL.
func ContextDocument(url string) (doc []byte, ok bool) {
	name, ok := contextFiles[url]
	if !ok {
		return nil, false
	}
	b, err := contextFS.ReadFile(name)
	return b, err == nil
}

// ErrUnknownContext is returned (wrapped) when a document names a JSON-LD
// context that is not embedded: nothing is ever fetched from the network.
var ErrUnknownContext = errors.New("issuer: JSON-LD context not embedded (never fetched)")

// offlineLoader is a json-gold DocumentLoader that serves the embedded
// contexts and refuses every other URL.
type offlineLoader struct{}

var _ ld.DocumentLoader = offlineLoader{}

// LoadDocument implements ld.DocumentLoader. Each call decodes a fresh copy,
// so json-gold may keep or change what it gets; processed contexts are
// cached above this loader, so it is seldom called.
func (offlineLoader) LoadDocument(url string) (*ld.RemoteDocument, error) {
	b, ok := ContextDocument(url)
	if !ok {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, fmt.Errorf("%w: %q", ErrUnknownContext, url))
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, err)
	}
	return &ld.RemoteDocument{DocumentURL: url, Document: doc}, nil
}
