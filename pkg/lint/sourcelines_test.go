package lint

import "testing"

func TestSourceMapLines(t *testing.T) {
	source := "a: 1\n" +
		"{{- if .Values.x }}\n" + // 2: action only, matches nothing
		"b: {{ .Values.b }}\n" + // 3
		"{{- end }}\n" +
		"c:\n" + // 5
		"  {{- toYaml .Values.c | nindent 2 }}\n" + // 6
		"d: {{- \" x\" }}\n" + // 7: {{- trims the space before it
		"e: 1\n" + // 8
		"f: {g: {h: 1}}\n" // 9: a flow mapping's braces are not an action
	rendered := "a: 1\n" +
		"b: 2\n" + // from 3
		"c:\n" + // from 5
		"  k1: v\n" + // toYaml output: no line of its own
		"  k2: v\n" +
		"d: x\n" + // from 7
		"e: 1\n" + // from 8
		"f: {g: {h: 1}}\n" // from 9
	m := newSourceMap(source, rendered)
	for rl, want := range map[int]int{1: 1, 2: 3, 3: 5, 4: 0, 5: 0, 6: 7, 7: 8, 8: 9} {
		if got := m.line(rl); got != want {
			t.Errorf("rendered line %d: source line %d, want %d", rl, got, want)
		}
	}
}
