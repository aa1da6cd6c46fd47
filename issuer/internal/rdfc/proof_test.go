package rdfc

import "testing"

func TestProofConfigKey(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"@context": []any{ContextCredentialsV2, ContextOB303}, "type": "DataIntegrityProof",
			"cryptosuite": "eddsa-rdfc-2022", "created": "2026-11-26T12:00:00Z",
			"verificationMethod": "https://badges.example.org/issuer#z6Mk", "proofPurpose": "assertionMethod",
		}
	}
	changes := map[string]func(m map[string]any){
		"created":         func(m map[string]any) { m["created"] = "2026-11-26T12:00:01Z" },
		"context order":   func(m map[string]any) { m["@context"] = []any{ContextOB303, ContextCredentialsV2} },
		"context joined":  func(m map[string]any) { m["@context"] = []any{ContextCredentialsV2 + ContextOB303} },
		"value moved":     func(m map[string]any) { m["type"], m["cryptosuite"] = m["cryptosuite"], m["type"] },
		"extra option":    func(m map[string]any) { m["domain"] = "example.org" },
		"number (JSON)":   func(m map[string]any) { m["expires"] = 1.5 },
		"inline context":  func(m map[string]any) { m["@context"] = []any{ContextCredentialsV2, map[string]any{"x": "y"}} },
		"string, no list": func(m map[string]any) { m["@context"] = ContextCredentialsV2 },
	}
	want, err := proofConfigKey(base())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{want: "base"}
	for name, change := range changes {
		m := base()
		change(m)
		got, err := proofConfigKey(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%s and %s have the same key %q", name, other, got)
		}
		seen[got] = name
	}
	if again, _ := proofConfigKey(base()); again != want {
		t.Errorf("the same configuration has two keys: %q, %q", want, again)
	}
}
