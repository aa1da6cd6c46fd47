package rdfc

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// proofHashCacheSize bounds the memo of proof-configuration hashes.
const proofHashCacheSize = 256

// HashProofConfig is sha256 of the canonical N-Quads of a proof
// configuration (the proof's options without proofValue, with the
// document's @context), by the full path. The configuration differs
// between signatures only in "created" (seconds) and the key, so under
// load most signatures share one: the hash is kept, under a name that
// spells out the configuration exactly (proofConfigKey).
func (c *Canonicalizer) HashProofConfig(cfg map[string]any) ([sha256.Size]byte, error) {
	key, err := proofConfigKey(cfg)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("issuer: proof configuration: %w", err)
	}
	return c.proofs.Get(key, func() ([sha256.Size]byte, error) {
		nq, err := c.Canonicalize(cfg)
		if err != nil {
			return [sha256.Size]byte{}, fmt.Errorf("issuer: canonicalising proof configuration: %w", err)
		}
		return sha256.Sum256([]byte(nq)), nil
	})
}

// proofConfigKey names a proof configuration exactly: its sorted keys and
// values, each length-prefixed, when the values are strings or lists of
// strings (always, for ours), else its JSON (which starts with '{', where
// the other form starts with a digit).
func proofConfigKey(cfg map[string]any) (string, error) {
	keys := make([]string, 0, len(cfg))
	for k := range cfg {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 256)
	str := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	for _, k := range keys {
		str(k)
		switch v := cfg[k].(type) {
		case string:
			b = append(b, 's')
			str(v)
		case []any:
			b = append(b, 'l')
			b = strconv.AppendInt(b, int64(len(v)), 10)
			for _, e := range v {
				es, ok := e.(string)
				if !ok {
					return proofConfigJSON(cfg)
				}
				str(es)
			}
		default:
			return proofConfigJSON(cfg)
		}
	}
	return string(b), nil
}

func proofConfigJSON(cfg map[string]any) (string, error) {
	b, err := json.Marshal(cfg) // sorted keys: the exact input
	return string(b), err
}
