package chat

import (
	"fmt"
	"strings"

	"github.com/badgebot/badgebot/bot"
)

// chatError is how the router answers one error code.
type chatError struct {
	// hint is added when the error's own message says nothing about what
	// to type.
	hint string
	// fixed replaces the message: internal details are logged, never shown.
	fixed string
}

// chatErrorFor is the one table from bot error codes to chat replies.
func chatErrorFor(code string) chatError {
	switch code {
	case bot.EINVALID:
		return chatError{hint: "Type `/badge help` to see how commands are typed."}
	case bot.ENOTFOUND:
		return chatError{hint: "Check the name or id you typed."}
	case bot.EFORBIDDEN:
		return chatError{hint: "Ask an admin if you think you should be allowed."}
	case bot.ECONFLICT:
		return chatError{}
	case bot.ELIMIT:
		return chatError{hint: "Try again later."} // unless the message says when
	case bot.EUNAUTHORIZED:
		return chatError{hint: "Try again from your own chat account."}
	}
	return chatError{fixed: "Sorry, something went wrong on my side. It has been logged; please try again in a minute."}
}

// errorReply answers an error privately, worded by the table above.
// Internal errors are logged here, once.
func (r *Router) errorReply(err error, what, name string) bot.Reply {
	code := bot.ErrorCode(err)
	ce := chatErrorFor(code)
	if ce.fixed != "" {
		r.cfg.Log.Error("router: "+what+" failed", "command", name, "err", err)
		return say("%s", ce.fixed)
	}
	msg := strings.TrimSpace(bot.ErrorMessage(err))
	if msg != "" && !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	if ce.hint != "" && !saysWhatToType(msg) {
		msg += " " + ce.hint
	}
	return private(bot.Message{Text: bot.Plain(msg)})
}

// saysWhatToType reports whether an error message already tells the user
// what to type, or when to try again.
func saysWhatToType(msg string) bool {
	lower := strings.ToLower(msg)
	return strings.Contains(msg, "`/badge") || strings.Contains(lower, "type ") || strings.Contains(lower, " again")
}

// helpReply lists the commands, or explains one.
func helpReply(topic string) (bot.Reply, error) {
	if topic != "" {
		spec := findSpec(strings.ToLower(strings.TrimPrefix(topic, "/")))
		if spec == nil {
			return bot.Reply{}, unknownCommand(topic)
		}
		text := fmt.Sprintf("`/badge %s`: %s.", spec.usage(), spec.summary)
		if spec.who != "" {
			text += " For " + spec.who + "."
		}
		text += fmt.Sprintf("\nExample: `/badge %s`", spec.example)
		return private(bot.Message{Text: text}), nil
	}
	var b strings.Builder
	for _, s := range commandSpecs() {
		fmt.Fprintf(&b, "`/badge %s`: %s", s.usage(), s.summary)
		if s.who != "" {
			fmt.Fprintf(&b, " (%s)", s.who)
		}
		b.WriteString("\n")
	}
	b.WriteString("Type `/badge help COMMAND` for an example.")
	return private(bot.Message{Title: "badgebot commands", Text: b.String()}), nil
}
