package table

import "testing"

func TestFormat(t *testing.T) {
	rows := [][]string{
		{"NAME", "REPOSITORY", "STATUS"},
		{"db", "oci://registry.example.com/charts", "ok"},
		{"cache", "", "missing"},
	}
	want := "NAME \tREPOSITORY                       \tSTATUS \n" +
		"db   \toci://registry.example.com/charts\tok     \n" +
		"cache\t                                 \tmissing"
	if got := Format(rows, 0); got != want {
		t.Errorf("no limit:\n%q\nwant\n%q", got, want)
	}
	want = "NAME \tREPOSITORY\tSTATUS \n" +
		"db   \toci://r...\tok     \n" +
		"cache\t          \tmissing"
	if got := Format(rows, 10); got != want {
		t.Errorf("width 10:\n%q\nwant\n%q", got, want)
	}
	if got := Format(nil, 0); got != "" {
		t.Errorf("no rows: %q", got)
	}
}

// A multi-line cell spans lines when its lines' widths add up to no more
// than its column's width, and is cut as a whole otherwise (as uitable does;
// test/interop-release compares the two at length).
func TestFormatMultiLine(t *testing.T) {
	rows := [][]string{{"REV", "DESC"}, {"1", "a\nbcd"}, {"2", "ab\ncdef"}, {"3", "版本"}}
	want := "REV\tDESC\n" +
		"1  \ta   \n" +
		"   \tbcd \n" +
		"2  \ta...\n" +
		"3  \t版本"
	if got := Format(rows, 0); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestFit(t *testing.T) {
	for _, c := range []struct {
		cell  string
		width int
		want  string
	}{
		{"ok", 6, "ok    "},
		{"status", 6, "status"},
		{"abcdef", 2, "a..."},
		{"héllo wörld", 8, "héllo..."},
		{"版本版本", 5, "版..."},
		{"\x1b[1mok\x1b[0m", 3, "\x1b[1mok\x1b[0m "},
	} {
		if got := fit(c.cell, c.width); got != c.want {
			t.Errorf("fit(%q, %d) = %q, want %q", c.cell, c.width, got, c.want)
		}
	}
}
