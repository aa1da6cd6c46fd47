package bot

import (
	"context"
	"fmt"
	"log/slog"
)

// LogValue logs an e-mail identity (email:, bugzilla:) without its address,
// so that a Recipient given to a logger as it is never writes one (DESIGN
// §5: logs name people by handle, never by e-mail).
func (r Recipient) LogValue() slog.Value {
	if _, isEmail := r.Email(); isEmail {
		return slog.StringValue(r.Platform + ":" + emailHidden)
	}
	return slog.StringValue(r.String())
}

// NewRedactingHandler wraps h so that no e-mail address reaches the log,
// whatever a caller hands it: addresses in the message and in attribute
// values (strings, errors and anything else that prints as text, inside
// groups too) are replaced. It is the net under the log lines that name
// people by handle or by Recipient (see LogValue): error messages quote
// input, which may hold an address.
func NewRedactingHandler(h slog.Handler) slog.Handler { return redacting{h} }

type redacting struct{ h slog.Handler }

func (r redacting) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redacting) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redactLog(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redacting) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = redactAttr(a)
	}
	return redacting{r.h.WithAttrs(red)}
}

func (r redacting) WithGroup(name string) slog.Handler { return redacting{r.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		if s := v.String(); FindEmail(s) != "" {
			return slog.String(a.Key, redactLog(s))
		}
	case slog.KindGroup:
		g := v.Group()
		red := make([]slog.Attr, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); FindEmail(s) != "" {
			return slog.String(a.Key, redactLog(s))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// redactLog hides the addresses of a log text; one hidden in an encoding
// takes the whole text with it.
func redactLog(s string) string {
	if FindEmail(s) == "" {
		return s
	}
	if r := RedactEmails(s); r != "" {
		return r
	}
	return "[text with an e-mail address hidden]"
}
