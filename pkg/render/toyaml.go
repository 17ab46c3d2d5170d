package render

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart/common"
)

// marshalYAML encodes v exactly as sigs.k8s.io/yaml.Marshal (Helm's toYaml)
// does: that library encodes to JSON, parses the JSON with yaml.v2 and
// encodes the result. For the plain values templates hold (maps, lists,
// strings, numbers, booleans) the same yaml.v2 tree is built directly,
// skipping the JSON text and its parse; anything else takes the library.
func marshalYAML(v any) ([]byte, error) {
	if t, ok := jsonTree(v); ok {
		return yamlv2.Marshal(t)
	}
	return yaml.Marshal(v)
}

// jsonTree returns what yaml.v2 makes of json.Marshal(v): maps become
// map[any]any, numbers the int, uint64 or float64 that yaml.v2 resolves
// from their JSON text. ok is false for values it does not handle.
func jsonTree(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		// json.Marshal replaces invalid UTF-8; let the library do it.
		return x, utf8.ValidString(x)
	case bool:
		return x, true
	case map[string]any:
		return mapTree(x)
	case common.Values:
		return mapTree(x)
	case []any:
		if x == nil {
			return nil, true
		}
		out := make([]any, len(x))
		for i, e := range x {
			t, ok := jsonTree(e)
			if !ok {
				return nil, false
			}
			out[i] = t
		}
		return out, true
	case map[string]string:
		if x == nil {
			return nil, true
		}
		out := make(map[any]any, len(x))
		for k, e := range x {
			if !utf8.ValidString(k) || !utf8.ValidString(e) {
				return nil, false
			}
			out[k] = e
		}
		return out, true
	case []string:
		if x == nil {
			return nil, true
		}
		out := make([]any, len(x))
		for i, e := range x {
			if !utf8.ValidString(e) {
				return nil, false
			}
			out[i] = e
		}
		return out, true
	case int:
		return resolveJSONNumber(strconv.FormatInt(int64(x), 10))
	case int64:
		return resolveJSONNumber(strconv.FormatInt(x, 10))
	case int32:
		return resolveJSONNumber(strconv.FormatInt(int64(x), 10))
	case uint64:
		return resolveJSONNumber(strconv.FormatUint(x, 10))
	case float64:
		b, err := json.Marshal(x) // NaN and Inf fail here, as in the library
		if err != nil {
			return nil, false
		}
		return resolveJSONNumber(string(b))
	}
	return nil, false
}

func mapTree(m map[string]any) (any, bool) {
	if m == nil {
		return nil, true
	}
	out := make(map[any]any, len(m))
	for k, e := range m {
		if !utf8.ValidString(k) {
			return nil, false
		}
		t, ok := jsonTree(e)
		if !ok {
			return nil, false
		}
		out[k] = t
	}
	return out, true
}

// resolveJSONNumber is yaml.v2's resolution of a plain scalar that is a
// JSON number: an int when it fits, else a uint64, else a float64.
func resolveJSONNumber(s string) (any, bool) {
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		return int(i), true
	}
	if u, err := strconv.ParseUint(s, 0, 64); err == nil {
		return u, true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, true
	}
	return nil, false
}
