package load

import (
	"errors"
	"fmt"
	"strings"
)

// The kinds of error Load reports, matched with errors.Is on its error (an
// errors.Join of *Error values, one per problem).
var (
	// ErrRead: a file or directory cannot be read or built (kustomize).
	ErrRead = errors.New("cannot read the fleet")
	// ErrInvalid: a document is no valid Release (YAML, schema, name,
	// a path that does not exist).
	ErrInvalid = errors.New("invalid Release")
	// ErrDuplicate: two Releases have the same name and namespace.
	ErrDuplicate = errors.New("duplicate Release")
	// ErrDependency: a dependsOn names a release that is neither in the
	// fleet (selected) nor installed.
	ErrDependency = errors.New("missing dependency")
	// ErrCycle: Releases depend on each other in a circle.
	ErrCycle = errors.New("dependency cycle")
)

// Error is one problem in a fleet, with where it is: the file, line and
// document, the Release and its field.
type Error struct {
	// Source is where the Release (or file) is.
	Source Source
	// Release is NAMESPACE/NAME, when known.
	Release string
	// Field is the field's path (spec.chart.ref), when it is about one.
	Field string
	// Kind is one of the Err values above.
	Kind error
	// Msg says what is wrong.
	Msg string
}

// Error reads "FILE:LINE: Release NS/NAME (document N): FIELD: MESSAGE".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source.String())
	if e.Release != "" || e.Source.Doc > 0 {
		b.WriteString(": ")
		if e.Release != "" {
			b.WriteString("Release " + e.Release)
			if e.Source.Doc > 0 {
				b.WriteString(" ")
			}
		}
		if e.Source.Doc > 0 {
			fmt.Fprintf(&b, "(document %d)", e.Source.Doc)
		}
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Unwrap returns Kind, so errors.Is(err, ErrCycle) and the like work.
func (e *Error) Unwrap() error { return e.Kind }
