package diff

import (
	"fmt"
	"strings"
)

// lineOp is one line of an edit script: ' ' kept, '-' removed, '+' added.
type lineOp struct {
	op   byte
	text string
	a, b int // 0-based line numbers in the old and new text
}

// maxEdits bounds the Myers search; beyond it the texts are reported as
// entirely replaced (a huge rewrite is unreadable as a diff anyway).
const maxEdits = 4000

// editScript computes a shortest edit script from a to b with Myers'
// O(ND) algorithm, after stripping the common prefix and suffix.
func editScript(a, b []string) []lineOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var out []lineOp
	for i := 0; i < pre; i++ {
		out = append(out, lineOp{' ', a[i], i, i})
	}
	mid := myers(a[pre:len(a)-suf], b[pre:len(b)-suf])
	for _, e := range mid {
		e.a += pre
		e.b += pre
		out = append(out, e)
	}
	for i := suf; i > 0; i-- {
		ai, bi := len(a)-i, len(b)-i
		out = append(out, lineOp{' ', a[ai], ai, bi})
	}
	return out
}

func myers(a, b []string) []lineOp {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return replaceAll(a, b)
	}
	limit := n + m
	if limit > maxEdits {
		limit = maxEdits
	}
	off := limit + 1
	v := make([]int, 2*limit+3)
	// trace[d] holds v[-d..d] as it was before round d.
	var trace [][]int
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		snap := make([]int, 2*d+1)
		copy(snap, v[off-d:off+d+1])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return replaceAll(a, b)
	}
	var rev []lineOp
	x, y := n, m
	for d := found; d > 0; d-- {
		prev := trace[d] // v after round d-1, indexed k+d
		get := func(k int) int { return prev[k+d] }
		k := x - y
		var pk int
		if k == -d || (k != d && get(k-1) < get(k+1)) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := get(pk)
		py := px - pk
		for x > px && y > py {
			x--
			y--
			rev = append(rev, lineOp{' ', a[x], x, y})
		}
		if x == px {
			y--
			rev = append(rev, lineOp{'+', b[y], x, y})
		} else {
			x--
			rev = append(rev, lineOp{'-', a[x], x, y})
		}
	}
	for x > 0 && y > 0 {
		x--
		y--
		rev = append(rev, lineOp{' ', a[x], x, y})
	}
	out := make([]lineOp, len(rev))
	for i, e := range rev {
		out[len(rev)-1-i] = e
	}
	return out
}

func replaceAll(a, b []string) []lineOp {
	out := make([]lineOp, 0, len(a)+len(b))
	for i, s := range a {
		out = append(out, lineOp{'-', s, i, 0})
	}
	for i, s := range b {
		out = append(out, lineOp{'+', s, len(a), i})
	}
	return out
}

// splitLines splits text into lines without their newline.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// Hunks returns the unified-diff hunks ("@@ -a,n +b,m @@" and the lines
// after it) turning old into new with context lines around each change.
// It returns nil when the texts are equal.
func Hunks(old, new string, context int) []string {
	if context < 0 {
		context = 0
	}
	ops := editScript(splitLines(old), splitLines(new))
	var out []string
	i := 0
	for i < len(ops) {
		// Find the next change.
		for i < len(ops) && ops[i].op == ' ' {
			i++
		}
		if i == len(ops) {
			break
		}
		start := max(i-context, 0)
		// Extend while the gap to the next change is at most 2*context.
		end := i
		for {
			for end < len(ops) && ops[end].op != ' ' {
				end++
			}
			gap := end
			for gap < len(ops) && ops[gap].op == ' ' {
				gap++
			}
			if gap < len(ops) && gap-end <= 2*context {
				end = gap
				continue
			}
			end = min(end+context, len(ops))
			break
		}
		out = append(out, hunk(ops[start:end]))
		i = end
	}
	return out
}

func hunk(ops []lineOp) string {
	var an, bn int
	for _, e := range ops {
		if e.op != '+' {
			an++
		}
		if e.op != '-' {
			bn++
		}
	}
	as, bs := ops[0].a+1, ops[0].b+1
	if an == 0 {
		as--
	}
	if bn == 0 {
		bs--
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "@@ -%s +%s @@\n", rangeSpec(as, an), rangeSpec(bs, bn))
	for _, e := range ops {
		sb.WriteByte(e.op)
		sb.WriteString(e.text)
		sb.WriteByte('\n')
	}
	return sb.String()
}

func rangeSpec(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
