package support

import (
	"fmt"
	"strings"
)

// Severity of a lint message, numbered as Helm numbers them.
type Severity int

// Severities, lowest first.
const (
	Unknown Severity = iota
	Info
	Warning
	Error
)

var sevNames = [...]string{"UNKNOWN", "INFO", "WARNING", "ERROR"}

// String is the upper-case name Helm prints: INFO, WARNING or ERROR.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(sevNames) {
		return "UNKNOWN"
	}
	return sevNames[s]
}

// ParseSeverity reads a severity name (any case).
func ParseSeverity(s string) (Severity, bool) {
	for i, n := range sevNames {
		if strings.EqualFold(n, s) {
			return Severity(i), true
		}
	}
	return Unknown, false
}

// MarshalText writes the severity as its lower-case name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(strings.ToLower(s.String())), nil }

// Message is one finding.
type Message struct {
	Severity Severity `json:"severity"`
	// Path is what Helm prints after the severity: "Chart.yaml", "values.yaml",
	// "templates/", a template path relative to the chart, or the chart directory.
	Path string `json:"path"`
	// Line is the line of the template file Path where the finding is
	// (1-based; 0 when not known). Helm's messages have none.
	Line int `json:"line,omitempty"`
	// Text is the message itself (it may span lines, as Helm's do).
	Text string `json:"message"`
	// Rule is the rule id: "helm/<rule>" for Helm's rules, a bare id for lade's.
	Rule string `json:"rule"`
	// Object is "Kind/name" of the rendered object a finding is about.
	Object string `json:"object,omitempty"`
	// Field is the field path inside Object (e.g. spec.template.spec.containers[0].image).
	Field string `json:"field,omitempty"`
}

// String is Helm's text form: "[SEVERITY] path: text". lade's own findings
// add the line after the path, the object before the text and the rule id
// after it: "[WARNING] templates/x.yaml:31: Deployment/web: container "app"
// has no memory limit [memory-limit]".
func (m Message) String() string {
	text := m.Text
	if m.Object != "" {
		text = m.Object + ": " + text
	}
	if m.Rule != "" && !strings.HasPrefix(m.Rule, "helm/") {
		text += " [" + m.Rule + "]"
	}
	p := m.Path
	if m.Line > 0 {
		p = fmt.Sprintf("%s:%d", p, m.Line)
	}
	return fmt.Sprintf("[%s] %s: %s", m.Severity, p, text)
}

// Linter collects the messages of one chart.
type Linter struct {
	Messages []Message
	// Highest is the highest severity reported so far.
	Highest Severity
	// ChartDir is the absolute chart directory (Helm prints it for dependency findings).
	ChartDir string
}

// Run records err (when non-nil) as a message of the given severity and rule
// and reports whether err was nil, as Helm's RunLinterRule does.
func (l *Linter) Run(sev Severity, rule, path string, err error) bool {
	if err == nil {
		return true
	}
	l.Add(Message{Severity: sev, Path: path, Text: err.Error(), Rule: rule})
	return false
}

// Add records a message.
func (l *Linter) Add(m Message) {
	l.Messages = append(l.Messages, m)
	if m.Severity > l.Highest {
		l.Highest = m.Severity
	}
}
