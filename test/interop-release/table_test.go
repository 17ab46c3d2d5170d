package interop

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gosuri/uitable"

	"github.com/lade-dev/lade/internal/table"
)

// TestTableMatchesUitable: lade's tables (list, history, dependency list)
// lay out cells exactly as uitable, the table package Helm 4 prints with:
// multi-line cells, wide (East Asian) runes, escape sequences, empty cells,
// cells cut to a maximum width.
func TestTableMatchesUitable(t *testing.T) {
	pieces := []string{
		"", "a", "deployed", "Install complete", "\n", "\n\n", "  ", "\t",
		"Release \"web\" failed: timed out after 2s waiting for 1 resource(s) to become ready:",
		"\n  Deployment ns/web: InProgress: Available: 0/1",
		"デプロイ", "版本", "é", "\x1b[31mred\x1b[0m", "...", "x",
		strings.Repeat("long description ", 8),
	}
	rnd := rand.New(rand.NewPCG(17, 4))
	cell := func() string {
		var b strings.Builder
		for range rnd.IntN(4) {
			b.WriteString(pieces[rnd.IntN(len(pieces))])
		}
		return b.String()
	}
	for i := range 3000 {
		cols := 1 + rnd.IntN(6)
		rows := make([][]string, 1+rnd.IntN(5))
		for r := range rows {
			rows[r] = make([]string, cols)
			for c := range rows[r] {
				rows[r][c] = cell()
			}
		}
		maxWidth := 0
		if i%3 == 0 {
			maxWidth = rnd.IntN(30)
		}
		want := uitableFormat(rows, maxWidth)
		if got := table.Format(rows, maxWidth); got != want {
			t.Fatalf("rows %q (max width %d):\nlade  %q\nhelm  %q", rows, maxWidth, got, want)
		}
	}
}

func uitableFormat(rows [][]string, maxWidth int) string {
	tbl := uitable.New()
	tbl.MaxColWidth = uint(maxWidth)
	for _, r := range rows {
		cells := make([]any, len(r))
		for i, c := range r {
			cells[i] = c
		}
		tbl.AddRow(cells...)
	}
	return fmt.Sprint(tbl)
}
