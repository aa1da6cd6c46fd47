package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// cfgEnvPrefix starts every variable that overrides a key.
const cfgEnvPrefix = "BADGEBOT_"

// cfgEnvKey is a key that a variable sets.
type cfgEnvKey struct {
	path string        // "slack.bot_token"
	v    reflect.Value // the field, settable
}

// envKeys maps variable names to the keys of c they set: BADGEBOT_<KEY> for
// a top-level key, BADGEBOT_<SECTION>_<KEY> for a key of a table. Arrays of
// tables ([[badges]], [[rules]]) have no variables. It also returns the
// prefixes of the tables' variables ("BADGEBOT_SLACK_").
func (c *Config) envKeys() (map[string]cfgEnvKey, []string) {
	keys := map[string]cfgEnvKey{}
	var sections []string
	root := reflect.ValueOf(c).Elem()
	for i := range root.NumField() {
		f := root.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		tag := cfgTag(f)
		v := root.Field(i)
		switch {
		case f.Type.Kind() == reflect.Struct:
			prefix := cfgEnvPrefix + strings.ToUpper(tag) + "_"
			sections = append(sections, prefix)
			for j := range v.NumField() {
				sf := f.Type.Field(j)
				if sf.IsExported() && cfgEnvSettable(sf.Type) {
					keys[prefix+strings.ToUpper(cfgTag(sf))] = cfgEnvKey{path: tag + "." + cfgTag(sf), v: v.Field(j)}
				}
			}
		case cfgEnvSettable(f.Type):
			keys[cfgEnvPrefix+strings.ToUpper(tag)] = cfgEnvKey{path: tag, v: v}
		}
	}
	return keys, sections
}

// applyEnv sets the keys named by BADGEBOT_ variables in env ("NAME=value"
// strings). Other variables are ignored, except BADGEBOT_<SECTION>_ ones that
// name no key: those are likely typos and are reported.
func (c *Config) applyEnv(env []string) []string {
	keys, sections := c.envKeys()
	var problems []string
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, cfgEnvPrefix) {
			continue
		}
		k, known := keys[name]
		if !known {
			for _, prefix := range sections {
				if strings.HasPrefix(name, prefix) {
					section := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(prefix, cfgEnvPrefix), "_"))
					key := strings.ToLower(strings.TrimPrefix(name, prefix))
					problems = append(problems, fmt.Sprintf("%s: unknown variable: no key %q in [%s]", name, key, section))
				}
			}
			continue
		}
		if err := cfgSetFromEnv(k.v, value); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %v", name, k.path, err))
			continue
		}
		c.setOrigin(k.path, name)
	}
	return problems
}

// setOrigin records that key path, and everything below it, now comes from
// origin.
func (c *Config) setOrigin(path, origin string) {
	if c.origins == nil {
		c.origins = map[string]cfgOrigin{}
	}
	for k := range c.origins {
		if strings.HasPrefix(k, path+"[") || strings.HasPrefix(k, path+".") {
			delete(c.origins, k)
		}
	}
	c.origins[path] = cfgOrigin{name: origin}
}

// cfgEnvSettable reports whether a variable can set a field of type t.
func cfgEnvSettable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

// cfgSetFromEnv parses s into v: strings as they are, booleans and integers
// as strconv reads them, lists as comma-separated items (blank items
// dropped, so "" is the empty list). Only non-secret keys are booleans,
// integers or lists, so quoting s in an error is safe.
func cfgSetFromEnv(v reflect.Value, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
		v.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want an integer, got %q", s)
		}
		v.SetInt(int64(n))
	case reflect.Slice:
		list := []string{}
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
	default:
		return errors.New("cannot be set from the environment")
	}
	return nil
}
