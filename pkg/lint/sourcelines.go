package lint

import (
	"regexp"
	"strings"
)

// sourceMap maps lines of a rendered template back to lines of the template
// file. The render keeps no positions, so a rendered line is matched against
// the source lines with their {{ actions }} read as wildcards: "  replicas:
// {{ .Values.n }}" matches "  replicas: -1". A source line matches only when
// it has literal text of its own (a key), so lines that are one action (an
// include, toYaml) match nothing; findings in their output are placed at the
// nearest enclosing field that does match (see checker.lineOf).
type sourceMap struct {
	rendered []string
	source   []*regexp.Regexp // nil: this source line cannot be matched
}

var actionRE = regexp.MustCompile(`\{\{-?.*?-?\}\}`)

func newSourceMap(source, rendered string) *sourceMap {
	m := &sourceMap{rendered: splitLines(rendered)}
	for _, s := range splitLines(source) {
		m.source = append(m.source, lineMatcher(s))
	}
	return m
}

func splitLines(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(s, "\n")
}

// lineMatcher turns a source line into a regular expression for the lines it
// can render to, or nil when it has no literal text to be recognised by or
// holds part of a multi-line action.
func lineMatcher(s string) *regexp.Regexp {
	spans := actionRE.FindAllStringIndex(s, -1)
	rest := actionRE.ReplaceAllString(s, "")
	if strings.Contains(rest, "{{") {
		return nil // the start of an action that ends on a later line
	}
	if len(strings.TrimSpace(rest)) < 2 {
		return nil
	}
	var b strings.Builder
	b.WriteString("^")
	prev := 0
	trimNext := false
	for _, sp := range spans {
		lit := s[prev:sp[0]]
		if trimNext {
			lit = strings.TrimLeft(lit, " \t")
		}
		if strings.HasPrefix(s[sp[0]:], "{{-") {
			lit = strings.TrimRight(lit, " \t")
		}
		b.WriteString(regexp.QuoteMeta(lit))
		b.WriteString(".*")
		trimNext = strings.HasSuffix(s[:sp[1]], "-}}")
		prev = sp[1]
	}
	lit := s[prev:]
	if trimNext {
		lit = strings.TrimLeft(lit, " \t")
	}
	b.WriteString(regexp.QuoteMeta(lit))
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return re
}

// line returns the source line (1-based) that rendered line rl came from, or
// 0 when no source line matches it. The same line number is preferred (no
// multi-line output above), then the nearest matching line.
func (m *sourceMap) line(rl int) int {
	if rl < 1 || rl > len(m.rendered) {
		return 0
	}
	r := m.rendered[rl-1]
	match := func(i int) bool {
		return i >= 0 && i < len(m.source) && m.source[i] != nil && m.source[i].MatchString(r)
	}
	for d := 0; d < len(m.rendered)+len(m.source); d++ {
		if match(rl - 1 - d) {
			return rl - d
		}
		if d > 0 && match(rl-1+d) {
			return rl + d
		}
	}
	return 0
}
