package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leader election for the scheduled jobs. The leader holds a session
// advisory lock on a connection of its own: the lock lasts exactly as long
// as that session. A replica that dies (SIGKILL included) drops its
// connection, PostgreSQL ends the session and frees the lock, and the next
// replica to try takes it, within leadRetry. The holder pings its
// connection every leadCheck; when the ping fails (the server restarted,
// the network broke) it stops leading at once, since it can no longer know
// whether it holds the lock.
const (
	leadRetry = time.Second
	leadCheck = time.Second
)

// Lead holds the advisory lock name (within the connection's schema)
// while it can, calling leading(true) when this process got it and
// leading(false) when it lost it, until ctx ends; then it releases the
// lock and returns, having called leading(false) if it led.
func (db *DB) Lead(ctx context.Context, name string, leading func(bool)) {
	for ctx.Err() == nil {
		db.leadOnce(ctx, name, leading)
		select {
		case <-ctx.Done():
		case <-time.After(leadRetry):
		}
	}
}

// leadOnce connects, tries the lock until it gets it or the connection
// fails, and holds it until the connection fails or ctx ends.
func (db *DB) leadOnce(ctx context.Context, name string, leading func(bool)) {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig)
	if err != nil {
		return
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		var got bool
		err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext(current_schema() || $1))`, "badgebot.lead."+name).Scan(&got)
		if err != nil {
			return
		}
		if got {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(leadRetry):
		}
	}
	leading(true)
	defer leading(false)
	tick := time.NewTicker(leadCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return // Close ends the session and frees the lock
		case <-tick.C:
		}
		pctx, cancel := context.WithTimeout(ctx, leadCheck)
		err := conn.Ping(pctx)
		cancel()
		if err != nil {
			return
		}
	}
}
