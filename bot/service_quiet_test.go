package bot

import (
	"log/slog"
	"reflect"
	"testing"
	"time"
)

// TestQuietCopiesService fails when a field is added to Service that
// quiet does not copy: a sweep or backfill would award without it.
func TestQuietCopiesService(t *testing.T) {
	type store struct{ Store }
	type signer struct{ Signer }
	s := &Service{
		Store: store{}, Signer: signer{}, BaseURL: "https://x", Targets: []Target{{Platform: PlatformSlack, Channel: "C"}},
		Log: slog.Default(), Now: time.Now,
	}
	q := s.quiet()
	sv, qv := reflect.ValueOf(s).Elem(), reflect.ValueOf(q).Elem()
	for i := range sv.NumField() {
		f := sv.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		if sv.Field(i).IsZero() {
			t.Errorf("Service.%s: set it in this test", f.Name)
			continue
		}
		if copied := !qv.Field(i).IsZero(); copied != (f.Name != "Targets") {
			t.Errorf("quiet: Service.%s copied=%v, want %v", f.Name, copied, f.Name != "Targets")
		}
	}
}
