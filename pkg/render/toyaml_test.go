package render

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// marshalYAML must print exactly what sigs.k8s.io/yaml.Marshal prints.
func TestMarshalYAMLMatchesLibrary(t *testing.T) {
	fixed := []any{
		nil, "", "x", "yes", "no", "on", "~", "null", "1", "1.0", "0x1F", "1e3", "2001-12-14", "a: b", "- x",
		"multi\nline\n", " lead", "trail ", "tab\there", "quote\"", "<&>", "\u2028", "\x00ctl", "日本語", "\xff\xfe",
		true, false, 0, math.Copysign(0, -1), 1, -1, 1.5, 3.0, 1e6, 1e20, 1e21, 1e-7, 0.1, 123456789012345678.0,
		12345678901234567890.0, math.MaxInt64, int64(math.MinInt64), uint64(math.MaxUint64), math.NaN(), math.Inf(1),
		int32(7), []string{"a", "yes"}, map[string]string{"k": "v", "y": "n"}, []string(nil), map[string]any(nil),
		map[string]any{"b": 1, "a": []any{map[string]any{"c": nil}}, "a10": 1, "a2": 2, "1": "one", "": "empty"},
		[]any{}, map[string]any{}, struct{ A int }{1}, []byte("bytes"),
	}
	r := rand.New(rand.NewSource(1))
	var gen func(depth int) any
	gen = func(depth int) any {
		switch n := r.Intn(9); {
		case n == 0 && depth < 4:
			m := map[string]any{}
			for i := r.Intn(4); i > 0; i-- {
				m[fixedString(r)] = gen(depth + 1)
			}
			return m
		case n == 1 && depth < 4:
			l := make([]any, r.Intn(4))
			for i := range l {
				l[i] = gen(depth + 1)
			}
			return l
		case n == 2:
			return r.NormFloat64() * math.Pow(10, float64(r.Intn(40)-20))
		case n == 3:
			return float64(r.Intn(1000))
		case n == 4:
			return r.Int63() - r.Int63()
		case n == 5:
			return r.Intn(2) == 0
		case n == 6:
			return nil
		default:
			return fixedString(r)
		}
	}
	values := fixed
	for range 3000 {
		values = append(values, gen(0))
	}
	for i, v := range values {
		want, werr := yaml.Marshal(v)
		got, gerr := marshalYAML(v)
		if (werr == nil) != (gerr == nil) || string(got) != string(want) {
			t.Fatalf("value %d %#v:\n got %q (%v)\nwant %q (%v)", i, v, got, gerr, want, werr)
		}
	}
}

func fixedString(r *rand.Rand) string {
	parts := []string{"a", "yes", "1", "0.5", "-", ":", " ", "\n", "#", "'", "\"", "true", "null", "é", "{", "[", "*", "&", "!", "%", "@", "`", "0o7", "+1", ".5", "1_000"}
	var b strings.Builder
	for i := r.Intn(4); i >= 0; i-- {
		b.WriteString(parts[r.Intn(len(parts))])
	}
	return b.String()
}
