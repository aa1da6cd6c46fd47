package bot

import "regexp"

// MentionPlaceholder matches the mention placeholders of a Message's
// text, "{{PLATFORM:ID}}" or, for a person with no identity, "{{handle}}";
// its group is what the braces hold. Each chat adapter renders them its
// own way.
var MentionPlaceholder = regexp.MustCompile(`\{\{([^{}\s]{1,200})\}\}`)

// Message is a platform-neutral chat message: the core writes the sentence
// once, and each chat adapter renders it in its own format.
type Message struct {
	Title string `json:"title,omitempty"`
	// Text is plain text, no markup, except mention placeholders
	// {{PLATFORM:ID}}; adapters escape it for their platform.
	Text    string   `json:"text,omitempty"`
	Fields  []Field  `json:"fields,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	Link    string   `json:"link,omitempty"` // the page the message is about
	Image   string   `json:"image,omitempty"`
	// Mentions maps PLATFORM:ID recipients named in Text as {{PLATFORM:ID}}
	// to their display names, for adapters that cannot mention.
	Mentions map[string]string `json:"mentions,omitempty"`
}

// Field is a labelled value shown under the text.
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
	URL   string `json:"url,omitempty"` // makes Value a link
}

// Button is an action a reader can take.
type Button struct {
	Label  string `json:"label"`
	Action string `json:"action"` // e.g. "approve"
	Value  string `json:"value"`  // e.g. a nomination id
	Style  string `json:"style,omitempty"`
}
