package chart

// CopyValues deep-copies parsed values (maps and lists; scalars are
// immutable and shared). A nil map stays nil.
func CopyValues(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = CopyValue(v)
	}
	return out
}

// CopyValue deep-copies one parsed value: maps and lists recursively; nil
// maps and lists stay nil.
func CopyValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return CopyValues(x)
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = CopyValue(e)
		}
		return out
	}
	return v
}
