package diff

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// FieldChange is one changed field: its path (".spec.replicas",
// ".metadata.labels[\"app.kubernetes.io/name\"]", ".spec.containers[name=web].image",
// ".spec.ports[0].port") with the old and new values (absent: null).
type FieldChange struct {
	Path string `json:"path"`
	Old  any    `json:"old"`
	New  any    `json:"new"`
}

// plainKey reports whether k matches ^[A-Za-z_][A-Za-z0-9_-]*$.
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && (c >= '0' && c <= '9' || c == '-')) {
			return false
		}
	}
	return k != ""
}

func keyPath(base, k string) string {
	if plainKey(k) {
		return base + "." + k
	}
	b, _ := json.Marshal(k)
	return base + "[" + string(b) + "]"
}

// FieldChanges lists the leaf-level differences between two objects, in
// key order. Lists whose elements all carry distinct "name" fields are
// compared by name, other lists by index.
func FieldChanges(old, new map[string]any) []FieldChange {
	var out []FieldChange
	walk("", anyOrNil(old), anyOrNil(new), &out)
	return out
}

func anyOrNil(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}

func walk(path string, a, b any, out *[]FieldChange) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			walk(keyPath(path, k), am[k], bm[k], out)
		}
		return
	}
	al, alok := a.([]any)
	bl, blok := b.([]any)
	if alok && blok {
		if an, bn, ok := byName(al, bl); ok {
			seen := map[string]bool{}
			var order []string
			for _, l := range [][]any{al, bl} {
				for _, e := range l {
					n := e.(map[string]any)["name"].(string)
					if !seen[n] {
						seen[n] = true
						order = append(order, n)
					}
				}
			}
			for _, n := range order {
				walk(fmt.Sprintf("%s[name=%s]", path, n), an[n], bn[n], out)
			}
			return
		}
		for i := 0; i < max(len(al), len(bl)); i++ {
			var x, y any
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			walk(fmt.Sprintf("%s[%d]", path, i), x, y, out)
		}
		return
	}
	if equalJSON(a, b) {
		return
	}
	if path == "" {
		path = "."
	}
	*out = append(*out, FieldChange{Path: path, Old: a, New: b})
}

// byName indexes two lists by their elements' "name" when every element of
// both is an object with a distinct string name.
func byName(a, b []any) (map[string]any, map[string]any, bool) {
	index := func(l []any) (map[string]any, bool) {
		m := map[string]any{}
		for _, e := range l {
			em, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			n, ok := em["name"].(string)
			if !ok || strings.ContainsAny(n, "[]") {
				return nil, false
			}
			if _, dup := m[n]; dup {
				return nil, false
			}
			m[n] = e
		}
		return m, true
	}
	if len(a) == 0 && len(b) == 0 {
		return nil, nil, false
	}
	am, ok1 := index(a)
	bm, ok2 := index(b)
	return am, bm, ok1 && ok2
}

// equalJSON reports whether a and b encode to the same JSON: maps and lists
// compared element by element, numbers by value whatever their Go type
// (YAML gives float64, the API int64). It walks the values instead of
// marshalling both, which cost a tenth of the diff's client CPU.
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			l, isList := b.([]any)
			return x == nil && isList && l == nil // both null
		}
		if (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok {
			m, isMap := b.(map[string]any)
			return x == nil && isMap && m == nil // both null
		}
		if (x == nil) != (y == nil) || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	}
	if b == nil {
		return false
	}
	if an, ok := exactNumber(a); ok {
		bn, ok := exactNumber(b)
		if ok {
			return an == bn
		}
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// exactNumber converts an integer or a float to float64 when that is exact
// (so equal values print the same JSON).
func exactNumber(x any) (float64, bool) {
	const exact = 1 << 53
	switch x := x.(type) {
	case float64:
		return x, x == x && x != 0 && math.Abs(x) <= exact && x == math.Trunc(x)
	case int64:
		return float64(x), x <= exact && x >= -exact
	case int:
		return float64(x), x <= exact && x >= -exact
	case int32:
		return float64(x), true
	}
	return 0, false
}
