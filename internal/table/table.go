package table

import (
	"io"
	"regexp"
	"strings"

	"github.com/mattn/go-runewidth"
)

// Format returns rows as a table, one line per row (more for cells with
// newlines) and no newline after the last; maxWidth > 0 cuts wider cells to
// maxWidth cells ending in "...".
//
// The layout is uitable's, step for step, so that output with multi-line
// or wide (East Asian) text is byte-identical to Helm's: a cell is first
// fitted to its column width as a whole (its lines' widths add up, so a
// multi-line cell is usually cut), then split into lines, each fitted
// again; a line a cell does not have is blank.
func Format(rows [][]string, maxWidth int) string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			n := lineWidth(cell)
			if maxWidth > 0 && n > maxWidth {
				n = maxWidth
			}
			widths[i] = max(widths[i], n)
		}
	}
	lines := make([]string, 0, len(rows))
	for _, row := range rows {
		lines = append(lines, formatRow(row, widths))
	}
	return strings.Join(lines, "\n")
}

// Write writes the table and a newline, as Helm's table output does.
func Write(w io.Writer, rows [][]string, maxWidth int) error {
	_, err := io.WriteString(w, Format(rows, maxWidth)+"\n")
	return err
}

func formatRow(row []string, widths []int) string {
	split := make([][]string, len(row))
	n := 0
	for i, cell := range row {
		split[i] = strings.Split(fit(cell, widths[i]), "\n")
		n = max(n, len(split[i]))
	}
	out := make([]string, n)
	for x := range out {
		parts := make([]string, len(row))
		for y := range row {
			if x < len(split[y]) {
				parts[y] = fit(split[y][x], widths[y])
			} else {
				// uitable pads a missing line to the width, and to one
				// space in a column of width 0.
				parts[y] = strings.Repeat(" ", max(widths[y], 1))
			}
		}
		out[x] = strings.Join(parts, "\t")
	}
	return strings.Join(out, "\n")
}

// fit pads s with spaces to width cells, or, when it is wider, keeps the
// runes up to the one that reaches width-3 cells (at least one rune) and
// adds "..."; width 0 leaves s as it is.
func fit(s string, width int) string {
	if width == 0 {
		return s
	}
	w := stringWidth(s)
	switch {
	case w == width:
		return s
	case w < width:
		return s + strings.Repeat(" ", width-w)
	}
	var b strings.Builder
	cut := 0
	for _, r := range s {
		b.WriteRune(r)
		rw := runewidth.RuneWidth(r)
		if cut+rw >= width-3 {
			break
		}
		cut += rw
	}
	b.WriteString("...")
	return b.String()
}

// lineWidth is the width of the widest line of s.
func lineWidth(s string) int {
	w := 0
	for line := range strings.SplitSeq(s, "\n") {
		w = max(w, stringWidth(line))
	}
	return w
}

// ansi matches terminal escape sequences, which take no width.
var ansi = regexp.MustCompile("[\u001B\u009B][[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\u0007)|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))")

// stringWidth is the number of terminal cells s takes (East Asian wide
// runes take two, control characters and escape sequences none).
func stringWidth(s string) int {
	if strings.ContainsAny(s, "\u001b\u009b") {
		s = ansi.ReplaceAllString(s, "")
	}
	return runewidth.StringWidth(s)
}
