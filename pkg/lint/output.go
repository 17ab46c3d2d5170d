package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText prints results as `helm lint` does: "==> Linting <path>", one
// line per message, a blank line. With quiet, charts without warnings or
// errors and INFO messages are left out. The summary line is the caller's.
func WriteText(w io.Writer, results []*Result, quiet bool) {
	var b strings.Builder
	for _, r := range results {
		if quiet && !r.HasWarningsOrErrors() {
			continue
		}
		fmt.Fprintf(&b, "==> Linting %s\n", r.Path)
		if r.Err != nil && len(r.Messages) == 0 {
			fmt.Fprintf(&b, "Error %s\n", r.Err)
		}
		for _, m := range r.Messages {
			if !quiet || m.Severity > Info {
				fmt.Fprintf(&b, "%s\n", m)
			}
		}
		b.WriteString("\n")
	}
	io.WriteString(w, b.String())
}

type jsonChart struct {
	Path     string    `json:"path"`
	Error    string    `json:"error,omitempty"`
	Failed   bool      `json:"failed"`
	Messages []Message `json:"messages"`
}

type jsonReport struct {
	Charts []jsonChart `json:"charts"`
	Linted int         `json:"linted"`
	Failed int         `json:"failed"`
}

// WriteJSON prints one JSON document: every chart with its messages
// (severity, path, message, rule, object, field) and the counts.
func WriteJSON(w io.Writer, results []*Result, strict bool) error {
	rep := jsonReport{Charts: []jsonChart{}, Linted: len(results)}
	for _, r := range results {
		c := jsonChart{Path: r.Path, Failed: r.Failed(strict), Messages: r.Messages}
		if c.Messages == nil {
			c.Messages = []Message{}
		}
		if r.Err != nil {
			c.Error = r.Err.Error()
		}
		if c.Failed {
			rep.Failed++
		}
		rep.Charts = append(rep.Charts, c)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
