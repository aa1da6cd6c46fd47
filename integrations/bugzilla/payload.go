package bugzilla

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The BMO webhook body, as built by extensions/Push (Serialize.pm,
// Extension.pm) and sent by extensions/Push/lib/Connector/Webhook.pm:
//
//	{"webhook_id": 23, "webhook_name": "...",
//	 "event": {"action": "modify", "target": "bug",
//	           "routing_key": "bug.modify:status,resolution",
//	           "time": "2020-07-24T20:11:22",
//	           "user": {"id": 1, "login": "...", "real_name": "..."},
//	           "changes": [{"field": "status", "removed": "NEW", "added": "RESOLVED"}]},
//	 "bug": {"id": 1629704, "summary": "...", "status": "RESOLVED", ...,
//	         "comment": {...} or "attachment": {...} for those targets}}
//
// Only the fields badgebot reads are decoded. Older BMO releases sent
// product, component and status as {"id", "name"} objects, users as objects
// under assigned_to and reporter, and no routing_key; the types below read
// both shapes.

// payload is the part of a webhook body that Normalize reads.
type payload struct {
	Event event `json:"event"`
	Bug   *bug  `json:"bug"`
}

type event struct {
	Action     string   `json:"action"`
	Target     string   `json:"target"`
	RoutingKey string   `json:"routing_key"`
	Time       string   `json:"time"`
	User       user     `json:"user"`
	Changes    []change `json:"changes"`
}

type change struct {
	Field   string `json:"field"`
	Removed text   `json:"removed"`
	Added   text   `json:"added"`
}

type bug struct {
	ID               int64       `json:"id"`
	Summary          string      `json:"summary"`
	Status           label       `json:"status"`
	Resolution       string      `json:"resolution"`
	Product          label       `json:"product"`
	Component        label       `json:"component"`
	AssignedTo       user        `json:"assigned_to"`
	AssignedToDetail user        `json:"assigned_to_detail"`
	Creator          user        `json:"creator"`
	CreatorDetail    user        `json:"creator_detail"`
	Reporter         user        `json:"reporter"`
	IsPrivate        boolish     `json:"is_private"`
	CreationTime     string      `json:"creation_time"`
	Comment          *comment    `json:"comment"`
	Attachment       *attachment `json:"attachment"`
}

type comment struct {
	ID        int64   `json:"id"`
	Body      string  `json:"body"`
	Number    int64   `json:"number"`
	IsPrivate boolish `json:"is_private"`
}

type attachment struct {
	ID        int64   `json:"id"`
	IsPrivate boolish `json:"is_private"`
}

// assignee returns the bug's assignee in whichever shape it came.
func (b *bug) assignee() user { return first(b.AssignedToDetail, b.AssignedTo) }

// creator returns who filed the bug (creator, or reporter in old payloads).
func (b *bug) creator() user { return first(b.CreatorDetail, b.Creator, b.Reporter) }

func first(us ...user) user {
	for _, u := range us {
		if u.Login != "" {
			return u
		}
	}
	return user{}
}

// routingKey returns event.routing_key, or rebuilds it the way Extension.pm
// does ("target.action:field,field") for payloads that lack it.
func (e *event) routingKey() string {
	if e.RoutingKey != "" {
		return e.RoutingKey
	}
	if e.Action == "" {
		return ""
	}
	target := e.Target
	if target == "" {
		target = "bug"
	}
	rk := target + "." + e.Action
	if len(e.Changes) > 0 {
		fields := make([]string, len(e.Changes))
		for i, c := range e.Changes {
			fields[i] = c.Field
		}
		rk += ":" + strings.Join(fields, ",")
	}
	return rk
}

// splitKey splits "target.action:field,field".
func splitKey(rk string) (target, action string, fields []string) {
	head, list, _ := strings.Cut(rk, ":")
	target, action, _ = strings.Cut(head, ".")
	if list != "" {
		fields = strings.Split(list, ",")
	}
	return target, action, fields
}

// user is a Bugzilla account: an object with login (webhooks) or name and
// email (REST), or just the login as a string.
type user struct {
	ID       int64
	Login    string
	RealName string
}

// UnmarshalJSON implements json.Unmarshaler.
func (u *user) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*u = user{}
		return nil
	case len(b) > 0 && b[0] == '"':
		*u = user{}
		return json.Unmarshal(b, &u.Login)
	}
	var v struct {
		ID       int64  `json:"id"`
		Login    string `json:"login"`
		Email    string `json:"email"`
		Name     string `json:"name"`
		RealName string `json:"real_name"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*u = user{ID: v.ID, Login: v.Login, RealName: v.RealName}
	if u.Login == "" {
		u.Login = v.Email
	}
	if u.Login == "" {
		u.Login = v.Name // REST: name is the login
	}
	return nil
}

// label is a product, component or status: a string, or {"id", "name"}.
type label string

// UnmarshalJSON implements json.Unmarshaler.
func (n *label) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		*n = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		err := json.Unmarshal(b, &s)
		*n = label(s)
		return err
	}
	var v struct {
		Name string `json:"name"`
	}
	err := json.Unmarshal(b, &v)
	*n = label(v.Name)
	return err
}

// text is a change value: a string, or a number or list for custom fields
// (kept as its JSON text, which is never a value badgebot looks for).
type text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*t = text(s)
		return err
	}
	if bytes.Equal(b, []byte("null")) {
		*t = ""
		return nil
	}
	*t = text(b)
	return nil
}

// boolish is a boolean that Perl may have written as true, 1 or "1".
type boolish bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *boolish) UnmarshalJSON(b []byte) error {
	switch s := strings.Trim(string(b), `"`); s {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return fmt.Errorf("bugzilla: %s is not a boolean", strconv.Quote(string(b)))
	}
	return nil
}

// parseTime reads a BMO time: "2020-07-24T20:11:22" (UTC, no zone) from
// webhooks, RFC 3339 ("...Z") from REST.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q: want YYYY-MM-DDTHH:MM:SS", s)
}
