package chart

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"
)

// aliasFormat is the set of names Helm allows as a dependency alias.
var aliasFormat = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// validationError is a metadata problem; its text starts with "validation: " like Helm's.
type validationError struct {
	msg string
	// deps is set when the problem is in the dependency list (which a v1
	// chart reads from requirements.yaml rather than Chart.yaml).
	deps bool
}

func (e *validationError) Error() string { return "validation: " + e.msg }

func invalidf(format string, args ...any) *validationError {
	return &validationError{msg: fmt.Sprintf(format, args...)}
}

func depInvalidf(format string, args ...any) *validationError {
	return &validationError{msg: fmt.Sprintf(format, args...), deps: true}
}

// Validate checks the chart's metadata; see Metadata.Validate.
func (c *Chart) Validate() error {
	if c == nil {
		return invalidf("chart is nil")
	}
	return c.Metadata.Validate()
}

// Validate checks Chart.yaml the way Helm does (required apiVersion, name and
// SemVer version, chart type, dependency aliases and duplicates), and also
// rejects non-printable characters, empty list entries and names that are
// "." or ".." or contain a path separator. Like Helm it normalizes whitespace
// (tabs, newlines...) in free-text fields to plain spaces.
func (md *Metadata) Validate() error {
	if err := md.validate(); err != nil {
		return err
	}
	return nil
}

// validate is Validate with a concrete error type, so the loader can tell
// which file (Chart.yaml or requirements.yaml) is to blame.
func (md *Metadata) validate() *validationError {
	if md == nil {
		return invalidf("chart.metadata is required")
	}

	// The fields Helm sanitizes, in Helm's order.
	texts := []struct {
		field string
		s     *string
	}{
		{"name", &md.Name},
		{"description", &md.Description},
		{"home", &md.Home},
		{"icon", &md.Icon},
		{"condition", &md.Condition},
		{"tags", &md.Tags},
		{"appVersion", &md.AppVersion},
		{"kubeVersion", &md.KubeVersion},
	}
	for _, t := range texts {
		if err := checkPrintable("chart.metadata."+t.field, *t.s); err != nil {
			return err
		}
	}
	for i, s := range md.Sources {
		if err := checkPrintable(fmt.Sprintf("chart.metadata.sources[%d]", i), s); err != nil {
			return err
		}
	}
	for i, s := range md.Keywords {
		if err := checkPrintable(fmt.Sprintf("chart.metadata.keywords[%d]", i), s); err != nil {
			return err
		}
	}
	for _, t := range texts {
		*t.s = sanitize(*t.s)
	}
	for i := range md.Sources {
		md.Sources[i] = sanitize(md.Sources[i])
	}
	for i := range md.Keywords {
		md.Keywords[i] = sanitize(md.Keywords[i])
	}

	if md.APIVersion == "" {
		return invalidf("chart.metadata.apiVersion is required")
	}
	if md.Name == "" {
		return invalidf("chart.metadata.name is required")
	}
	if md.Name == "." || md.Name == ".." {
		return invalidf("chart.metadata.name %q is not allowed", md.Name)
	}
	if strings.ContainsAny(md.Name, `/\`) {
		return invalidf("chart.metadata.name %q is invalid", md.Name)
	}
	if md.Version == "" {
		return invalidf("chart.metadata.version is required")
	}
	// Helm uses the lenient parser: "1", "1.2" and "v1.2.3" are accepted.
	if _, err := semver.NewVersion(md.Version); err != nil {
		return invalidf("chart.metadata.version %q is invalid", md.Version)
	}
	switch md.Type {
	case "", "application", "library":
	default:
		return invalidf("chart.metadata.type must be application or library")
	}

	for i, m := range md.Maintainers {
		if m == nil {
			return invalidf("maintainers[%d] is empty", i)
		}
		for _, f := range []struct {
			field string
			s     *string
		}{{"name", &m.Name}, {"email", &m.Email}, {"url", &m.URL}} {
			if err := checkPrintable(fmt.Sprintf("maintainers[%d].%s", i, f.field), *f.s); err != nil {
				return err
			}
			*f.s = sanitize(*f.s)
		}
	}

	seen := make(map[string]bool, len(md.Dependencies))
	for i, d := range md.Dependencies {
		if err := d.validate(fmt.Sprintf("dependencies[%d]", i)); err != nil {
			err.deps = true
			return err
		}
		key := d.Name
		if d.Alias != "" {
			key = d.Alias
		}
		if seen[key] {
			return depInvalidf("more than one dependency with name or alias %q", key)
		}
		seen[key] = true
	}
	return nil
}

// Validate checks one dependency entry: printable text, a name that is a
// single path element, an alias matching [a-zA-Z0-9_-]+ and no empty
// import-values items. Whitespace in text fields is normalized like Helm.
func (d *Dependency) Validate() error {
	if err := d.validate("dependency"); err != nil {
		return err
	}
	return nil
}

func (d *Dependency) validate(field string) *validationError {
	if d == nil {
		return depInvalidf("%s is empty", field)
	}
	texts := []struct {
		field string
		s     *string
	}{{"name", &d.Name}, {"version", &d.Version}, {"repository", &d.Repository}, {"condition", &d.Condition}}
	for _, t := range texts {
		if err := checkPrintable(field+"."+t.field, *t.s); err != nil {
			return err
		}
	}
	for i, s := range d.Tags {
		if err := checkPrintable(fmt.Sprintf("%s.tags[%d]", field, i), s); err != nil {
			return err
		}
	}
	for _, t := range texts {
		*t.s = sanitize(*t.s)
	}
	for i := range d.Tags {
		d.Tags[i] = sanitize(d.Tags[i])
	}
	if d.Name == "." || d.Name == ".." || strings.ContainsAny(d.Name, `/\`) {
		return depInvalidf("%s.name %q is not allowed (it must not be \".\" or \"..\" or contain a path separator)", field, d.Name)
	}
	if d.Alias != "" && !aliasFormat.MatchString(d.Alias) {
		return depInvalidf("dependency %q has disallowed characters in the alias", d.Name)
	}
	for i, iv := range d.ImportValues {
		if iv == nil {
			return depInvalidf("%s.import-values[%d] is empty", field, i)
		}
	}
	return nil
}

// checkPrintable rejects characters that are neither printable nor
// whitespace (control and format characters, private use, unassigned...).
func checkPrintable(field, s string) *validationError {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.IsPrint(r) {
			return invalidf("%s contains the non-printable character %U", field, r)
		}
	}
	return nil
}

// sanitize turns every whitespace character into a space and drops
// non-printable ones, exactly like Helm's sanitizeString.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
}
