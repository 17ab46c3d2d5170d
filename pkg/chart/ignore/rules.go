package ignore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// HelmIgnore is the name of the ignore file read from a chart's root.
const HelmIgnore = ".helmignore"

// DefaultRule is the rule Helm always adds after a chart's own rules:
// dotfiles directly under templates/ are never loaded.
const DefaultRule = "templates/.?*"

// Rules is an ordered set of .helmignore rules. The zero value ignores nothing.
type Rules struct {
	patterns []pattern
}

// scope says which part of a path a pattern is matched against.
type scope int

const (
	scopeBase     scope = iota // no slash in the rule: the base name only
	scopeFullPath              // a slash in the rule (or a leading one): the whole path
)

type pattern struct {
	raw     string // the rule as written (trimmed)
	glob    string // the glob left after stripping !, a leading / and a trailing /
	negate  bool
	mustDir bool
	scope   scope
}

// Empty returns a rule set that ignores nothing.
func Empty() *Rules { return &Rules{} }

// Parse reads rules, one per line. A UTF-8 BOM at the start is skipped.
// Errors name the offending line.
func Parse(r io.Reader) (*Rules, error) {
	rules := Empty()
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		text := sc.Bytes()
		if line == 0 {
			text = bytes.TrimPrefix(text, []byte("\xEF\xBB\xBF"))
		}
		line++
		if err := rules.add(string(text)); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return rules, nil
}

// ParseFile reads rules from the named file; errors carry the file name.
func ParseFile(name string) (*Rules, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return r, nil
}

// AddDefaults appends Helm's default rule (DefaultRule) after the existing ones.
func (r *Rules) AddDefaults() {
	// The default rule is known to be valid.
	_ = r.add(DefaultRule)
}

// Len returns the number of rules (blank lines and comments are not rules).
func (r *Rules) Len() int {
	if r == nil {
		return 0
	}
	return len(r.patterns)
}

// add parses one line and appends the resulting rule, if any.
func (r *Rules) add(line string) error {
	rule := strings.TrimSpace(line)
	if rule == "" || strings.HasPrefix(rule, "#") {
		return nil
	}
	if strings.Contains(rule, "**") {
		return errors.New("double-star (**) syntax is not supported")
	}
	// Like Helm, validate the whole rule (with any "!" or "/") as a glob; a
	// non-empty subject is needed so that the pattern is really scanned.
	if _, err := path.Match(rule, "abc"); err != nil {
		return fmt.Errorf("invalid rule %q: %w", rule, err)
	}

	p := pattern{raw: rule}
	glob := rule
	if rest, ok := strings.CutPrefix(glob, "!"); ok {
		p.negate = true
		glob = rest
	}
	if rest, ok := strings.CutSuffix(glob, "/"); ok {
		p.mustDir = true
		glob = rest
	}
	switch {
	case strings.HasPrefix(glob, "/"):
		p.scope = scopeFullPath
		glob = glob[1:]
	case strings.Contains(glob, "/"):
		p.scope = scopeFullPath
	default:
		p.scope = scopeBase
	}
	p.glob = glob
	r.patterns = append(r.patterns, p)
	return nil
}

// matches reports whether the glob of p matches name. Invalid globs never
// match (they cannot occur: rules are validated when parsed).
func (p *pattern) matches(name string) bool {
	subject := name
	if p.scope == scopeBase {
		subject = path.Base(name)
	}
	ok, err := path.Match(p.glob, subject)
	return err == nil && ok
}

// Ignore reports whether the chart-relative, slash-separated path should be
// skipped. isDir tells whether it names a directory (after following
// symlinks). The chart root ("", ".", "./") is never ignored.
func (r *Rules) Ignore(name string, isDir bool) bool {
	if r == nil || name == "" || name == "." || name == "./" {
		return false
	}
	for i := range r.patterns {
		p := &r.patterns[i]
		if p.negate {
			// Helm's negation: a path that fails a negated rule is ignored,
			// and so is every non-directory when the rule ends in "/".
			if p.mustDir && !isDir {
				return true
			}
			if !p.matches(name) {
				return true
			}
			continue
		}
		if p.mustDir && !isDir {
			continue
		}
		if p.matches(name) {
			return true
		}
	}
	return false
}
