package overlay

import (
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Printing without changing values.
//
// lade prints kyaml nodes (kustomize's results, base documents it tags
// through kyaml, the overlay's root kustomization) with RNode.String, which
// is yaml.v3's emitter (go.yaml.in/yaml/v3 v3.0.5, no line width). Its
// printing of two kinds of block scalar does not read back as the value it
// printed:
//
//   - Folded scalars (">") whose value holds a line break. After a line
//     that does not start with a blank, the emitter must write one more
//     line break when the text after the break is an ordinary line (a
//     single break folds into a space) and must not when the text after
//     it is a more-indented line (starting with a space or tab, whose
//     breaks are kept as they are) or the end of the value. yaml.v3 looks
//     at the start of the value instead of the text after the break
//     (emitterc.go, yaml_emitter_write_folded_scalar: "k := 0"), so a
//     value that starts with an ordinary line gains a line break before
//     each more-indented line and at the end of ">+" values, and one that
//     starts with a blank loses the break between ordinary lines, which
//     then fold into one. kustomize's own Resource.AsYAML (and so
//     `kubectl kustomize`) goes through the same printer and has the same
//     loss; lade keeps the value the chart rendered.
//   - Block scalars (literal, folded, or any multi-line scalar without a
//     style, which yaml.v3 prints literal) whose value starts with a tab:
//     no indentation indicator is written for a tab, and yaml.v3's parser
//     then refuses the first line ("found a tab character where an
//     indentation space is expected"), so the output is not YAML.
//
// Literal scalars are otherwise printed faithfully, and quoted ones
// always are. printNode re-styles the nodes that would be printed lossily:
// folded ones become literal (the same text, with the line breaks as they
// are), those starting with a tab double-quoted. Everything else prints
// exactly as before; the check costs one byte scan of the printed text
// when it has no '>' and no tab, which is the case for most documents.

// printNode prints rn as RNode.String does, with the scalars yaml.v3 would
// print lossily re-styled first (rn is changed then).
func printNode(rn *kyaml.RNode) (string, error) {
	s, err := rn.String()
	if err != nil {
		return "", err
	}
	// A folded scalar printed as such starts with '>', and a tab in a
	// block scalar is printed as it is: without either in the text, no
	// scalar was printed lossily.
	if strings.IndexByte(s, '>') < 0 && strings.IndexByte(s, '\t') < 0 {
		return s, nil
	}
	if !restyle(rn.YNode()) {
		return s, nil
	}
	return rn.String()
}

// restyle re-styles every scalar under n that yaml.v3 would print lossily
// (see above) and reports whether it changed any.
func restyle(n *kyaml.Node) bool {
	if n == nil {
		return false
	}
	changed := false
	if n.Kind == kyaml.ScalarNode {
		if st, ok := losslessStyle(n.Style, n.Value); ok {
			n.Style = st
			changed = true
		}
	}
	for _, c := range n.Content {
		if restyle(c) {
			changed = true
		}
	}
	return changed
}

// losslessStyle returns the style a scalar of this style and value must
// take to print as its value, and false when its style does already.
func losslessStyle(style kyaml.Style, v string) (kyaml.Style, bool) {
	// yaml.v3's encoder takes the first of these styles that is set.
	if style&(kyaml.DoubleQuotedStyle|kyaml.SingleQuotedStyle) != 0 {
		return style, false
	}
	literal := style&kyaml.LiteralStyle != 0
	folded := !literal && style&kyaml.FoldedStyle != 0
	block := literal || folded || strings.IndexByte(v, '\n') >= 0
	if block && v != "" && v[0] == '\t' {
		return style&^(kyaml.LiteralStyle|kyaml.FoldedStyle) | kyaml.DoubleQuotedStyle, true
	}
	if folded && foldedLossy(v) {
		return style&^kyaml.FoldedStyle | kyaml.LiteralStyle, true
	}
	return style, false
}

// foldedLossy reports whether yaml.v3 prints v in folded style as a text
// that reads back as another value (see above). Line breaks other than
// "\n" (carriage returns, NEL, LS, PS) are not modelled: a folded value
// holding one is taken as lossy.
func foldedLossy(v string) bool {
	if strings.IndexByte(v, '\n') < 0 && !otherBreak(v) {
		return false
	}
	if otherBreak(v) {
		return true
	}
	// What yaml.v3 decides at every break after an ordinary line: one more
	// break when the value, past its leading breaks, starts with a
	// character that is not a blank.
	k := 0
	for k < len(v) && v[k] == '\n' {
		k++
	}
	extra := k < len(v) && !blank(v[k])
	// What it must decide: one more break when the text after the breaks
	// is an ordinary line, none before a more-indented line or the end.
	lineStart := true
	ordinary := false // the current line does not start with a blank
	for i := 0; i < len(v); {
		if v[i] != '\n' {
			if lineStart {
				ordinary = !blank(v[i])
				lineStart = false
			}
			i++
			continue
		}
		j := i
		for j < len(v) && v[j] == '\n' {
			j++
		}
		if !lineStart && ordinary {
			// Breaks that end the value are chomped: one is the line's own
			// (clip), more are kept ("+") and an extra one is kept too.
			if j == len(v) {
				if extra && j-i >= 2 {
					return true
				}
			} else if extra == blank(v[j]) {
				return true
			}
		}
		lineStart = true
		i = j
	}
	return false
}

func blank(c byte) bool { return c == ' ' || c == '\t' }

// otherBreak reports whether v holds a line break yaml.v3 knows other than
// "\n": "\r", NEL (U+0085), LS (U+2028) or PS (U+2029).
func otherBreak(v string) bool {
	return strings.IndexByte(v, '\r') >= 0 || strings.Contains(v, "\u0085") ||
		strings.Contains(v, "\u2028") || strings.Contains(v, "\u2029")
}
