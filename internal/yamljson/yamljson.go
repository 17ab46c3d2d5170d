package yamljson

import (
	"maps"
	"math"
	"strconv"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// UnmarshalMap is sigs.k8s.io/yaml.Unmarshal(data, m): same result, same
// errors. A YAML mapping is converted straight to JSON's types (string keys,
// float64 numbers); anything the JSON round trip could change or reject takes
// that round trip instead.
func UnmarshalMap(data []byte, m *map[string]any) error {
	if out, ok := FastMap(data); ok {
		if *m == nil {
			*m = out
		} else if out != nil {
			// Decoding a JSON object into a map adds to it.
			maps.Copy(*m, out)
		}
		return nil
	}
	return yaml.Unmarshal(data, m)
}

// FastMap decodes a YAML mapping into what sigs.k8s.io/yaml.Unmarshal into
// a map[string]any would give; ok is false when it cannot be sure (errors
// included), and the caller must take sigs.k8s.io/yaml's road. A null or
// empty document gives a nil map.
func FastMap(data []byte) (m map[string]any, ok bool) {
	var v any
	if yamlv2.Unmarshal(data, &v) != nil {
		return nil, false
	}
	switch top := v.(type) {
	case nil:
		return nil, true
	case map[any]any:
		return convertMap(top)
	}
	return nil, false
}

// UnmarshalSlice is sigs.k8s.io/yaml.Unmarshal(data, a) for a list, with the
// same shortcut as UnmarshalMap.
func UnmarshalSlice(data []byte, a *[]any) error {
	var v any
	if yamlv2.Unmarshal(data, &v) == nil {
		switch top := v.(type) {
		case nil:
			return nil
		case []any:
			if out, ok := convert(top); ok {
				*a = out.([]any)
				return nil
			}
		}
	}
	return yaml.Unmarshal(data, a)
}

// convert returns v as encoding/json would decode json.Marshal(v) into an
// interface{}, or false when that is not certain.
func convert(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool:
		return x, true
	case string:
		// json.Marshal replaces invalid UTF-8 byte by byte.
		return x, utf8.ValidString(x)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		// json.Marshal rejects NaN and infinities; other floats round-trip.
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, ok := convert(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case map[any]any:
		return convertMap(x)
	}
	return nil, false
}

// convertMap converts a YAML mapping into a new JSON object.
func convertMap(m map[any]any) (map[string]any, bool) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		key, ok := keyString(k)
		if !ok || !utf8.ValidString(key) {
			return nil, false
		}
		if _, dup := out[key]; dup {
			// Two YAML keys with one JSON name: which survives depends on
			// map order in sigs.k8s.io/yaml; let it decide.
			return nil, false
		}
		c, ok := convert(v)
		if !ok {
			return nil, false
		}
		out[key] = c
	}
	return out, true
}

// keyString names a map key as sigs.k8s.io/yaml does when it converts YAML
// to JSON; other key types (null, binary, complex) are its errors to report.
func keyString(k any) (string, bool) {
	switch x := k.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 32)
		switch s {
		case "+Inf":
			s = ".inf"
		case "-Inf":
			s = "-.inf"
		case "NaN":
			s = ".nan"
		}
		return s, true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
