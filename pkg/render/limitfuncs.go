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
func limitFuncs(r *runner, base template.FuncMap) template.FuncMap {
	g := r.g
	f := template.FuncMap{}
	str := func(name string, s string) (string, error) {
		if err := g.allow(r, name, int64(len(s))); err != nil {
			return "", err
		}
		return s, nil
	}
	list := func(name string, n int, size int64) error {
		if n > math.MaxInt64/int(size) {
			return g.tooBig(r, name, math.MaxInt64)
		}
		return g.allow(r, name, int64(n)*size)
	}

	// Up front: the size follows from the arguments.
	until := base["until"].(func(int) []int)
	f["until"] = func(n int) ([]int, error) {
		if err := list(fmt.Sprintf("until %d", n), abs(n), intSize); err != nil {
			return nil, err
		}
		return until(n), nil
	}
	untilStep := base["untilStep"].(func(int, int, int) []int)
	f["untilStep"] = func(start, stop, step int) ([]int, error) {
		if err := list(fmt.Sprintf("untilStep %d %d %d", start, stop, step), stepCount(start, stop, step), intSize); err != nil {
			return nil, err
		}
		return untilStep(start, stop, step), nil
	}
	seq := base["seq"].(func(...int) string)
	f["seq"] = func(params ...int) (string, error) {
		if err := list(fmt.Sprintf("seq %v", params), seqCount(params), 21); err != nil {
			return "", err
		}
		return seq(params...), nil
	}
	repeat := base["repeat"].(func(int, string) string)
	f["repeat"] = func(n int, s string) (string, error) {
		if err := g.allow(r, fmt.Sprintf("repeat %d", n), mulSize(max(n, 0), len(s))); err != nil {
			return "", err
		}
		return repeat(n, s), nil
	}
	for _, name := range []string{"indent", "nindent"} {
		fn := base[name].(func(int, string) string)
		f[name] = func(n int, s string) (string, error) {
			lines := strings.Count(s, "\n") + 1
			if err := g.allow(r, fmt.Sprintf("%s %d", name, n), addSize(mulSize(max(n, 0), lines), len(s)+1)); err != nil {
				return "", err
			}
			return fn(n, s), nil
		}
	}
	for _, name := range []string{"randAlpha", "randAlphaNum", "randAscii", "randNumeric"} {
		fn := base[name].(func(int) string)
		f[name] = func(n int) (string, error) {
			if err := g.allow(r, fmt.Sprintf("%s %d", name, n), int64(max(n, 0))); err != nil {
				return "", err
			}
			return fn(n), nil
		}
	}
	randBytes := base["randBytes"].(func(int) (string, error))
	f["randBytes"] = func(n int) (string, error) {
		if err := g.allow(r, fmt.Sprintf("randBytes %d", n), mulSize(max(n, 0), 2)); err != nil {
			return "", err
		}
		return randBytes(n)
	}
	replace := base["replace"].(func(string, string, string) string)
	f["replace"] = func(old, new, src string) (string, error) {
		if len(new) > len(old) {
			n := strings.Count(src, old)
			if err := g.allow(r, "replace", addSize(mulSize(n, len(new)-len(old)), len(src))); err != nil {
				return "", err
			}
		}
		return replace(old, new, src), nil
	}
	f["regexReplaceAll"] = func(re, s, repl string) (string, error) {
		return r.regexReplace("regexReplaceAll", regexp.MustCompile(re), s, repl, false)
	}
	f["regexReplaceAllLiteral"] = func(re, s, repl string) (string, error) {
		return r.regexReplace("regexReplaceAllLiteral", regexp.MustCompile(re), s, repl, true)
	}
	f["mustRegexReplaceAll"] = func(re, s, repl string) (string, error) {
		x, err := regexp.Compile(re)
		if err != nil {
			return "", err
		}
		return r.regexReplace("mustRegexReplaceAll", x, s, repl, false)
	}
	f["mustRegexReplaceAllLiteral"] = func(re, s, repl string) (string, error) {
		x, err := regexp.Compile(re)
		if err != nil {
			return "", err
		}
		return r.regexReplace("mustRegexReplaceAllLiteral", x, s, repl, true)
	}
	toStrings := base["toStrings"].(func(any) []string)
	f["join"] = func(sep string, v any) (string, error) {
		parts := toStrings(v)
		n := int64(len(sep)) * int64(max(len(parts)-1, 0))
		for _, p := range parts {
			n += int64(len(p))
		}
		if err := g.allow(r, "join", n); err != nil {
			return "", err
		}
		return strings.Join(parts, sep), nil
	}
	f["printf"] = func(format string, args ...any) (string, error) {
		if err := r.checkWidths(format, args); err != nil {
			return "", err
		}
		return str("printf", fmt.Sprintf(format, args...))
	}

	// Afterwards: the result is at most a few times the input.
	for _, name := range []string{"cat", "quote", "squote"} {
		fn := base[name].(func(...any) string)
		f[name] = func(v ...any) (string, error) { return str(name, fn(v...)) }
	}
	f["print"] = func(v ...any) (string, error) { return str("print", fmt.Sprint(v...)) }
	f["println"] = func(v ...any) (string, error) { return str("println", fmt.Sprintln(v...)) }
	for _, name := range []string{"b64enc", "b32enc"} {
		fn := base[name].(func(string) string)
		f[name] = func(s string) (string, error) { return str(name, fn(s)) }
	}
	for _, name := range []string{"wrap"} {
		fn := base[name].(func(int, string) string)
		f[name] = func(n int, s string) (string, error) { return str(name, fn(n, s)) }
	}
	wrapWith := base["wrapWith"].(func(int, string, string) string)
	f["wrapWith"] = func(n int, sep, s string) (string, error) {
		if len(sep) > 1 {
			if err := g.allow(r, "wrapWith", addSize(mulSize(len(s), len(sep)), len(s))); err != nil {
				return "", err
			}
		}
		return str("wrapWith", wrapWith(n, sep, s))
	}
	for _, name := range []string{"toYaml", "toJson", "toPrettyJson", "toRawJson", "toToml", "toYamlPretty", "toString"} {
		fn := base[name].(func(any) string)
		f[name] = func(v any) (string, error) { return str(name, fn(v)) }
	}
	for _, name := range []string{"concat"} {
		fn := base[name].(func(...any) any)
		f[name] = func(v ...any) (any, error) {
			out := fn(v...)
			if l, ok := out.([]any); ok {
				if err := list(name, len(l), elemSize); err != nil {
					return nil, err
				}
			}
			return out, nil
		}
	}
	for _, name := range []string{"append", "push", "prepend"} {
		fn := base[name].(func(any, any) []any)
		f[name] = func(l, v any) ([]any, error) {
			out := fn(l, v)
			if err := list(name, len(out), elemSize); err != nil {
				return nil, err
			}
			return out, nil
		}
	}
	return f
}

// regexReplace is regexp's ReplaceAllString (literal: ReplaceAllLiteralString)
// within the limits: it stops as soon as the result grows too large.
func (r *runner) regexReplace(name string, re *regexp.Regexp, s, repl string, literal bool) (string, error) {
	if err := r.g.allow(r, name, int64(len(s))); err != nil {
		return "", err
	}
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
		if err := r.g.allow(r, name, int64(len(out))); err != nil {
			return "", err
		}
	}
	out = append(out, s[last:]...)
	if err := r.g.allow(r, name, int64(len(out))); err != nil {
		return "", err
	}
	return string(out), nil
}

// checkWidths refuses a printf format whose width or precision (a number,
// or * taken from an argument) is beyond the limit: fmt pads before any
// check could see the result.
func (r *runner) checkWidths(format string, args []any) error {
	if strings.IndexByte(format, '%') < 0 {
		return nil
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
			return r.g.tooBig(r, fmt.Sprintf("printf %q", truncate(format)), max(w, p))
		}
		i = j - 1
	}
	if strings.IndexByte(format, '*') >= 0 {
		for _, a := range args {
			if w, ok := a.(int); ok && int64(abs(w)) > lim {
				return r.g.tooBig(r, fmt.Sprintf("printf %q", truncate(format)), int64(abs(w)))
			}
		}
	}
	return nil
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
