// Package table lays out rows as Helm's command tables do: every column as
// wide as its widest cell (cells padded with spaces, or cut to a maximum
// width with "..."), cells separated by a tab.
package table

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Format returns rows as a table, one line per row and no newline after the
// last; maxWidth > 0 cuts wider cells to maxWidth runes ending in "...".
func Format(rows [][]string, maxWidth int) string {
	var widths []int
	for _, row := range rows {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			n := utf8.RuneCountInString(cell)
			if maxWidth > 0 && n > maxWidth {
				n = maxWidth
			}
			widths[i] = max(widths[i], n)
		}
	}
	var b strings.Builder
	for r, row := range rows {
		if r > 0 {
			b.WriteByte('\n')
		}
		for i, cell := range row {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(fit(cell, widths[i]))
		}
	}
	return b.String()
}

// Write writes the table and a newline, as Helm's table output does.
func Write(w io.Writer, rows [][]string, maxWidth int) error {
	_, err := io.WriteString(w, Format(rows, maxWidth)+"\n")
	return err
}

// fit pads cell with spaces to width runes, or cuts it to width-3 runes
// (at least one) and "..." when it is wider.
func fit(cell string, width int) string {
	n := utf8.RuneCountInString(cell)
	switch {
	case n < width:
		return cell + strings.Repeat(" ", width-n)
	case n > width:
		runes := []rune(cell)
		return string(runes[:max(width-3, 1)]) + "..."
	}
	return cell
}
