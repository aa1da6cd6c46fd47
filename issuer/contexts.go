package issuer

import "github.com/badgebot/badgebot/issuer/internal/rdfc"

// Context URLs of the JSON-LD contexts embedded in the binary (in
// internal/rdfc, which canonicalises with them and never fetches another).
const (
	ContextCredentialsV2   = rdfc.ContextCredentialsV2
	ContextOB303           = rdfc.ContextOB303
	ContextOBExtensions    = rdfc.ContextOBExtensions
	ContextMultikeyV1      = rdfc.ContextMultikeyV1
	ContextDataIntegrityV2 = rdfc.ContextDataIntegrityV2
	ContextStatusListV1    = rdfc.ContextStatusListV1
)

// ContextOB2 is the OB 2.0 context. It is not embedded: no OB 3.0
// document needs it, and OB 2.0 documents are never canonicalised.
const ContextOB2 = "https://w3id.org/openbadges/v2"

// ErrUnknownContext is returned (wrapped) when a document names a JSON-LD
// context that is not embedded: nothing is ever fetched from the network.
var ErrUnknownContext = rdfc.ErrUnknownContext

// ContextDocument returns the embedded JSON-LD context published at url;
// ok is false for any other URL.
func ContextDocument(url string) (doc []byte, ok bool) { return rdfc.ContextDocument(url) }
