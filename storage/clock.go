package storage

import "time"

// SetNow sets the clock the database stamps rows with (creation times,
// the first attempt of an announcement, decisions); nil restores
// time.Now. Tests use it to run the whole core on a fake clock. Call it
// right after Open, before the database is shared.
func (db *DB) SetNow(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	db.now = now
}
