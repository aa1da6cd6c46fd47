package config

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// decodeConfigTOML decodes data onto cfg with go-toml's Decoder, unknown
// keys disallowed, and returns its problems with file line and key:
// every unknown key or table at once (toml.StrictMissingError), or the
// first value of the wrong type, syntax error, duplicate key or overflow
// (a toml.DecodeError: the decoder stops there). Messages name keys and
// types, never values, so a secret cannot leak into them. The key index
// of cfgKeyLines adds the array indexes go-toml's keys lack, and catches
// a [table] where an array of tables belongs, which go-toml accepts.
func decodeConfigTOML(name string, data []byte, cfg *Config) []string {
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(cfg)
	idx := cfgKeyLines(data)
	if err == nil {
		return idx.tablesForArrays(name)
	}
	var missing *toml.StrictMissingError
	if errors.As(err, &missing) {
		var problems []string
		for _, e := range missing.Errors {
			row, _ := e.Position()
			path := idx.path(row, 0, e.Key())
			what := "key"
			if idx.tables[path] {
				what = "table"
			}
			problems = append(problems, fmt.Sprintf("%s:%d: unknown %s %q", name, row, what, path))
		}
		return problems
	}
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return []string{fmt.Sprintf("%s: %s", name, strings.TrimPrefix(err.Error(), "toml: "))}
	}
	row, col := de.Position()
	msg := strings.TrimPrefix(de.Error(), "toml: ")
	m := cfgTypeMismatch.FindStringSubmatch(msg)
	switch {
	case len(de.Key()) == 0: // a syntax error
		return []string{fmt.Sprintf("%s:%d: syntax error: %s", name, row, msg)}
	case m == nil: // a key defined twice, an integer too large
		return []string{fmt.Sprintf("%s:%d: %s", name, row, msg)}
	}
	// A dotted key below a value (slack.enabled.really) is reported at
	// the value, as the part of the key Config has.
	key, t := cfgFieldType(de.Key())
	path := idx.path(row, col, key)
	if strings.HasSuffix(path, "]") {
		if t.Kind() == reflect.Slice {
			t = t.Elem() // an element of the array is what is wrong
		} else { // [[server]]: the whole array is
			path = path[:strings.LastIndexByte(path, '[')]
		}
	}
	return []string{fmt.Sprintf("%s:%d: %s: want %s, got %s", name, row, path, cfgGoKind(t), cfgTOMLKind(m[1]+m[2]))}
}

// cfgTypeMismatch matches go-toml's message for a value of the wrong type;
// the group is the TOML kind.
var cfgTypeMismatch = regexp.MustCompile(`^cannot (?:decode TOML (.+?) into|store (?:a |an )?(.+?) in)`)

// cfgKeyIndex is where each key of a TOML document is.
type cfgKeyIndex struct {
	lines  map[string]int  // key path ("badges[0].owners[1]") -> line
	cols   map[string]int  // key path -> column (1-based bytes) of its key or element
	tables map[string]bool // paths set by a [table] or [[array]] header
}

// cfgKeyLines returns the line of every key path in data, paths written
// as "server.listen" or "badges[0].owners[1]", so that Validate can point
// at a value. go-toml's public API gives positions only with errors, so
// this reads them from its parser; it checks nothing (the decoder does)
// and stops quietly at a syntax error.
func cfgKeyLines(data []byte) cfgKeyIndex {
	x := cfgKeyIndex{lines: map[string]int{}, cols: map[string]int{}, tables: map[string]bool{}}
	var newlines []int
	for i, b := range data {
		if b == '\n' {
			newlines = append(newlines, i)
		}
	}
	line := func(r unstable.Range) int { return sort.SearchInts(newlines, int(r.Offset)) + 1 }
	col := func(r unstable.Range) int {
		if l := line(r); l > 1 {
			return int(r.Offset) - newlines[l-2]
		}
		return int(r.Offset) + 1
	}
	var keyValue func(prefix string, e *unstable.Node)
	var value func(path string, n *unstable.Node, at int)
	keyValue = func(path string, e *unstable.Node) {
		at := 0
		for it := e.Key(); it.Next(); {
			if at == 0 {
				at = line(it.Node().Raw)
			}
			path = cfgJoin(path, string(it.Node().Data))
			x.lines[path], x.cols[path] = at, col(it.Node().Raw)
		}
		value(path, e.Value(), at)
	}
	value = func(path string, n *unstable.Node, at int) {
		x.lines[path] = at
		switch n.Kind {
		case unstable.Array:
			i := 0
			for it := n.Children(); it.Next(); i++ {
				c, childAt := it.Node(), at
				if c.Raw.Length > 0 {
					childAt = line(c.Raw)
					x.cols[fmt.Sprintf("%s[%d]", path, i)] = col(c.Raw)
				}
				value(fmt.Sprintf("%s[%d]", path, i), c, childAt)
			}
		case unstable.InlineTable:
			for it := n.Children(); it.Next(); {
				keyValue(path, it.Node())
			}
		}
	}
	arrays := map[string]int{} // array-of-tables path -> entries seen
	table := ""
	var p unstable.Parser
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = ""
			at := 0
			for it := e.Key(); it.Next(); {
				if at == 0 {
					at = line(it.Node().Raw)
				}
				path := cfgJoin(table, string(it.Node().Data))
				if n, seen := arrays[path]; e.Kind == unstable.ArrayTable && it.IsLast() {
					arrays[path] = n + 1
					path = fmt.Sprintf("%s[%d]", path, n)
				} else if seen {
					path = fmt.Sprintf("%s[%d]", path, n-1) // [badges.x] after [[badges]]
				}
				table = path
				x.lines[path], x.cols[path], x.tables[path] = at, col(it.Node().Raw), true
			}
		case unstable.KeyValue:
			keyValue(table, e)
		}
	}
	return x
}

// path returns the indexed path ("badges[1].owners[0]") of what go-toml
// names key (["badges", "owners"], or ["nickname"] inside an inline
// table) at row and column: of the paths on that row that read as key,
// the last that starts at or before col (an element rather than its
// array), or key joined with dots if none does. col 0 prefers the
// outermost path (an unknown key, not its elements).
func (x cfgKeyIndex) path(row, col int, key []string) string {
	want := strings.Join(key, ".")
	best, bestCol := "", 0
	for p, line := range x.lines {
		plain := cfgIndexes.ReplaceAllString(p, "")
		if line != row || (plain != want && !strings.HasSuffix(plain, "."+want)) {
			continue
		}
		c := x.cols[p]
		better := best == "" || (col > 0 && c <= col && (c > bestCol || (c == bestCol && len(p) > len(best)))) ||
			(col == 0 && (len(p) < len(best) || (len(p) == len(best) && p < best)))
		if better {
			best, bestCol = p, c
		}
	}
	if best == "" {
		return want
	}
	return best
}

// tablesForArrays reports a [table] header where Config has an array of
// tables ([badges] for [[badges]]), which go-toml decodes as one entry.
func (x cfgKeyIndex) tablesForArrays(name string) []string {
	var problems []string
	for p := range x.tables {
		if strings.Contains(p, "[") {
			continue
		}
		key := strings.Split(p, ".")
		if got, t := cfgFieldType(key); len(got) == len(key) && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: want an array of tables, got a table", name, x.lines[p], p))
		}
	}
	sort.Strings(problems)
	return problems
}

// cfgIndexes matches the array indexes of a key path.
var cfgIndexes = regexp.MustCompile(`\[\d+\]`)

// cfgFieldType follows key through Config's tables and arrays of tables
// and returns the longest part of it that names a field, and that field's
// Go type. key names at least a top-level field: go-toml reports unknown
// keys apart.
func cfgFieldType(key []string) ([]string, reflect.Type) {
	t := reflect.TypeFor[Config]()
	for i, k := range key {
		et := t
		for et.Kind() == reflect.Slice {
			et = et.Elem()
		}
		f, ok := cfgField(et, k)
		if !ok {
			return key[:i], t
		}
		t = f
	}
	return key, t
}

// cfgField returns the type of the field of struct type t whose toml tag is
// name.
func cfgField(t reflect.Type, name string) (reflect.Type, bool) {
	if t.Kind() != reflect.Struct {
		return nil, false
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && cfgTag(f) == name {
			return f.Type, true
		}
	}
	return nil, false
}

// cfgTag returns the TOML key of a Config field.
func cfgTag(f reflect.StructField) string {
	tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return tag
}

func cfgJoin(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// cfgGoKind describes what a Go field wants, in TOML words.
func cfgGoKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int:
		return "an integer"
	case reflect.Struct:
		return "a table"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "an array of tables"
		}
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(cfgGoKind(t.Elem()), "an "), "a ") + "s"
	}
	return t.String()
}

// cfgTOMLKind describes a TOML value kind as go-toml names it.
func cfgTOMLKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "boolean", "bool":
		return "a boolean"
	case "integer":
		return "an integer"
	case "float":
		return "a float"
	case "array":
		return "an array"
	case "table", "inline table":
		return "a table"
	case "array table", "array of tables":
		return "an array of tables"
	}
	if strings.Contains(k, "date") || strings.Contains(k, "time") {
		return "a date or time"
	}
	return k
}

// HasKey reports whether Config has the key path (as "server.x"); init
// writes keys that other versions of this file may not know yet only when
// this binary's loader accepts them.
func HasKey(path string) bool {
	t := reflect.TypeFor[Config]()
	for _, name := range strings.Split(path, ".") {
		var ok bool
		if t, ok = cfgField(t, name); !ok {
			return false
		}
	}
	return true
}
