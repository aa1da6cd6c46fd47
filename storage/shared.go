package storage

import (
	"encoding/json"

	"github.com/badgebot/badgebot/bot"
)

// The forms rows are stored in, shared with storage/postgres so that both
// stores keep the same bytes and `badgebot migrate --from sqlite:PATH`
// copies columns as they are.

// AwardColumns are an award's columns in the order both stores scan them.
// AwardListColumns are the same with the signed documents (credential and
// jwt, 2–3 KB an award) read as empty: a listing shows neither
// (bot.Store.Awards).
const (
	AwardColumns     = awardColumnsHead + `credential, jwt, ` + awardColumnsTail
	AwardListColumns = awardColumnsHead + `NULL, '', ` + awardColumnsTail

	awardColumnsHead = `id, badge, person_id, recipient_platform, recipient_id, issued_at,
	evidence, narrative, source, source_ref, awarded_by, status_index,
	identity_type, identity, salt, `
	awardColumnsTail = `revoked, revoked_at, revocation_reason, revoked_by, awarded_via, revoked_via, program`
)

// EncodeBody returns a delivery body as stored (S2-compressed when that
// gains), its body_encoding, and a release to call once the stored body
// was written.
func EncodeBody(body []byte) (stored []byte, encoding string, release func()) {
	return encodeBody(body)
}

// DecodeBody returns the body a stored one encodes, in a buffer of its own.
func DecodeBody(stored []byte, encoding string) ([]byte, error) {
	return decodeBody(stored, encoding)
}

// DecodeBodyPooled returns the body a stored one encodes, in a pooled
// buffer when release is not nil (bot.WebhookDelivery.Release).
func DecodeBodyPooled(stored []byte, encoding string) (body []byte, release func(), err error) {
	return decodePooled(stored, encoding)
}

// EncodeEvidence and DecodeEvidence convert an award's evidence column.
func EncodeEvidence(es []bot.Evidence) (string, error) { return encodeEvidence(es) }

// ScanPastAwards reads rows of (revoked, evidence column as stored), from
// database/sql or pgx, into the rules' PastAwards.
func ScanPastAwards(rows pastRows) (bot.PastAwards, error) {
	return scanPastAwards(rows)
}

// DecodeEvidence reads an award's evidence column.
func DecodeEvidence(s string) ([]bot.Evidence, error) { return decodeEvidence(s) }

// EncodeRecipients and DecodeRecipients convert a badge's owners column.
func EncodeRecipients(rs []bot.Recipient) (string, error) { return encodeRecipients(rs) }

// DecodeRecipients reads a badge's owners column.
func DecodeRecipients(s string) ([]bot.Recipient, error) { return decodeRecipients(s) }

// HandleBase derives a new person's handle from an identity.
func HandleBase(r bot.Recipient, name string) string { return handleBase(r, name) }

// MarshalSweepState returns the job_state document of the sweep.
func MarshalSweepState(st bot.SweepState) ([]byte, error) {
	return json.Marshal(sweepStateJSON{LastEventID: st.LastEventID, Fingerprint: st.Fingerprint,
		FullAt: zeroMillis(st.FullAt), SweptAt: zeroMillis(st.SweptAt)})
}

// UnmarshalSweepState reads the job_state document of the sweep.
func UnmarshalSweepState(b []byte) (bot.SweepState, error) {
	var j sweepStateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return bot.SweepState{}, err
	}
	return bot.SweepState{LastEventID: j.LastEventID, Fingerprint: j.Fingerprint,
		FullAt: fromZeroMillis(j.FullAt), SweptAt: fromZeroMillis(j.SweptAt)}, nil
}

// MarshalHealthState returns the job_state document of rule health.
func MarshalHealthState(st bot.HealthState) ([]byte, error) {
	j := healthJSON{CheckedEventID: st.CheckedEventID, Rules: map[string]ruleHealthJSON{}, Fields: map[string]fieldHealthJSON{}}
	for name, r := range st.Rules {
		j.Rules[name] = ruleHealthJSON{FirstSeen: zeroMillis(r.FirstSeen), LastMatch: zeroMillis(r.LastMatch), Reported: r.Reported}
	}
	for key, f := range st.Fields {
		j.Fields[key] = fieldHealthJSON(f)
	}
	return json.Marshal(j)
}

// UnmarshalHealthState reads the job_state document of rule health; nil
// reads as the zero state.
func UnmarshalHealthState(b []byte) (bot.HealthState, error) {
	st := bot.HealthState{Rules: map[string]bot.RuleHealth{}, Fields: map[string]bot.FieldHealth{}}
	if b == nil {
		return st, nil
	}
	var j healthJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return st, err
	}
	st.CheckedEventID = j.CheckedEventID
	for name, r := range j.Rules {
		st.Rules[name] = bot.RuleHealth{FirstSeen: fromZeroMillis(r.FirstSeen), LastMatch: fromZeroMillis(r.LastMatch), Reported: r.Reported}
	}
	for key, f := range j.Fields {
		st.Fields[key] = bot.FieldHealth(f)
	}
	return st, nil
}
