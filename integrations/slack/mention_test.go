package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCommandText(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      string
		wantNames map[string]string
	}{
		{"plain", "list", "list", nil},
		{"mention with name", "nominate <@U024BE7LH|ada> first-pr helped me", "nominate @slack:U024BE7LH first-pr helped me",
			map[string]string{"slack:U024BE7LH": "ada"}},
		{"mention without name", "of <@U024BE7LH>", "of @slack:U024BE7LH", nil},
		{"enterprise user id", "of <@W012A3CDE|egon>", "of @slack:W012A3CDE", map[string]string{"slack:W012A3CDE": "egon"}},
		{"name with @ and entities", "of <@U024BE7LH|@ada &amp; co>", "of @slack:U024BE7LH", map[string]string{"slack:U024BE7LH": "ada & co"}},
		{"two mentions", "why <@U1AAAAAAA|a> x <@U2BBBBBBB|b>", "why @slack:U1AAAAAAA x @slack:U2BBBBBBB",
			map[string]string{"slack:U1AAAAAAA": "a", "slack:U2BBBBBBB": "b"}},
		{"bad user id kept as text", "of <@nope>", "of <@nope>", nil},
		{"channel", "announce in <#C024BE7LR|general>", "announce in #general", nil},
		{"channel without name", "<#C024BE7LR>", "#C024BE7LR", nil},
		{"special mention", "hi <!here>", "hi @here", nil},
		{"user group", "ping <!subteam^SAZ94GDB8|@docs>", "ping @docs", nil},
		{"link with label", "award <@U024BE7LH> first-pr <https://github.com/o/r/pull/1|o/r#1>",
			"award @slack:U024BE7LH first-pr https://github.com/o/r/pull/1", nil},
		{"link without label", "<https://example.org/a?b=1&amp;c=2>", "https://example.org/a?b=1&c=2", nil},
		{"mailto", "link bugzilla <mailto:dev@example.org|dev@example.org>", "link bugzilla dev@example.org", nil},
		{"entities", "reason: a &lt;b&gt; &amp;amp; c", "reason: a <b> &amp; c", nil},
		{"unclosed bracket", "x < y and <@U024BE7LH", "x < y and <@U024BE7LH", nil},
		{"surrounding space", "  help  ", "help", nil},
		{"unescaped command text", "nominate @ada first-pr", "nominate @ada first-pr", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, names := commandText(tt.in)
			if got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMentionCommand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<@UBOT123> nominate <@U024BE7LH|ada> docs thanks", " nominate <@U024BE7LH|ada> docs thanks"},
		{"hey <@UBOT123> help", " help"},
		{"no mention", "no mention"},
	}
	for _, tt := range tests {
		if got := mentionCommand(tt.in); got != tt.want {
			t.Errorf("mentionCommand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCommandText(f *testing.F) {
	for _, s := range []string{
		"nominate <@U024BE7LH|ada> first-pr helped me",
		"<@UBOT> award <@W012A3CDE> x <https://e.org/a|b>",
		"<#C1|c> <!here> <!subteam^S1|@t> <mailto:a@b|a@b> &amp;&lt;&gt;",
		"<<@U0AAA|<x>>", "<", ">", "<|>", "<@|>", "{{slack:U1}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, names := commandText(mentionCommand(in))
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("valid input %q gave invalid UTF-8 %q", in, out)
		}
		if out != strings.TrimSpace(out) {
			t.Fatalf("output %q not trimmed", out)
		}
		for key := range names {
			if !strings.HasPrefix(key, "slack:") || !isSlackUser(strings.TrimPrefix(key, "slack:")) {
				t.Fatalf("names has key %q, not a slack user", key)
			}
			if !strings.Contains(out, "@"+key) {
				t.Fatalf("names has %q but the text %q does not mention it", key, out)
			}
		}
		// Rendering what the router might echo back must stay well-formed:
		// every '<' Slack sees is one we wrote.
		if r := mrkdwn(out, names); strings.Count(r, "<") != strings.Count(r, "<@") {
			t.Fatalf("mrkdwn(%q) = %q leaks a raw '<'", out, r)
		}
	})
}
