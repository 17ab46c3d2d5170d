package yamljson

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// splitByRegexp is Helm's way of splitting, kept here as the reference for
// the hand-written SplitDocuments.
func splitByRegexp(s string) []string {
	sep := regexp.MustCompile(`(?m)^---[ \t]*`)
	var out []string
	for _, d := range sep.Split(strings.TrimLeftFunc(s, unicode.IsSpace), -1) {
		if strings.TrimSpace(d) == "" {
			continue
		}
		out = append(out, strings.TrimLeftFunc(d, unicode.IsSpace))
	}
	return out
}

func TestSplitDocumentsMatchesHelmRegexp(t *testing.T) {
	cases := []string{
		"", "---", "---\n", "a: 1", "---\na: 1\n---\nb: 2\n", "a: 1\n---   \t\nb: 2",
		"----\na: 1", "a: '---'\n  ---\nb: 1", "\n\n  ---\na: 1", "---a: 1\n---\t# c\nb: 2",
		"a: |\n  ---\n  x\n---\nb", "\r\n---\r\na: 1\r\n---\r\n", "---\n---\n---\n", "x\n---",
		"\u00a0---\na", "a\n---\u00a0\nb",
	}
	// Random documents built from the pieces that matter to the separator.
	pieces := []string{"---", "-", " ", "\t", "\n", "\r\n", "a: 1", "#", "'", "\u00a0", "x"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		cases = append(cases, b.String())
	}
	for _, c := range cases {
		if got, want := SplitDocuments(c), splitByRegexp(c); !slices.Equal(got, want) {
			t.Fatalf("SplitDocuments(%q) = %q, want %q", c, got, want)
		}
	}
}
