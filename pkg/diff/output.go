package diff

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ANSI colours of the text output.
const (
	colReset  = "\x1b[0m"
	colBold   = "\x1b[1m"
	colRed    = "\x1b[31m"
	colGreen  = "\x1b[32m"
	colYellow = "\x1b[33m"
	colCyan   = "\x1b[36m"
)

// TextOptions tune WriteText and WriteSummary.
type TextOptions struct {
	// Context is the number of unchanged lines around each change (-C).
	Context int
	// Color adds ANSI colours.
	Color bool
}

func paint(on bool, col, s string) string {
	if !on || s == "" {
		return s
	}
	return col + s + colReset
}

// WriteText writes one unified diff per changed object: a "Kind
// namespace/name (action)" header, the conflicts and notes, then
// "--- FROM" / "+++ TO" and the hunks.
func WriteText(w io.Writer, r *Report, o TextOptions) error {
	var b strings.Builder
	writeCRDs(&b, r, o)
	for i, c := range r.Changes {
		if i > 0 || len(r.CRDs) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(paint(o.Color, colBold, fmt.Sprintf("%s (%s)", c.Title(), c.Action)))
		b.WriteByte('\n')
		for _, line := range conflictLines(c) {
			b.WriteString(paint(o.Color, colYellow, "! "+line))
			b.WriteByte('\n')
		}
		if c.Note != "" {
			b.WriteString("# " + c.Note + "\n")
		}
		from, to := r.From, r.To
		if c.Old == "" {
			from = "/dev/null"
		}
		if c.New == "" {
			to = "/dev/null"
		}
		b.WriteString(paint(o.Color, colRed, "--- "+from))
		b.WriteByte('\n')
		b.WriteString(paint(o.Color, colGreen, "+++ "+to))
		b.WriteByte('\n')
		for _, h := range Hunks(c.Old, c.New, o.Context) {
			for _, line := range splitLines(h) {
				switch {
				case strings.HasPrefix(line, "@@"):
					line = paint(o.Color, colCyan, line)
				case strings.HasPrefix(line, "-"):
					line = paint(o.Color, colRed, line)
				case strings.HasPrefix(line, "+"):
					line = paint(o.Color, colGreen, line)
				}
				b.WriteString(line)
				b.WriteByte('\n')
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func conflictLines(c *Change) []string {
	var out []string
	for _, cf := range c.Conflicts {
		what := fmt.Sprintf("conflict: field manager %q owns %s", cf.Manager, strings.Join(cf.Fields, ", "))
		if cf.Forced {
			out = append(out, what+"; the apply takes them over (forced: the release owns this object or --force-conflicts is set)")
		} else {
			out = append(out, what+"; the apply fails on them unless run with --force-conflicts, which takes them over (shown as taken)")
		}
	}
	return out
}

// WriteSummary writes one line per changed object ("+ Kind ns/name" for a
// create, "~" update, "-" delete; conflicts in brackets) and a total line.
func WriteSummary(w io.Writer, r *Report, o TextOptions) error {
	var b strings.Builder
	writeCRDs(&b, r, o)
	for _, c := range r.Changes {
		col := colYellow
		switch c.Action {
		case Create:
			col = colGreen
		case Delete:
			col = colRed
		}
		line := c.Action.Symbol() + " " + c.Title()
		for _, cf := range c.Conflicts {
			state := "forced"
			if !cf.Forced {
				state = "needs --force-conflicts"
			}
			line += fmt.Sprintf(" [conflict with %q on %s: %s]", cf.Manager, strings.Join(cf.Fields, ", "), state)
		}
		b.WriteString(paint(o.Color, col, line))
		b.WriteByte('\n')
	}
	s := r.Summary
	fmt.Fprintf(&b, "%d to create, %d to update, %d to delete, %d unchanged", s.Create, s.Update, s.Delete, s.Unchanged)
	if s.Blocked > 0 {
		fmt.Fprintf(&b, "; %d blocked by field-manager conflicts (--force-conflicts takes them)", s.Blocked)
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON writes the report as indented JSON: {"from", "to", "changes":
// [{"apiVersion", "kind", "namespace", "name", "change", "fields": [{"path",
// "old", "new"}], "conflicts": [{"manager", "fields", "forced"}], "note"}],
// "summary": {"create", "update", "delete", "unchanged", "blocked"}, "crds":
// [{"name", "change", "checkedObjects", "problems": [{"rule", "version",
// "message", "count", "objects": [{"namespace", "name", "errors"}]}],
// "warnings"}]} ("crds" only when a definition changes).
func WriteJSON(w io.Writer, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// writeCRDs writes the CRD section: each definition's check, refused ones
// in red, and what a refusal means for the operation.
func writeCRDs(b *strings.Builder, r *Report, o TextOptions) {
	if len(r.CRDs) == 0 {
		return
	}
	b.WriteString(paint(o.Color, colBold, "CustomResourceDefinitions (compatibility check)"))
	b.WriteByte('\n')
	refused := false
	for _, c := range r.CRDs {
		var t strings.Builder
		c.WriteText(&t)
		col := colGreen
		if c.Refused() {
			col, refused = colRed, true
		} else if len(c.Warnings) > 0 {
			col = colYellow
		}
		for _, line := range splitLines(t.String()) {
			b.WriteString(paint(o.Color, col, line))
			b.WriteByte('\n')
		}
	}
	if refused {
		b.WriteString("# the operation refuses these changes before changing anything; --force-crd-update applies them\n")
	}
}
