package storage

import (
	"context"
	"time"

	"github.com/badgebot/badgebot/bot"
)

// FirstSeen records that a signed chat request with key (a hash of what
// the platform signed, or of an event id) was accepted on platform, until
// expires, and reports whether it is the first time: false means the same
// request was recorded before and has not expired, a replay. Every
// replica sharing the database sees the same answer, and two concurrent
// calls with one key get one true. Records that have expired are pruned
// as it goes.
func (db *DB) FirstSeen(ctx context.Context, platform string, key []byte, expires time.Time) (bool, error) {
	if platform == "" || len(key) == 0 {
		return false, bot.Errorf(bot.EINVALID, "first seen: platform and key are required")
	}
	now := millis(db.now())
	first := false
	err := db.write(ctx, func(ctx context.Context, tx queryer) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM chat_requests WHERE expires_at < ?`, now); err != nil {
			return err
		}
		// An expired row that is still there (expires_at == now) is
		// taken over; a live one makes the insert a no-op.
		res, err := tx.ExecContext(ctx, `INSERT INTO chat_requests (platform, key, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (platform, key) DO UPDATE SET expires_at = excluded.expires_at
			WHERE chat_requests.expires_at <= ?`, platform, key, millis(expires), now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		first = n == 1
		return nil
	})
	if err != nil {
		return false, dbError(err, "record a chat request")
	}
	return first, nil
}
