package common

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"sigs.k8s.io/yaml"
)

// Values is a chart's values, or another map templates see as Helm's
// Values. Its nested maps are plain map[string]any, as in Helm.
type Values map[string]any

// ErrNoTable is returned by Table when a path does not lead to a table.
type ErrNoTable struct {
	Key string
}

func (e ErrNoTable) Error() string { return fmt.Sprintf("%q is not a table", e.Key) }

// ErrNoValue is returned by PathValue when a path does not lead to a value
// that is not a table.
type ErrNoValue struct {
	Key string
}

func (e ErrNoValue) Error() string { return fmt.Sprintf("%q is not a value", e.Key) }

// AsMap returns v as a plain map; an empty or nil v gives a new empty map.
func (v Values) AsMap() map[string]any {
	if len(v) == 0 {
		return map[string]any{}
	}
	return v
}

// YAML encodes v as Helm's toYaml does, with the trailing newline.
func (v Values) YAML() (string, error) {
	b, err := yaml.Marshal(v)
	return string(b), err
}

// Encode writes v as YAML to w.
func (v Values) Encode(w io.Writer) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Table returns the table at a dotted path ("a.b"). When a key is missing
// or does not hold a table the error is ErrNoTable naming that key, and, as
// in Helm, the table returned is the last one reached (for a missing key)
// or an empty one (for a key that holds something else).
func (v Values) Table(name string) (Values, error) {
	t := v
	for _, key := range strings.Split(name, ".") {
		next, err := t.table(key)
		t = next
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

func (v Values) table(key string) (Values, error) {
	e, ok := v[key]
	if !ok {
		return v, ErrNoTable{key}
	}
	switch x := e.(type) {
	case map[string]any:
		return x, nil
	case Values:
		return x, nil
	}
	return Values{}, ErrNoTable{key}
}

// PathValue returns the value at a dotted path ("a.b.c"); the error is
// ErrNoValue naming the last key when the path is missing or ends at a
// table.
func (v Values) PathValue(path string) (any, error) {
	if path == "" {
		return nil, errors.New("YAML path cannot be empty")
	}
	keys := strings.Split(path, ".")
	last := keys[len(keys)-1]
	t := v
	if len(keys) > 1 {
		var err error
		if t, err = v.Table(strings.Join(keys[:len(keys)-1], ".")); err != nil {
			return nil, ErrNoValue{last}
		}
	}
	if e, ok := t[last]; ok && !isTable(e) {
		return e, nil
	}
	return nil, ErrNoValue{last}
}

// isTable is Helm's test for a table: a plain map (a Values is not one).
func isTable(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}
