package main

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// cfgScan walks a TOML document against the shape of Config before it is
// decoded. It records the line of every key, so that Validate can point at
// values, and it reports every unknown key and every value of the wrong type
// at once (a decoder stops at the first). Messages name keys and types,
// never values, so a secret cannot leak into them.
type cfgScan struct {
	name     string
	data     []byte
	p        unstable.Parser
	newlines []int          // offsets of '\n', for line numbers
	lines    map[string]int // key path -> line
	arrays   map[string]int // array-of-tables path -> entries seen
	problems []string
}

// cfgPlace is a table the walk is in: its key path and Go type. A table
// that is unknown or of the wrong type has ok false; its keys are skipped,
// the problem having been reported once.
type cfgPlace struct {
	path string
	t    reflect.Type
	ok   bool
}

// scanConfigTOML returns the line of every key path in data (paths as
// "server.listen", "badges[0].owners[1]") and the problems found.
func scanConfigTOML(name string, data []byte) (map[string]int, []string) {
	s := &cfgScan{name: name, data: data, lines: map[string]int{}, arrays: map[string]int{}}
	for i, b := range data {
		if b == '\n' {
			s.newlines = append(s.newlines, i)
		}
	}
	root := cfgPlace{t: reflect.TypeFor[Config](), ok: true}
	table := root
	s.p.Reset(data)
	for s.p.NextExpression() {
		e := s.p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			table = s.header(root, e)
		case unstable.KeyValue:
			if table.ok {
				s.keyValue(table, e)
			}
		}
	}
	if err := s.p.Error(); err != nil {
		s.syntaxError(err)
	}
	return s.lines, s.problems
}

// header follows a [table] or [[array.of.tables]] header from the root.
func (s *cfgScan) header(root cfgPlace, e *unstable.Node) cfgPlace {
	array := e.Kind == unstable.ArrayTable
	cur := root
	it := e.Key()
	line := 0
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = s.line(k.Raw)
		}
		name := string(k.Data)
		f, ok := cfgField(cur.t, name)
		path := cfgJoin(cur.path, name)
		if !ok {
			s.problems = append(s.problems, fmt.Sprintf("%s:%d: unknown table %q", s.name, line, path))
			return cfgPlace{}
		}
		last := it.IsLast()
		got := "a table"
		if array && last {
			got = "an array of tables"
		}
		switch {
		case f.Kind() == reflect.Struct && !(array && last):
			cur = cfgPlace{path: path, t: f, ok: true}
		case f.Kind() == reflect.Slice && f.Elem().Kind() == reflect.Struct && array && last:
			n := s.arrays[path]
			s.arrays[path] = n + 1
			cur = cfgPlace{path: fmt.Sprintf("%s[%d]", path, n), t: f.Elem(), ok: true}
		case f.Kind() == reflect.Slice && f.Elem().Kind() == reflect.Struct && !last && s.arrays[path] > 0:
			// [badges.x] after [[badges]] continues the last entry.
			cur = cfgPlace{path: fmt.Sprintf("%s[%d]", path, s.arrays[path]-1), t: f.Elem(), ok: true}
		default:
			s.mismatch(line, path, f, got)
			return cfgPlace{}
		}
		s.lines[cur.path] = line
	}
	return cur
}

// keyValue checks one key = value inside table, following dotted keys.
func (s *cfgScan) keyValue(table cfgPlace, e *unstable.Node) {
	cur := table
	it := e.Key()
	line := 0
	for it.Next() {
		k := it.Node()
		if line == 0 {
			line = s.line(k.Raw)
		}
		name := string(k.Data)
		f, ok := cfgField(cur.t, name)
		path := cfgJoin(cur.path, name)
		if !ok {
			s.problems = append(s.problems, fmt.Sprintf("%s:%d: unknown key %q", s.name, line, path))
			return
		}
		if it.IsLast() {
			s.value(path, f, e.Value(), line)
			return
		}
		if f.Kind() != reflect.Struct {
			s.mismatch(line, path, f, "a table")
			return
		}
		s.lines[path] = line
		cur = cfgPlace{path: path, t: f, ok: true}
	}
}

// value checks that node n fits Go type t, recursing into arrays and inline
// tables. line is where the value's key is.
func (s *cfgScan) value(path string, t reflect.Type, n *unstable.Node, line int) {
	s.lines[path] = line
	if n.Kind != cfgWantKind(t) {
		s.mismatch(line, path, t, cfgTOMLKind(n.Kind))
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		i := 0
		for it := n.Children(); it.Next(); i++ {
			child := it.Node()
			childLine := line
			if child.Raw.Length > 0 {
				childLine = s.line(child.Raw)
			}
			s.value(fmt.Sprintf("%s[%d]", path, i), t.Elem(), child, childLine)
		}
	case reflect.Struct:
		for it := n.Children(); it.Next(); {
			s.keyValue(cfgPlace{path: path, t: t, ok: true}, it.Node())
		}
	}
}

func (s *cfgScan) mismatch(line int, path string, t reflect.Type, got string) {
	s.problems = append(s.problems, fmt.Sprintf("%s:%d: %s: want %s, got %s", s.name, line, path, cfgGoKind(t), got))
}

func (s *cfgScan) syntaxError(err error) {
	var perr *unstable.ParserError
	if !errors.As(err, &perr) {
		s.problems = append(s.problems, fmt.Sprintf("%s: syntax error: %v", s.name, err))
		return
	}
	where := s.name
	// A highlight is a subslice of data; its capacity gives its offset.
	if off := cap(s.data) - cap(perr.Highlight); perr.Highlight != nil && off >= 0 && off <= len(s.data) {
		where = fmt.Sprintf("%s:%d", s.name, s.lineAt(off))
	}
	s.problems = append(s.problems, fmt.Sprintf("%s: syntax error: %s", where, perr.Message))
}

func (s *cfgScan) line(r unstable.Range) int { return s.lineAt(int(r.Offset)) }

// lineAt returns the 1-based line of a byte offset.
func (s *cfgScan) lineAt(offset int) int {
	return sort.SearchInts(s.newlines, offset) + 1
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

// cfgWantKind returns the TOML value kind a Go field takes.
func cfgWantKind(t reflect.Type) unstable.Kind {
	switch t.Kind() {
	case reflect.String:
		return unstable.String
	case reflect.Bool:
		return unstable.Bool
	case reflect.Int:
		return unstable.Integer
	case reflect.Slice:
		return unstable.Array
	case reflect.Struct:
		return unstable.InlineTable
	}
	return unstable.Invalid
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

// cfgTOMLKind describes a TOML value kind.
func cfgTOMLKind(k unstable.Kind) string {
	switch k {
	case unstable.String:
		return "a string"
	case unstable.Bool:
		return "a boolean"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Array:
		return "an array"
	case unstable.InlineTable:
		return "a table"
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return "a date or time"
	}
	return k.String()
}
