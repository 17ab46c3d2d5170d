package render

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

var wrappedMsg = regexp.MustCompile(errStart + `((?s).*)` + errEnd)

// execError rewrites text/template execution errors into Helm's format: a
// `required`/`fail` message becomes "execution error at (file:line:col): msg";
// other errors become a trace of every template on the include chain.
func execError(name string, err error) error {
	var ee template.ExecError
	if !errors.As(err, &ee) {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %w", name, err)
	}
	if m := wrappedMsg.FindStringSubmatch(tokens[2]); len(m) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], m[1])
	}
	var frames []traceFrame
	for cur := err; cur != nil; cur = errors.Unwrap(cur) {
		f, ok := parseTraceFrame(cur.Error())
		if !ok {
			return err
		}
		if len(frames) == 0 || frames[len(frames)-1] != f {
			frames = append(frames, f)
		}
	}
	var b strings.Builder
	for _, f := range frames {
		b.WriteString(f.String())
	}
	return errors.New(strings.TrimSpace(b.String()))
}

// traceFrame is one level of a template error chain.
type traceFrame struct {
	location string // chart/templates/x.yaml:12:3
	call     string // executing "name" at <expr>:
	message  string
}

func (f traceFrame) String() string {
	var b strings.Builder
	if f.location != "" {
		b.WriteString(f.location + "\n  ")
	}
	if f.call != "" {
		b.WriteString(f.call + "\n    ")
	}
	if f.message != "" {
		b.WriteString(f.message + "\n")
	}
	return b.String()
}

// parseTraceFrame reads one "template: ..." error string.
func parseTraceFrame(s string) (traceFrame, bool) {
	rest, ok := strings.CutPrefix(s, "template: ")
	if !ok {
		return traceFrame{}, false
	}
	if strings.HasPrefix(rest, "no template ") {
		return traceFrame{message: s}, true
	}
	if f, ok := parseExecutingFrame(rest); ok {
		return f, true
	}
	if sep := strings.LastIndex(rest, ": "); sep != -1 {
		return traceFrame{location: rest[:sep], message: cutNested(rest[sep+2:])}, true
	}
	return traceFrame{}, false
}

// parseExecutingFrame reads `LOC: executing "NAME" at <EXPR>: MSG`.
func parseExecutingFrame(rest string) (traceFrame, bool) {
	loc, after, found := strings.Cut(rest, ": executing ")
	if !found || after == "" || after[0] != '"' {
		return traceFrame{}, false
	}
	end := strings.IndexByte(after[1:], '"')
	if end == -1 {
		return traceFrame{}, false
	}
	fn := after[1 : end+1]
	at, ok := strings.CutPrefix(after[end+2:], " at <")
	if !ok {
		return traceFrame{}, false
	}
	expr, msg, found := strings.Cut(at, ">: ")
	if !found {
		return traceFrame{}, false
	}
	return traceFrame{
		location: loc,
		call:     `executing "` + fn + `" at <` + expr + `>:`,
		message:  cutNested(msg),
	}, true
}

// cutNested drops a nested " template: ..." error, reported by its own frame.
func cutNested(msg string) string {
	if i := strings.Index(msg, " template:"); i != -1 {
		return msg[:i]
	}
	return msg
}
