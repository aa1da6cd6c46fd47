package issuer

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// jwtClaims are the registered claims a VC-JWT payload adds to the
// credential; they are not part of the credential's JSON-LD.
var jwtClaims = []string{"iss", "sub", "nbf", "jti", "exp", "iat", "aud"}

// identityHashRE is the 1EdTech format of a hashed identity.
var identityHashRE = regexp.MustCompile(`^(sha256\$[0-9a-fA-F]{64}|md5\$[0-9a-fA-F]{32})$`)

// dateTimeRE is an RFC 3339 date-time with a time zone.
var dateTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

// verifyOB3 checks an OB 3.0 credential. viaJWT is "" for a credential
// given as JSON, or the name of the JWT check that already proved it.
func (v *verifier) verifyOB3(ctx context.Context, rep *Report, cred map[string]any, viaJWT string) {
	issuerID := idOf(cred["issuer"])
	rep.Issuer, rep.Subject = issuerID, str(cred, "id")
	v.checkModel(rep, cred)
	v.checkJSONLD(rep, cred)
	v.checkDates(rep, cred)
	if proofs := asList(cred["proof"]); len(proofs) > 0 {
		v.checkDataIntegrity(ctx, rep, "proof", cred, issuerID)
	} else if viaJWT == "" {
		rep.fail("proof", "no proof: neither an embedded Data Integrity proof nor a VC-JWT")
	}
	v.checkStatus(ctx, rep, cred, issuerID)
	if v.opt.Recipient != "" {
		v.checkRecipientOB3(rep, cred)
	}
}

// checkModel checks the parts of the OB 3.0 data model (and of the 1EdTech
// schema) that verifiers rely on.
func (v *verifier) checkModel(rep *Report, cred map[string]any) {
	var problems []string
	ctxs := asList(cred["@context"])
	first, _ := firstString(ctxs)
	switch {
	case first == "https://www.w3.org/2018/credentials/v1":
		problems = append(problems, "VCDM 1.1 context (OB 3.0 uses https://www.w3.org/ns/credentials/v2)")
	case first != ContextCredentialsV2:
		problems = append(problems, "@context must start with "+ContextCredentialsV2)
	}
	if len(ctxs) < 2 {
		problems = append(problems, "@context lacks the OB 3.0 context")
	} else if s, _ := ctxs[1].(string); !strings.HasPrefix(s, "https://purl.imsglobal.org/spec/ob/v3p0/context") {
		problems = append(problems, "second @context entry is not the OB 3.0 context")
	}
	if !hasType(cred, "VerifiableCredential") || !(hasType(cred, "OpenBadgeCredential") || hasType(cred, "AchievementCredential")) {
		problems = append(problems, "type must include VerifiableCredential and OpenBadgeCredential")
	}
	if idOf(cred["issuer"]) == "" {
		problems = append(problems, "issuer has no id")
	}
	subj := obj(cred, "credentialSubject")
	if subj == nil {
		problems = append(problems, "no credentialSubject object")
	} else {
		if str(subj, "id") == "" && len(asList(subj["identifier"])) == 0 {
			problems = append(problems, "credentialSubject needs an id or an identifier")
		}
		for _, x := range asList(subj["identifier"]) {
			idf, _ := x.(map[string]any)
			if idf == nil {
				problems = append(problems, "identifier is not an object")
				continue
			}
			if h, _ := idf["hashed"].(bool); h && !identityHashRE.MatchString(str(idf, "identityHash")) {
				problems = append(problems, "hashed identityHash is not sha256$<64 hex> or md5$<32 hex>")
			}
		}
		if a := obj(subj, "achievement"); a == nil {
			problems = append(problems, "credentialSubject has no achievement object")
		} else {
			for _, k := range []string{"id", "name", "description"} {
				if str(a, k) == "" {
					problems = append(problems, "achievement lacks "+k)
				}
			}
			if obj(a, "criteria") == nil {
				problems = append(problems, "achievement lacks criteria")
			}
		}
	}
	if s := str(cred, "validFrom"); s == "" {
		problems = append(problems, "no validFrom")
	}
	for _, x := range asList(cred["proof"]) {
		p, _ := x.(map[string]any)
		if pp := str(p, "proofPurpose"); p != nil && pp != "" && pp != purposeAssertion {
			problems = append(problems, fmt.Sprintf("proofPurpose %q must be assertionMethod", pp))
		}
	}
	if len(problems) > 0 {
		rep.fail("model", "%s", strings.Join(problems, "; "))
		return
	}
	rep.ok("model", "OpenBadgeCredential with the required fields")
}

func firstString(l []any) (string, bool) {
	if len(l) == 0 {
		return "", false
	}
	s, ok := l[0].(string)
	return s, ok
}

// checkJSONLD expands the credential in safe mode with the embedded
// contexts: every term and type must be defined.
func (v *verifier) checkJSONLD(rep *Report, cred map[string]any) {
	doc := make(map[string]any, len(cred))
	for k, x := range cred {
		doc[k] = x
	}
	for _, c := range jwtClaims {
		delete(doc, c)
	}
	if err := v.canon.Check(doc); err != nil {
		rep.fail("jsonld", "%v", err)
		return
	}
	rep.ok("jsonld", "every term is defined by the declared contexts (offline, safe mode)")
}

func (v *verifier) checkDates(rep *Report, cred map[string]any) {
	var from, until time.Time
	for _, k := range []string{"validFrom", "validUntil"} {
		s := str(cred, k)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !dateTimeRE.MatchString(s) {
			rep.fail("dates", "%s %q is not an RFC 3339 date-time with a time zone", k, s)
			return
		}
		if k == "validFrom" {
			from = t
		} else {
			until = t
		}
	}
	switch {
	case !from.IsZero() && from.After(v.now):
		rep.fail("dates", "not yet valid (validFrom %s)", from.Format(time.RFC3339))
	case !until.IsZero() && !until.After(v.now):
		rep.fail("dates", "expired (validUntil %s)", until.Format(time.RFC3339))
	default:
		rep.ok("dates", "valid at %s", v.now.UTC().Format(time.RFC3339))
	}
}

// checkDataIntegrity verifies every eddsa-rdfc-2022 proof of doc and
// where its key comes from. name prefixes the checks ("proof", "status").
// It reports whether one proof verified.
func (v *verifier) checkDataIntegrity(ctx context.Context, rep *Report, name string, doc map[string]any, issuerID string) bool {
	unsecured := make(map[string]any, len(doc))
	for k, x := range doc {
		if k != "proof" {
			unsecured[k] = x
		}
	}
	verified := false
	for i, x := range asList(doc["proof"]) {
		label := name
		if i > 0 {
			label = fmt.Sprintf("%s[%d]", name, i)
		}
		p, _ := x.(map[string]any)
		if p == nil {
			rep.fail(label, "proof is not an object")
			continue
		}
		if str(p, "type") != proofTypeDataIntegrity || str(p, "cryptosuite") != cryptosuiteEdDSARDFC {
			rep.skip(label, "proof %s/%s is not supported (only DataIntegrityProof eddsa-rdfc-2022)", str(p, "type"), str(p, "cryptosuite"))
			continue
		}
		vm := idOf(p["verificationMethod"])
		pub, prov := v.resolveEdKey(ctx, vm, issuerID)
		if pub == nil {
			rep.addCheck(label+".key", prov)
			rep.fail(label, "no key for verification method %q", vm)
			continue
		}
		if err := v.canon.verifyDataIntegrity(unsecured, p, pub); err != nil {
			rep.fail(label, "eddsa-rdfc-2022: %v", err)
			continue
		}
		rep.ok(label, "DataIntegrityProof eddsa-rdfc-2022 verified with %s", vm)
		rep.addCheck(label+".key", prov)
		verified = verified || prov.Status != CheckFailed
	}
	if verified && name == "proof" {
		rep.proved = true
	}
	return verified
}

// resolveEdKey finds the Ed25519 key of a verification method and says
// how far its binding to the issuer could be checked.
func (v *verifier) resolveEdKey(ctx context.Context, vm, issuerID string) (ed25519.PublicKey, Check) {
	c := Check{Name: "key"}
	base, frag, _ := strings.Cut(vm, "#")
	if strings.HasPrefix(vm, "did:key:") {
		pub, err := ParseMultikeyEd25519(strings.TrimPrefix(base, "did:key:"))
		if err != nil {
			c.Status, c.Message = CheckFailed, fmt.Sprintf("did:key %q: %v", base, err)
			return nil, c
		}
		if frag != "" && frag != strings.TrimPrefix(base, "did:key:") {
			c.Status, c.Message = CheckFailed, "did:key fragment names another key"
			return nil, c
		}
		if base != issuerID {
			c.Status, c.Message = CheckFailed, fmt.Sprintf("key %s is not the issuer's (%s)", base, issuerID)
			return pub, c
		}
		c.Status, c.Message = CheckOK, "key is the issuer's did:key"
		return pub, c
	}
	fragKey, fragErr := keyFromURL(vm)
	ctrl, err := v.fetchJSON(ctx, base)
	if err != nil && frag == "" && isHTTPURL(issuerID) && strings.HasPrefix(vm, issuerID+"/") {
		// The key's own URL cannot be read, but the issuer's controller
		// document may be, and it lists the issuer's keys.
		if doc, err2 := v.fetchJSON(ctx, issuerID); err2 == nil {
			ctrl, base, err = doc, issuerID, nil
		}
	}
	if err != nil {
		if fragErr == nil {
			c.Status, c.NeedsNetwork = CheckSkipped, true
			c.Message = fmt.Sprintf("key read from the verification method id; not proven that the issuer lists it (%s: %v)", base, err)
			return fragKey, c
		}
		c.Status, c.Message = CheckFailed, fmt.Sprintf("cannot dereference verification method %s: %v", vm, err)
		return nil, c
	}
	if frag == "" && str(ctrl, "controller") != "" {
		// The verification method id is the key's own URL: a Multikey
		// document naming its controller, which must list it.
		return v.resolveKeyDocument(ctx, vm, ctrl, issuerID)
	}
	if id := str(ctrl, "id"); id != "" && id != base {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("controller document at %s has id %s", base, id)
		return nil, c
	}
	var listed map[string]any
	authorised := false
	for _, x := range asList(ctrl["assertionMethod"]) {
		if idOf(x) == vm {
			authorised = true
			if m, ok := x.(map[string]any); ok {
				listed = m
			}
		}
	}
	for _, x := range asList(ctrl["verificationMethod"]) {
		if m, ok := x.(map[string]any); ok && str(m, "id") == vm && listed == nil {
			listed = m
		}
	}
	if !authorised || listed == nil {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("%s does not list %s as an assertionMethod key", base, vm)
		return nil, c
	}
	pub, err := ParseMultikeyEd25519(str(listed, "publicKeyMultibase"))
	if err != nil {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("verification method %s: %v", vm, err)
		return nil, c
	}
	if fragErr == nil && !fragKey.Equal(pub) {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("verification method %s: fragment and listed key differ", vm)
		return nil, c
	}
	if base != issuerID {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("key controller %s is not the issuer %s", base, issuerID)
		return pub, c
	}
	c.Status, c.Message = CheckOK, fmt.Sprintf("key is an assertionMethod of the issuer's controller document %s", base)
	return pub, c
}

// resolveKeyDocument checks a verification method that dereferenced to a
// key document of its own (a Multikey, as /issuer/keys/{id} serves): its
// id, its key, and that its controller is the issuer and lists it as an
// assertionMethod.
func (v *verifier) resolveKeyDocument(ctx context.Context, vm string, doc map[string]any, issuerID string) (ed25519.PublicKey, Check) {
	c := Check{Name: "key"}
	if id := str(doc, "id"); id != vm {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("key document at %s has id %q", vm, id)
		return nil, c
	}
	if !hasType(doc, "Multikey") {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("key document at %s is not a Multikey", vm)
		return nil, c
	}
	pub, err := ParseMultikeyEd25519(str(doc, "publicKeyMultibase"))
	if err != nil {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("verification method %s: %v", vm, err)
		return nil, c
	}
	if idKey, err := keyFromURL(vm); err == nil && !idKey.Equal(pub) {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("verification method %s: the key in its id and its document differ", vm)
		return nil, c
	}
	ctrlID := str(doc, "controller")
	if ctrlID != issuerID {
		c.Status, c.Message = CheckFailed, fmt.Sprintf("key controller %s is not the issuer %s", ctrlID, issuerID)
		return pub, c
	}
	ctrl, err := v.fetchJSON(ctx, ctrlID)
	if err != nil {
		c.Status, c.NeedsNetwork = CheckSkipped, true
		c.Message = fmt.Sprintf("key document read; not proven that the controller %s lists it (%v)", ctrlID, err)
		return pub, c
	}
	for _, x := range asList(ctrl["assertionMethod"]) {
		if idOf(x) == vm {
			c.Status, c.Message = CheckOK, fmt.Sprintf("key document %s names the issuer as controller, which lists it as an assertionMethod", vm)
			return pub, c
		}
	}
	c.Status, c.Message = CheckFailed, fmt.Sprintf("%s does not list %s as an assertionMethod key", ctrlID, vm)
	return pub, c
}

// checkStatus reads each BitstringStatusListEntry's bit from its signed
// status list.
func (v *verifier) checkStatus(ctx context.Context, rep *Report, cred map[string]any, issuerID string) {
	for _, x := range asList(cred["credentialStatus"]) {
		st, _ := x.(map[string]any)
		if st == nil {
			rep.fail("status", "credentialStatus is not an object")
			continue
		}
		if str(st, "type") != "BitstringStatusListEntry" {
			rep.skip("status", "credentialStatus type %q is not checked", str(st, "type"))
			continue
		}
		purpose, listURL := str(st, "statusPurpose"), str(st, "statusListCredential")
		idx, err := strconv.Atoi(str(st, "statusListIndex"))
		if purpose == "" || listURL == "" || err != nil || idx < 0 {
			rep.fail("status", "BitstringStatusListEntry needs statusPurpose, statusListCredential and a statusListIndex of digits")
			continue
		}
		list, err := v.fetchJSON(ctx, listURL)
		if err != nil {
			rep.skipFetch("status", "status list %s not read, so revocation is not checked: %v", listURL, err)
			continue
		}
		if !hasType(list, "BitstringStatusListCredential") {
			rep.fail("status", "%s is not a BitstringStatusListCredential", listURL)
			continue
		}
		if id := idOf(list["issuer"]); id != issuerID {
			rep.fail("status", "status list issuer %s is not the credential issuer %s", id, issuerID)
			continue
		}
		if !v.checkDataIntegrity(ctx, rep, "status.proof", list, issuerID) {
			rep.fail("status", "status list %s is not signed by the issuer", listURL)
			continue
		}
		subj := obj(list, "credentialSubject")
		if p := str(subj, "statusPurpose"); p != purpose {
			rep.fail("status", "status purpose %q, the list's is %q", purpose, p)
			continue
		}
		raw, err := decodeStatusList(str(subj, "encodedList"))
		if err != nil {
			rep.fail("status", "%v", err)
			continue
		}
		set, err := statusBit(raw, idx)
		switch {
		case err != nil:
			rep.fail("status", "%v", err)
		case set && purpose == statusPurposeRevocation:
			rep.fail("status", "REVOKED: bit %d of %s is set", idx, listURL)
		case set:
			rep.fail("status", "%s: bit %d of %s is set", purpose, idx, listURL)
		default:
			rep.ok("status", "%s: bit %d of %s is clear", purpose, idx, listURL)
		}
	}
}

// checkRecipientOB3 compares the wanted recipient with the subject.
func (v *verifier) checkRecipientOB3(rep *Report, cred map[string]any) {
	subj := obj(cred, "credentialSubject")
	if str(subj, "id") == v.opt.Recipient {
		rep.ok("recipient", "credentialSubject.id matches")
		return
	}
	for _, x := range asList(subj["identifier"]) {
		idf, _ := x.(map[string]any)
		if matchIdentity(v.opt.Recipient, str(idf, "identityHash"), str(idf, "salt"), idf["hashed"] == true, str(idf, "identityType") == "emailAddress") {
			rep.ok("recipient", "identifier (%s) matches", str(idf, "identityType"))
			return
		}
	}
	rep.fail("recipient", "no identifier matches %q", v.opt.Recipient)
}

// matchIdentity compares a plain identity with a (hashed) one.
func matchIdentity(plain, stored, salt string, hashed, email bool) bool {
	if !hashed {
		return plain == stored
	}
	if !strings.HasPrefix(strings.ToLower(stored), "sha256$") {
		return false // md5 is not accepted
	}
	if strings.EqualFold(IdentityHash(plain, salt), stored) {
		return true
	}
	// e-mail addresses are hashed in lower case by most issuers (and us)
	return email && strings.EqualFold(IdentityHash(strings.ToLower(plain), salt), stored)
}

// errNoKey says a JWT's key could not be found.
var errNoKey = errors.New("no key found")
