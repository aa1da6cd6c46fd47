package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/badgebot/badgebot/bot"
	"github.com/badgebot/badgebot/cmd/badgebot/internal/config"
)

// BenchmarkHostedReads is what badgebot adds to a hosted read beyond
// net/http's connection handling: the whole route table (recovery, the
// mux, metrics) and the handler, called directly, beside a bare handler
// serving a small JSON body (the read limit of DESIGN §7). Profile with
// -cpuprofile; cmd/loadgen -reads measures the same over loopback.
func BenchmarkHostedReads(b *testing.B) {
	dir := b.TempDir()
	cfg, err := config.Load("../../config.example.toml", nil)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Storage = config.StorageConfig{Driver: driverSQLite, Path: filepath.Join(dir, "badgebot.db")}
	cfg.Issuer.KeyDir = filepath.Join(dir, "keys")
	app := NewApp(cfg, newLogger(io.Discard, slog.LevelInfo))
	ctx := context.Background()
	if err := app.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	a, err := app.Service.Award(ctx, bot.AwardRequest{Badge: "first-pr", To: bot.Recipient{Platform: "github", ID: "alice"},
		Source: bot.SourceManual, Narrative: "For the benchmark."})
	if err != nil {
		b.Fatal(err)
	}
	h, err := app.routes()
	if err != nil {
		b.Fatal(err)
	}
	limit := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"small":"json"}`))
	})
	for _, c := range []struct {
		name, path, accept string
		h                  http.Handler
	}{
		{"read-limit", "/awards/" + a.ID, "application/json", limit},
		{"assertion", "/awards/" + a.ID, "application/ld+json", h},
		{"page", "/awards/" + a.ID, acceptBrowser, h},
		{"credential", "/awards/" + a.ID + "/credential.json", "application/ld+json", h},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r, _ := http.NewRequest("GET", "http://127.0.0.1"+c.path, nil)
				r.Header.Set("Accept", c.accept)
				w := &discardWriter{h: http.Header{}}
				for pb.Next() {
					clear(w.h)
					w.code = 0
					c.h.ServeHTTP(w, r)
					if w.code != 0 && w.code != http.StatusOK {
						b.Fatalf("GET %s: %d", c.path, w.code)
					}
				}
			})
		})
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
