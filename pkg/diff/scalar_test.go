package diff

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"regexp"
	"testing"
)

// The regexps plainSafe, needsQuote and plainKey replaced: the hand-written
// checks must agree with them on every string.
var (
	plainSafeRE  = regexp.MustCompile(`^[A-Za-z0-9_./(=+$^;-][A-Za-z0-9_./()=+$^<>~;:@ -]*$`)
	needsQuoteRE = regexp.MustCompile(`^(?i:y|yes|n|no|true|false|on|off|null|~|[-+]?(\.inf|\.nan)|[-+]?[0-9][0-9A-Za-z_.:+-]*|[-+]?\.[0-9].*)$`)
	plainKeyRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
)

func TestScalarChecksMatchRegexps(t *testing.T) {
	fixed := []string{"", "y", "Y", "yes", "YES", "No", "on", "OFF", "null", "NULL", "~", ".inf", "-.Inf", "+.NaN", ".nan5",
		"1", "-1", "+1", "1.5", "1e3", "0x1F", "2024-01-01", "12:30", ".5", "-.5", ".5\nx", ".", "-", "+", "-x", "a", "a b",
		"a:b", "(x)", ")x", "x)", "<x", "x<", "@x", "x@", "~x", "x~", "héllo", "ſ", "yeſ", "_x", "x-y", "9x", "x9", "-9", "a\nb"}
	alphabet := []rune("aAyYeEsSnNoOtTrRuUfFlLiI019.-+_:/()<>~@ $^;=,'\"#!\n\tſé")
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		b := make([]rune, r.IntN(7))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		fixed = append(fixed, string(b))
	}
	for _, s := range fixed {
		if got, want := plainSafe(s), plainSafeRE.MatchString(s); got != want {
			t.Fatalf("plainSafe(%q) = %v, regexp %v", s, got, want)
		}
		if plainSafe(s) {
			if got, want := needsQuote(s), needsQuoteRE.MatchString(s); got != want {
				t.Fatalf("needsQuote(%q) = %v, regexp %v", s, got, want)
			}
		}
		if got, want := plainKey(s), plainKeyRE.MatchString(s); got != want {
			t.Fatalf("plainKey(%q) = %v, regexp %v", s, got, want)
		}
	}
}

func TestEqualJSONMatchesMarshal(t *testing.T) {
	old := func(a, b any) bool {
		if a == nil || b == nil {
			return a == nil && b == nil
		}
		ja, err1 := json.Marshal(a)
		jb, err2 := json.Marshal(b)
		return err1 == nil && err2 == nil && string(ja) == string(jb)
	}
	vals := []any{nil, "", "x", "1", true, false, int64(0), int64(1), int64(-1), float64(0), math.Copysign(0, -1), float64(1), 1.5,
		float64(1 << 53), float64(1<<53 + 2), int64(1<<53 + 1), float64(1e20), int64(8080), float64(8080), 8080, int32(7),
		map[string]any(nil), map[string]any{}, map[string]any{"a": int64(1)}, map[string]any{"a": float64(1)}, map[string]any{"a": "1"},
		map[string]any{"a": nil}, map[string]any{"b": int64(1)}, []any(nil), []any{}, []any{int64(1)}, []any{float64(1)}, []any{"1"},
		[]any{nil}, []any{map[string]any{"a": []any{1.5}}}, []any{map[string]any{"a": []any{1.5}}}}
	for _, a := range vals {
		for _, b := range vals {
			if got, want := equalJSON(a, b), old(a, b); got != want {
				t.Errorf("equalJSON(%#v, %#v) = %v, want %v", a, b, got, want)
			}
		}
	}
}
