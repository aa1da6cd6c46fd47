package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/badgebot/badgebot/bot"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestNextRun pins what the config's specs mean: the defaults of
// config.example.toml and the forms DESIGN §6 allows.
func TestNextRun(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	thu := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) // a Thursday
	tests := []struct {
		spec string
		loc  *time.Location
		from time.Time
		want time.Time
	}{
		{"0 16 * * FRI", time.UTC, thu, time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)},
		{"0 16 * * FRI", time.UTC, time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC), time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)},
		{"0 16 * * FRI", berlin, thu, time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)},
		{"CRON_TZ=Europe/Berlin 0 16 * * FRI", time.UTC, thu, time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC)},
		// Summer time: 16:00 in Berlin is 14:00 UTC.
		{"0 16 * * FRI", berlin, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 5, 14, 0, 0, 0, time.UTC)},
		{"@hourly", time.UTC, thu.Add(10 * time.Minute), time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)},
		{"@daily", time.UTC, thu, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"@daily", berlin, thu, time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC)},
		{"@weekly", time.UTC, thu, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)},
		{"@every 6h", time.UTC, thu, thu.Add(6 * time.Hour)},
		{"*/15 * * * *", time.UTC, thu.Add(time.Minute), thu.Add(15 * time.Minute)},
	}
	for _, tt := range tests {
		got, err := nextRun(tt.spec, tt.loc, tt.from)
		if err != nil {
			t.Errorf("nextRun(%q): %v", tt.spec, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("nextRun(%q, %s, %s) = %s, want %s", tt.spec, tt.loc, tt.from, got.UTC(), tt.want)
		}
	}
	if _, err := nextRun("16 * * FRI", time.UTC, thu); err == nil {
		t.Error("NextRun accepted a four-field spec")
	}
}

func TestPreviousRun(t *testing.T) {
	fri := time.Date(2026, 11, 27, 16, 0, 0, 0, time.UTC)
	tests := []struct {
		spec string
		at   time.Time
		want time.Time
	}{
		{"0 16 * * FRI", fri, fri},                                     // at the run itself
		{"0 16 * * FRI", fri.Add(-time.Second), fri.AddDate(0, 0, -7)}, // just before it
		{"0 16 * * FRI", fri.Add(3 * 24 * time.Hour), fri},
		{"@hourly", fri.Add(90 * time.Minute), fri.Add(time.Hour)},
		{"@daily", fri, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"0 0 1 1 *", fri, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := previousRun(tt.spec, time.UTC, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(tt.want) {
			t.Errorf("previousRun(%q, %s) = %s, want %s", tt.spec, tt.at, got.UTC(), tt.want)
		}
	}
	// February 30th never comes.
	if got, err := previousRun("0 0 30 2 *", time.UTC, fri); err != nil || !got.IsZero() {
		t.Errorf("previousRun(Feb 30) = %v, %v; want zero", got, err)
	}
}

// TestSchedulerRunsOnSchedule runs the real cron loop in a synctest
// bubble: time is fake, so three hours pass at once.
func TestSchedulerRunsOnSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(time.UTC, slog.New(slog.DiscardHandler))
		var hourly, slow, panicky atomic.Int32
		var runs []time.Time
		if err := s.Add("hourly", "@hourly", func(ctx context.Context) error {
			hourly.Add(1)
			runs = append(runs, time.Now())
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		// Runs for 90 minutes every 30: the runs that come while it is
		// still running are skipped, not stacked.
		if err := s.Add("slow", "*/30 * * * *", func(ctx context.Context) error {
			slow.Add(1)
			select {
			case <-time.After(90 * time.Minute):
			case <-ctx.Done():
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add("panicky", "@hourly", func(ctx context.Context) error {
			panicky.Add(1)
			panic("boom")
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add("hourly", "@daily", func(context.Context) error { return nil }); bot.ErrorCode(err) != bot.ECONFLICT {
			t.Errorf("adding a name twice: %v, want bot.ECONFLICT", err)
		}
		if err := s.Add("bad", "every hour", func(context.Context) error { return nil }); bot.ErrorCode(err) != bot.EINVALID {
			t.Errorf("adding a bad spec: %v, want bot.EINVALID", err)
		}
		start := time.Now() // the bubble starts at 2000-01-01 00:00 UTC
		s.Start(context.Background())
		time.Sleep(3*time.Hour + time.Second)
		synctest.Wait()
		if got := hourly.Load(); got != 3 {
			t.Errorf("hourly ran %d times in 3 hours, want 3", got)
		}
		for i, r := range runs {
			if want := start.Add(time.Duration(i+1) * time.Hour); !r.Equal(want) {
				t.Errorf("run %d at %s, want %s", i, r, want)
			}
		}
		// Starts at 0:30 (runs to 2:00), skips 1:00 and 1:30, starts at
		// 2:00 or 2:30 (whichever finds it free), and is running at 3:00.
		if got := slow.Load(); got != 2 {
			t.Errorf("slow started %d times, want 2 (overlapping runs skipped)", got)
		}
		if got := panicky.Load(); got != 3 {
			t.Errorf("panicky ran %d times, want 3: a panic must not stop the scheduler", got)
		}
		s.Stop() // cancels the slow job and waits for it
	})
}

func TestSchedulerRunNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler(nil, slog.New(slog.DiscardHandler))
		release := make(chan struct{})
		var n atomic.Int32
		s.Add("job", "@daily", func(ctx context.Context) error {
			n.Add(1)
			<-release
			return errors.New("failed")
		})
		done := make(chan error)
		go func() { done <- s.RunNow(context.Background(), "job") }()
		synctest.Wait()
		// The job is running: a second run is refused, not queued.
		if err := s.RunNow(context.Background(), "job"); !errors.Is(err, ErrJobRunning) {
			t.Errorf("RunNow while running = %v, want ErrJobRunning", err)
		}
		close(release)
		if err := <-done; err == nil || err.Error() != "failed" {
			t.Errorf("RunNow = %v, want the job's error", err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("job ran %d times, want 1", got)
		}
		if err := s.RunNow(context.Background(), "nope"); bot.ErrorCode(err) != bot.ENOTFOUND {
			t.Errorf("RunNow(unknown) = %v, want bot.ENOTFOUND", err)
		}
		jobs := s.Jobs()
		if len(jobs) != 1 || jobs[0].Name != "job" || jobs[0].Spec != "@daily" || jobs[0].Next.IsZero() {
			t.Errorf("Jobs() = %+v", jobs)
		}
		s.Stop()
	})
}
