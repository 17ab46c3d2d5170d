package yamljson

import (
	"strings"
	"unicode"
)

// SplitDocuments splits a multi-document YAML string the way Helm does,
// dropping empty documents and leading whitespace of each. A separator is
// "---" at the start of a line plus the blanks and tabs after it (Helm's
// regexp `(?m)^---[ \t]*`), scanned by hand: the regexp cost a sixth of the
// render of CRD-heavy charts.
func SplitDocuments(s string) []string {
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	var out []string
	add := func(d string) {
		if strings.TrimSpace(d) != "" {
			out = append(out, strings.TrimLeftFunc(d, unicode.IsSpace))
		}
	}
	beg := 0
	for i := 0; i < len(t); {
		// i is the start of a line.
		if strings.HasPrefix(t[i:], "---") {
			add(t[beg:i])
			i += 3
			for i < len(t) && (t[i] == ' ' || t[i] == '\t') {
				i++
			}
			beg = i
		}
		nl := strings.IndexByte(t[i:], '\n')
		if nl < 0 {
			break
		}
		i += nl + 1
	}
	add(t[beg:])
	return out
}
