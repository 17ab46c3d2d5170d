package render

import (
	"text/template"

	"github.com/mitchellh/copystructure"

	"github.com/lade-dev/lade/pkg/chart/common"
)

// withFastDeepCopy replaces sprig's deepCopy and mustDeepCopy, which copy
// with copystructure: a reflection walk that allocates for every value and
// copies a []byte one byte at a time. Charts call `deepCopy .` on the whole
// render object (the opentelemetry charts several times per template), so
// .Files was copied byte by byte: 90% of those charts' template time.
// Values of the types a render object and YAML values are made of are
// copied directly, with copystructure's exact result (same types, nil maps
// and slices stay nil, slices keep their capacity); anything else is handed
// to copystructure, so its result and errors are unchanged.
func withFastDeepCopy(f template.FuncMap) {
	f["deepCopy"] = func(v any) any {
		c, err := fastDeepCopy(v)
		if err != nil {
			panic("deepCopy error: " + err.Error())
		}
		return c
	}
	f["mustDeepCopy"] = fastDeepCopy
}

// fastDeepCopy is copystructure.Copy(v).
func fastDeepCopy(v any) (any, error) {
	switch v.(type) {
	case map[string]any, []any, Files, common.Values:
		var c copier
		out := c.value(v)
		if c.err != nil {
			// A part copystructure refused: let it fail the whole copy
			// exactly as it would have.
			return copystructure.Copy(v)
		}
		return out, nil
	}
	return copystructure.Copy(v)
}

// copier copies value trees; err holds the first error of copystructure on
// a part it copied.
type copier struct{ err error }

func (c *copier) value(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string, bool, int, int64, float64:
		return x
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = c.value(e)
		}
		return out
	case common.Values:
		if x == nil {
			return x
		}
		out := make(common.Values, len(x))
		for k, e := range x {
			out[k] = c.value(e)
		}
		return out
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x), cap(x))
		for i, e := range x {
			out[i] = c.value(e)
		}
		return out
	case Files:
		if x == nil {
			return x
		}
		out := make(Files, len(x))
		for k, b := range x {
			if b != nil {
				nb := make([]byte, len(b), cap(b))
				copy(nb, b)
				b = nb
			}
			out[k] = b
		}
		return out
	}
	if c.err != nil {
		return nil
	}
	out, err := copystructure.Copy(v)
	if err != nil {
		c.err = err
	}
	return out
}
