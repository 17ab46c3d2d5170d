package lint

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fieldProblem is one thing wrong with one field of a rendered object.
type fieldProblem struct {
	field string // spec.template.spec.containers[0].name
	text  string // what is wrong, in a chart author's words
}

// typeChecker compares a rendered object with the Go type the API server
// decodes it into. Unlike encoding/json (and sigs.k8s.io/json, which the
// server uses), it does not stop at the first bad value: it reports every
// unknown field and every value of the wrong type, and leaves them out of the
// value it returns, so that the rest of the object still decodes.
type typeChecker struct {
	problems []fieldProblem
	// raw returns the rendered text of the scalar at a field path and whether
	// it was a plain (unquoted) YAML scalar; nil when unknown.
	raw func(field string) (text string, plain bool)
	// fields remembers structFields' answers (shared by the checks of one
	// lint run's objects; nil: none kept).
	fields structFieldCache
}

func (tc *typeChecker) add(field, format string, args ...any) {
	tc.problems = append(tc.problems, fieldProblem{field: field, text: fmt.Sprintf(format, args...)})
}

// checkDoc type-checks the JSON form of a document against t (a struct
// type) and returns the JSON with the bad parts left out.
func (tc *typeChecker) checkDoc(doc []byte, t reflect.Type) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	clean, ok := tc.check(v, t, "")
	if !ok {
		return []byte("{}"), nil
	}
	return json.Marshal(clean)
}

var (
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	objectMetaType  = reflect.TypeFor[metav1.ObjectMeta]()
)

// check reports what is wrong with v as a value of type t at path and
// returns v without the bad parts (false: drop v altogether).
func (tc *typeChecker) check(v any, t reflect.Type, path string) (any, bool) {
	if v == nil {
		return nil, true // null leaves any field unset
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		return tc.checkUnmarshaler(v, t, path)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return tc.check(v, t.Elem(), path)
	case reflect.Interface:
		return v, true
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			tc.wrongType(path, v, "an object (key: value pairs)")
			return nil, false
		}
		fields := tc.fields.get(t)
		for _, k := range sortedKeys(m) {
			p := joinField(path, k)
			f, ok := fields[k]
			if !ok {
				hint := suggest(k, fields)
				if t == objectMetaType && strings.ContainsAny(k, "./") {
					hint = " (labels and annotations go under metadata.labels and metadata.annotations)"
				}
				tc.add(p, "unknown field%s", hint)
				delete(m, k)
				continue
			}
			if c, ok := tc.check(m[k], f, p); ok {
				m[k] = c
			} else {
				delete(m, k)
			}
		}
		return m, true
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			tc.wrongType(path, v, "an object (key: value pairs)")
			return nil, false
		}
		for _, k := range sortedKeys(m) {
			if c, ok := tc.check(m[k], t.Elem(), joinField(path, k)); ok {
				m[k] = c
			} else {
				delete(m, k)
			}
		}
		return m, true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return tc.checkBytes(v, path)
		}
		l, ok := v.([]any)
		if !ok {
			tc.wrongType(path, v, "a list")
			return nil, false
		}
		out := l[:0:0]
		for i, e := range l {
			if c, ok := tc.check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); ok {
				out = append(out, c)
			} else {
				out = append(out, nil)
			}
		}
		return out, true
	case reflect.String:
		if _, ok := v.(string); !ok {
			tc.wrongType(path, v, "a string")
			return nil, false
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			tc.wrongType(path, v, "a boolean (true or false)")
			return nil, false
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v, tc.checkInt(v, path, t.Bits(), true)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v, tc.checkInt(v, path, t.Bits(), false)
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			tc.wrongType(path, v, "a number")
			return nil, false
		}
	}
	return v, true
}

func (tc *typeChecker) checkInt(v any, path string, bits int, signed bool) bool {
	n, ok := v.(json.Number)
	if !ok {
		tc.wrongType(path, v, "an integer")
		return false
	}
	var err error
	if signed {
		_, err = strconv.ParseInt(n.String(), 10, bits)
	} else {
		_, err = strconv.ParseUint(n.String(), 10, bits)
	}
	if err == nil {
		return true
	}
	var ne *strconv.NumError
	if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
		lo, hi := "-"+strconv.FormatUint(1<<(bits-1), 10), strconv.FormatUint(1<<(bits-1)-1, 10)
		if !signed {
			lo, hi = "0", strconv.FormatUint(math.MaxUint64>>(64-bits), 10)
		}
		tc.add(path, "%s is out of range (a %d-bit integer: %s to %s)", n, bits, lo, hi)
		return false
	}
	tc.add(path, "expected an integer, got %s", n)
	return false
}

// checkBytes checks a []byte field: JSON carries it as base64 text.
func (tc *typeChecker) checkBytes(v any, path string) (any, bool) {
	s, ok := v.(string)
	if !ok {
		tc.wrongType(path, v, "a base64-encoded string")
		return nil, false
	}
	if _, err := base64.StdEncoding.DecodeString(s); err != nil {
		tc.add(path, "is not valid base64 (encode it with b64enc, or put plain text under stringData)")
		return nil, false
	}
	return v, true
}

// checkUnmarshaler decodes v with t's own JSON decoding (quantities,
// int-or-string, times...).
func (tc *typeChecker) checkUnmarshaler(v any, t reflect.Type, path string) (any, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	p := reflect.New(t).Interface().(json.Unmarshaler)
	err = p.UnmarshalJSON(b)
	if err == nil {
		return v, true
	}
	switch t {
	case reflect.TypeFor[resource.Quantity]():
		if s, ok := v.(string); ok {
			tc.add(path, "%q is not a quantity (write a number with an optional suffix: 100m, 0.5, 64Mi, 1G)", s)
		} else {
			tc.wrongType(path, v, "a quantity (100m, 0.5, 64Mi, 1G)")
		}
	case reflect.TypeFor[intstr.IntOrString]():
		tc.wrongType(path, v, "an integer or a string")
	case reflect.TypeFor[metav1.Time](), reflect.TypeFor[metav1.MicroTime]():
		tc.add(path, "expected a time such as 2006-01-02T15:04:05Z (RFC 3339), got %s", describe(v))
	case reflect.TypeFor[metav1.Duration]():
		tc.add(path, "expected a duration such as 30s or 1h5m, got %s", describe(v))
	default:
		tc.add(path, "invalid value %s: %s", describe(v), strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil, false
}

// wrongType reports a value of the wrong JSON type, naming the YAML 1.1
// boolean trap when that is the cause, or the quoting that fixes it.
func (tc *typeChecker) wrongType(path string, v any, want string) {
	msg := fmt.Sprintf("expected %s, got %s", want, describe(v))
	var raw string
	var plain bool
	if tc.raw != nil {
		raw, plain = tc.raw(path)
	}
	stringy := strings.HasPrefix(want, "a string") || strings.HasPrefix(want, "an integer or a string")
	switch v := v.(type) {
	case bool:
		switch {
		case !stringy:
		case plain && yaml11Bool(raw) && !yaml12Bool(raw):
			msg += fmt.Sprintf(" (YAML 1.1 reads y/yes/on/off/n/no as booleans: quote it: %q)", raw)
		default:
			// Rendered from a value, most likely: y/yes/on... in values.yaml
			// are booleans by the time the template sees them.
			msg += fmt.Sprintf(" (quote it: \"%t\"; a value from values.yaml needs | quote, and there y/yes/on/off/n/no are booleans too)", v)
		}
	case json.Number:
		if stringy || want == "a string" {
			text := v.String()
			if plain && raw != "" {
				text = raw
			}
			msg += fmt.Sprintf(" (quote it: %q)", text)
		}
	case string:
		switch {
		case strings.HasPrefix(want, "an integer"), want == "a number":
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				msg += fmt.Sprintf(" (remove the quotes: %s)", v)
			}
		case strings.HasPrefix(want, "a boolean"):
			if v == "true" || v == "false" {
				msg += fmt.Sprintf(" (remove the quotes: %s)", v)
			}
		}
	}
	tc.add(path, "%s", msg)
}

// describe names a JSON value's type for a message ("a boolean", "a string ("80")").
func describe(v any) string {
	switch v := v.(type) {
	case bool:
		return "a boolean"
	case json.Number:
		return "a number (" + v.String() + ")"
	case string:
		return fmt.Sprintf("a string (%q)", truncate(v, 40))
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// yaml11Bool reports plain scalars YAML 1.1 (and so Helm's and lade's YAML
// reader) resolves to booleans.
func yaml11Bool(s string) bool {
	switch s {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
		"on", "On", "ON", "off", "Off", "OFF",
		"true", "True", "TRUE", "false", "False", "FALSE":
		return true
	}
	return false
}

// yaml12Bool reports the plain scalars that are booleans in YAML 1.2 too.
func yaml12Bool(s string) bool {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return true
	}
	return false
}

// joinField appends a key to a field path: "spec" + "selector" = "spec.selector".
func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// suggest returns ` (did you mean "x"?)` when a field of the struct is
// spelled close to key (same letters in another case, or two edits away).
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestDist := "", 3
	for name := range fields {
		d := editDistance(strings.ToLower(key), strings.ToLower(name))
		if strings.EqualFold(key, name) {
			d = 0
		}
		if d < bestDist || d == bestDist && best != "" && name < best {
			best, bestDist = name, d
		}
	}
	if best == "" || bestDist > 2 || len(key) <= bestDist*2 {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// structFieldCache keeps structFields' answers by struct type. Not safe
// for concurrent use.
type structFieldCache map[reflect.Type]map[string]reflect.Type

// get is structFields(t), remembered in c when c is not nil.
func (c structFieldCache) get(t reflect.Type) map[string]reflect.Type {
	if f, ok := c[t]; ok {
		return f
	}
	f := structFields(t)
	if c != nil {
		c[t] = f
	}
	return f
}

// structFields maps the JSON names of a struct's fields (embedded structs
// without a name flattened, as encoding/json does) to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := out[name]; !dup {
				out[name] = f.Type
			}
		}
	}
	walk(t)
	return out
}
