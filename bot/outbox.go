package bot

import "time"

// Announcement kinds.
const (
	KindAward   = "award"
	KindRevoke  = "revoke"
	KindSummary = "summary"
	KindDigest  = "digest"
)

// Announcement is one message waiting in the outbox for delivery to one
// chat channel. It is written in the same transaction as what it announces.
type Announcement struct {
	ID          int64
	Platform    string // PlatformSlack, PlatformDiscord, PlatformConsole
	Channel     string // channel id, or a user id for a direct message
	Kind        string
	AwardID     string // the award it is about, if any
	Message     Message
	Attempts    int
	NextAttempt time.Time
	CreatedAt   time.Time
	DeliveredAt time.Time
	MessageID   string // the platform's id of the posted message
	LastError   string
}

// Target is a place announcements go: an enabled platform's announce channel.
type Target struct {
	Platform string
	Channel  string
}
