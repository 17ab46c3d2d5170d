package values

import (
	"strings"
	"testing"
)

// FuzzParseSet runs every --set style parser on arbitrary input: none may
// panic, and a successful --set parse must yield only values --set can make.
// The seed corpus is in testdata/fuzz/FuzzParseSet.
func FuzzParseSet(f *testing.F) {
	for _, s := range []string{
		"a=b", "a.b.c=1,d[0].e=f", "a={x,y},b=null", `a\.b=c\,d`, "a[0][1]=x", "a[65537]=1",
		strings.Repeat("a.", 31) + "b=1", `j={"k":[1,2]}`, "a=1,a.b=2", "a[0]=1,a[0][0]=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, mode := range strvalsModes {
			dest := map[string]any{}
			err := parseStrvals(s, dest, mode, func(p string) (any, error) { return p, nil })
			if err == nil && mode == modeSet {
				checkSetValue(t, name, s, dest)
			}
		}
	})
}

// checkSetValue fails unless v is built from maps, lists, strings, int64,
// bools and nulls only.
func checkSetValue(t *testing.T, mode, in string, v any) {
	switch v := v.(type) {
	case nil, string, int64, bool:
	case []any:
		for _, x := range v {
			checkSetValue(t, mode, in, x)
		}
	case map[string]any:
		for k, x := range v {
			if k == "" {
				t.Fatalf("%s %q: empty key in result", mode, in)
			}
			checkSetValue(t, mode, in, x)
		}
	default:
		t.Fatalf("%s %q: unexpected %T in result", mode, in, v)
	}
}
