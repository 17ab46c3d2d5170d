package diff

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

func TestHunksExample(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	new := "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n"
	got := strings.Join(Hunks(old, new, 1), "")
	want := "@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n@@ -10 +10,2 @@\n j\n+k\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if h := Hunks(old, old, 3); h != nil {
		t.Fatalf("equal texts: %q", h)
	}
	if got := strings.Join(Hunks("", "x\ny\n", 3), ""); got != "@@ -0,0 +1,2 @@\n+x\n+y\n" {
		t.Fatalf("create: %q", got)
	}
	if got := strings.Join(Hunks("x\n", "", 3), ""); got != "@@ -1 +0,0 @@\n-x\n" {
		t.Fatalf("delete: %q", got)
	}
}

// lcs is the length of the longest common subsequence (dynamic programming).
func lcs(a, b []string) int {
	prev := make([]int, len(b)+1)
	for i := range a {
		cur := make([]int, len(b)+1)
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev = cur
	}
	return prev[len(b)]
}

// apply patches a with hunks the way patch(1) would (no fuzz).
func apply(t *testing.T, a []string, hunks []string) []string {
	var out []string
	pos := 0
	for _, h := range hunks {
		lines := splitLines(h)
		var as, an, bs, bn int
		hdr := strings.TrimSuffix(strings.TrimPrefix(lines[0], "@@ "), " @@")
		parts := strings.Fields(hdr)
		as, an = parseRange(t, strings.TrimPrefix(parts[0], "-"))
		bs, bn = parseRange(t, strings.TrimPrefix(parts[1], "+"))
		_, _ = bs, bn
		start := as - 1
		if an == 0 {
			start = as
		}
		out = append(out, a[pos:start]...)
		pos = start
		for _, l := range lines[1:] {
			switch l[0] {
			case ' ':
				if a[pos] != l[1:] {
					t.Fatalf("context mismatch at %d: %q vs %q", pos, a[pos], l[1:])
				}
				out = append(out, l[1:])
				pos++
			case '-':
				if a[pos] != l[1:] {
					t.Fatalf("removal mismatch at %d", pos)
				}
				pos++
			case '+':
				out = append(out, l[1:])
			}
		}
	}
	return append(out, a[pos:]...)
}

func parseRange(t *testing.T, s string) (int, int) {
	st, n, ok := strings.Cut(s, ",")
	a, err := strconv.Atoi(st)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return a, 1
	}
	b, err := strconv.Atoi(n)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestHunksRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	gen := func() []string {
		n := rng.Intn(30)
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a' + rng.Intn(4)))
		}
		return out
	}
	for iter := 0; iter < 2000; iter++ {
		a, b := gen(), gen()
		ops := editScript(a, b)
		edits := 0
		for _, e := range ops {
			if e.op != ' ' {
				edits++
			}
		}
		if want := len(a) + len(b) - 2*lcs(a, b); edits != want {
			t.Fatalf("%q -> %q: %d edits, minimum %d", a, b, edits, want)
		}
		join := func(l []string) string {
			if len(l) == 0 {
				return ""
			}
			return strings.Join(l, "\n") + "\n"
		}
		ctx := rng.Intn(4)
		got := apply(t, a, Hunks(join(a), join(b), ctx))
		if strings.Join(got, ",") != strings.Join(b, ",") {
			t.Fatalf("context %d: %q -> %q patched to %q", ctx, a, b, got)
		}
	}
}
