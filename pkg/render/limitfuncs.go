package render

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"text/template"
	"unicode/utf8"
)

// Template functions that loop or build large values, bound by a runner's
// limits. Those whose size follows from their arguments (repeat, until,
// indent, a printf width...) check it before they allocate; the others,
// whose result is at most a few times their input, check their result, so
// that no chain of them grows without bound. Each also checks the render
// deadline: a template that loops calls them as it goes. Results are
// otherwise exactly sprig's (or text/template's).

// intSize and elemSize are the bytes a list element takes ([]int, []any).
const (
	intSize  = 8
	elemSize = 16
)

// limitFuncs returns the bounded functions of r, replacing those of base.
// They keep sprig's signatures and panic with the limit's error, which
// text/template returns as the call's error: an error result would cost an
// allocation on every call of functions as frequent as quote and nindent.
func limitFuncs(r *runner, base template.FuncMap) template.FuncMap {
	g := r.g
	f := template.FuncMap{}
	need := func(what string, n int64) {
		if err := g.allow(r, what, n); err != nil {
			panic(err)
		}
	}
	// over reports whether n bytes (or the deadline) stop the render: the
	// callers describe what they build only then.
	over := func(n int64) bool { return n > g.lim.MaxTemplateBytes || n < 0 || g.stop.Load() }
	str := func(name string, s string) string {
		need(name, int64(len(s)))
		return s
	}
	listSize := func(n int, size int64) int64 {
		if n > math.MaxInt64/int(size) {
			return math.MaxInt64
		}
		return int64(n) * size
	}
	list := func(what string, n int, size int64) { need(what, listSize(n, size)) }
	named := func(name string, args ...any) string { return fmt.Sprint(append([]any{name}, args...)...) }

	// Up front: the size follows from the arguments.
	until := base["until"].(func(int) []int)
	f["until"] = func(n int) []int {
		if size := listSize(abs(n), intSize); over(size) {
			need(named("until ", n), size)
		}
		return until(n)
	}
	untilStep := base["untilStep"].(func(int, int, int) []int)
	f["untilStep"] = func(start, stop, step int) []int {
		if size := listSize(stepCount(start, stop, step), intSize); over(size) {
			need(fmt.Sprintf("untilStep %d %d %d", start, stop, step), size)
		}
		return untilStep(start, stop, step)
	}
	seq := base["seq"].(func(...int) string)
	f["seq"] = func(params ...int) string {
		if size := listSize(seqCount(params), 21); over(size) {
			need(fmt.Sprintf("seq %v", params), size)
		}
		return seq(params...)
	}
	repeat := base["repeat"].(func(int, string) string)
	f["repeat"] = func(n int, s string) string {
		if size := mulSize(max(n, 0), len(s)); over(size) {
			need(named("repeat ", n), size)
		}
		return repeat(n, s)
	}
	for _, name := range []string{"indent", "nindent"} {
		fn := base[name].(func(int, string) string)
		f[name] = func(n int, s string) string {
			if n > 64 || len(s) > 4096 || g.stop.Load() {
				lines := strings.Count(s, "\n") + 1
				if size := addSize(mulSize(max(n, 0), lines), len(s)+1); over(size) {
					need(named(name+" ", n), size)
				}
			}
			return fn(n, s)
		}
	}
	for _, name := range []string{"randAlpha", "randAlphaNum", "randAscii", "randNumeric"} {
		fn := base[name].(func(int) string)
		f[name] = func(n int) string {
			if over(int64(max(n, 0))) {
				need(named(name+" ", n), int64(max(n, 0)))
			}
			return fn(n)
		}
	}
	randBytes := base["randBytes"].(func(int) (string, error))
	f["randBytes"] = func(n int) (string, error) {
		if size := mulSize(max(n, 0), 2); over(size) {
			need(named("randBytes ", n), size)
		}
		return randBytes(n)
	}
	replace := base["replace"].(func(string, string, string) string)
	f["replace"] = func(old, new, src string) string {
		if len(new) > len(old) {
			n := strings.Count(src, old)
			need("replace", addSize(mulSize(n, len(new)-len(old)), len(src)))
		}
		return replace(old, new, src)
	}
	f["regexReplaceAll"] = func(re, s, repl string) string {
		return r.regexReplace("regexReplaceAll", regexp.MustCompile(re), s, repl, false)
	}
	f["regexReplaceAllLiteral"] = func(re, s, repl string) string {
		return r.regexReplace("regexReplaceAllLiteral", regexp.MustCompile(re), s, repl, true)
	}
	f["mustRegexReplaceAll"] = func(re, s, repl string) (string, error) {
		x, err := regexp.Compile(re)
		if err != nil {
			return "", err
		}
		return r.regexReplace("mustRegexReplaceAll", x, s, repl, false), nil
	}
	f["mustRegexReplaceAllLiteral"] = func(re, s, repl string) (string, error) {
		x, err := regexp.Compile(re)
		if err != nil {
			return "", err
		}
		return r.regexReplace("mustRegexReplaceAllLiteral", x, s, repl, true), nil
	}
	toStrings := base["toStrings"].(func(any) []string)
	f["join"] = func(sep string, v any) string {
		parts := toStrings(v)
		n := int64(len(sep)) * int64(max(len(parts)-1, 0))
		for _, p := range parts {
			n += int64(len(p))
		}
		need("join", n)
		return strings.Join(parts, sep)
	}
	f["printf"] = func(format string, args ...any) string {
		r.checkWidths(format, args)
		// Without a precision, %T or %p every string argument is printed
		// whole: the result is at least that long, known before fmt
		// builds it.
		if !strings.ContainsAny(format, ".Tp") {
			if n := stringBytes(args) + int64(len(format)); over(n) {
				need("printf", n)
			}
		}
		return str("printf", fmt.Sprintf(format, args...))
	}

	// Afterwards: the result is at most a few times the input.
	// These print every string argument whole: checked before, too.
	for _, name := range []string{"cat", "quote", "squote"} {
		fn := base[name].(func(...any) string)
		f[name] = func(v ...any) string {
			if n := stringBytes(v); over(n) {
				need(name, n)
			}
			return str(name, fn(v...))
		}
	}
	f["print"] = func(v ...any) string {
		if n := stringBytes(v); over(n) {
			need("print", n)
		}
		return str("print", fmt.Sprint(v...))
	}
	f["println"] = func(v ...any) string {
		if n := stringBytes(v); over(n) {
			need("println", n)
		}
		return str("println", fmt.Sprintln(v...))
	}
	for _, name := range []string{"b64enc", "b32enc"} {
		fn := base[name].(func(string) string)
		f[name] = func(s string) string { return str(name, fn(s)) }
	}
	wrap := base["wrap"].(func(int, string) string)
	f["wrap"] = func(n int, s string) string { return str("wrap", wrap(n, s)) }
	wrapWith := base["wrapWith"].(func(int, string, string) string)
	f["wrapWith"] = func(n int, sep, s string) string {
		if len(sep) > 1 {
			need("wrapWith", addSize(mulSize(len(s), len(sep)), len(s)))
		}
		return str("wrapWith", wrapWith(n, sep, s))
	}
	for _, name := range []string{"toYaml", "toJson", "toPrettyJson", "toRawJson", "toToml", "toYamlPretty", "toString"} {
		fn := base[name].(func(any) string)
		f[name] = func(v any) string { return str(name, fn(v)) }
	}
	concat := base["concat"].(func(...any) any)
	f["concat"] = func(v ...any) any {
		out := concat(v...)
		if l, ok := out.([]any); ok {
			list("concat", len(l), elemSize)
		}
		return out
	}
	for _, name := range []string{"append", "push", "prepend"} {
		fn := base[name].(func(any, any) []any)
		f[name] = func(l, v any) []any {
			out := fn(l, v)
			list(name, len(out), elemSize)
			return out
		}
	}
	return f
}

// stringBytes is the length of the strings among args.
func stringBytes(args []any) int64 {
	n := int64(0)
	for _, a := range args {
		if s, ok := a.(string); ok {
			n += int64(len(s))
		}
	}
	return n
}

// regexReplace is regexp's ReplaceAllString (literal: ReplaceAllLiteralString)
// within the limits: it stops as soon as the result grows too large.
func (r *runner) regexReplace(name string, re *regexp.Regexp, s, repl string, literal bool) string {
	need := func(n int) {
		if err := r.g.allow(r, name, int64(n)); err != nil {
			panic(err)
		}
	}
	need(len(s))
	var out []byte
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		out = append(out, s[last:m[0]]...)
		if literal {
			out = append(out, repl...)
		} else {
			out = re.ExpandString(out, repl, s, m)
		}
		last = m[1]
		need(len(out))
	}
	out = append(out, s[last:]...)
	need(len(out))
	return string(out)
}

// checkWidths refuses (panics for) a printf format whose width or
// precision (a number, or * taken from an argument) is beyond the limit:
// fmt pads before any check could see the result.
func (r *runner) checkWidths(format string, args []any) {
	if strings.IndexByte(format, '%') < 0 {
		return
	}
	lim := r.g.lim.MaxTemplateBytes
	// number reads the digits at format[i:] (after an optional [n]).
	number := func(i int) (int64, int) {
		if i < len(format) && format[i] == '[' {
			if j := strings.IndexByte(format[i:], ']'); j >= 0 {
				i += j + 1
			}
		}
		n := int64(0)
		for ; i < len(format) && format[i] >= '0' && format[i] <= '9'; i++ {
			n = min(n*10+int64(format[i]-'0'), math.MaxInt64/16)
		}
		return n, i
	}
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		w, j := number(i)
		p := int64(0)
		if j < len(format) && format[j] == '.' {
			p, j = number(j + 1)
		}
		if w > lim || p > lim {
			panic(r.g.tooBig(r, fmt.Sprintf("printf %q", truncate(format)), max(w, p)))
		}
		i = j - 1
	}
	if strings.IndexByte(format, '*') >= 0 {
		for _, a := range args {
			if w, ok := a.(int); ok && int64(abs(w)) > lim {
				panic(r.g.tooBig(r, fmt.Sprintf("printf %q", truncate(format)), int64(abs(w))))
			}
		}
	}
}

func truncate(s string) string {
	if len(s) <= 40 {
		return s
	}
	cut := 40
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func abs(n int) int {
	if n < 0 {
		if n == math.MinInt {
			return math.MaxInt
		}
		return -n
	}
	return n
}

// mulSize and addSize are n*m and n+m, saturating at MaxInt64.
func mulSize(n, m int) int64 {
	if n == 0 || m == 0 {
		return 0
	}
	if int64(n) > math.MaxInt64/int64(m) {
		return math.MaxInt64
	}
	return int64(n) * int64(m)
}

func addSize(n int64, m int) int64 {
	if n > math.MaxInt64-int64(m) {
		return math.MaxInt64
	}
	return n + int64(m)
}

// stepCount is how many elements sprig's untilStep(start, stop, step) has.
func stepCount(start, stop, step int) int {
	var n int64
	switch {
	case stop < start && step < 0:
		n = (int64(start)-int64(stop)-1)/-int64(step) + 1
	case stop > start && step > 0:
		n = (int64(stop)-int64(start)-1)/int64(step) + 1
	}
	if n < 0 || n > math.MaxInt32*2 {
		return math.MaxInt32 * 2
	}
	return int(n)
}

// seqCount is how many numbers sprig's seq prints for params (it calls
// untilStep as below).
func seqCount(p []int) int {
	switch len(p) {
	case 1:
		inc := 1
		if p[0] < 1 {
			inc = -1
		}
		return stepCount(1, p[0]+inc, inc)
	case 2:
		inc := 1
		if p[1] < p[0] {
			inc = -1
		}
		return stepCount(p[0], p[1]+inc, inc)
	case 3:
		inc := 1
		if p[2] < p[0] {
			inc = -1
			if p[1] > 0 {
				return 0
			}
		}
		return stepCount(p[0], p[2]+inc, p[1])
	}
	return 0
}
