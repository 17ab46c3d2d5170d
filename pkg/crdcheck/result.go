package crdcheck

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrIncompatible is wrapped by the error of a check that refused a change
// (errors.Is); its text names every definition, version and object refused.
var ErrIncompatible = errors.New("incompatible CustomResourceDefinition change")

// Change says what applying the new definition does.
type Change string

const (
	Create    Change = "create"    // no live definition of that name
	Update    Change = "update"    // the live definition differs
	Unchanged Change = "unchanged" // the live definition has the same spec
)

// Rule names a reason for refusing a change.
type Rule string

const (
	RuleStoredVersionDropped Rule = "stored-version-dropped" // a version in status.storedVersions leaves spec.versions
	RuleVersionUnserved      Rule = "version-unserved"       // objects were written in a version no longer served, no conversion path
	RuleImmutable            Rule = "immutable-field"        // scope, group, names.plural or names.kind changes
	RuleNotStructural        Rule = "not-structural"         // a version's schema is not structural
	RuleInvalidObjects       Rule = "invalid-objects"        // existing objects fail the new schema
	RuleTooManyObjects       Rule = "too-many-objects"       // more objects than Options.MaxObjects: not checked
)

// Result is the outcome of checking one definition.
type Result struct {
	Name   string `json:"name"`
	Change Change `json:"change"`
	// Checked counts the objects validated (each once per version checked).
	Checked  int       `json:"checkedObjects"`
	Problems []Problem `json:"problems,omitempty"`
	// Warnings are findings that do not refuse the change (fields the new
	// schema drops, objects already invalid, versions not checked).
	Warnings []string `json:"warnings,omitempty"`
}

// Problem is one reason to refuse a change.
type Problem struct {
	Rule    Rule   `json:"rule"`
	Version string `json:"version,omitempty"`
	Message string `json:"message"`
	// Count is the number of objects concerned; Objects the first of them.
	Count   int      `json:"count,omitempty"`
	Objects []Object `json:"objects,omitempty"`
}

// Object is an existing custom resource a problem concerns.
type Object struct {
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Errors are "field.path: message" lines, as the API server reports them.
	Errors []string `json:"errors,omitempty"`
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Name
	}
	return o.Namespace + "/" + o.Name
}

// Refused reports whether the change must not be applied.
func (r *Result) Refused() bool { return len(r.Problems) > 0 }

// WriteText writes the result as the lines users read: the definition and
// its change, then each problem with its first objects, then each warning.
func (r *Result) WriteText(w io.Writer) {
	state := string(r.Change)
	if r.Refused() {
		state += ": refused"
	}
	checked := ""
	if r.Checked > 0 {
		checked = fmt.Sprintf(" (%s checked)", plural(r.Checked, "existing object"))
	}
	fmt.Fprintf(w, "CustomResourceDefinition %s: %s%s\n", r.Name, state, checked)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "  %s\n", p.Message)
		for _, o := range p.Objects {
			if len(o.Errors) == 0 {
				fmt.Fprintf(w, "    %s\n", o)
				continue
			}
			for _, e := range o.Errors {
				fmt.Fprintf(w, "    %s: %s\n", o, e)
			}
		}
		if more := p.Count - len(p.Objects); more > 0 && len(p.Objects) > 0 {
			fmt.Fprintf(w, "    ... and %d more\n", more)
		}
	}
	for _, m := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", m)
	}
}

// Error is the error of a check that refused one or more definitions.
type Error struct {
	Results []*Result // the refused ones
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:", ErrIncompatible)
	for _, r := range e.Results {
		b.WriteString("\n")
		r.WriteText(&b)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (e *Error) Unwrap() error { return ErrIncompatible }

// Refusal returns an *Error for the refused results, nil when none is.
func Refusal(results []*Result) error {
	var refused []*Result
	for _, r := range results {
		if r.Refused() {
			refused = append(refused, r)
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return &Error{Results: refused}
}
