package verify

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gobwas/glob"
	"go.yaml.in/yaml/v3"
)

// Modes of a rule.
const (
	// Enforce refuses a chart without a valid signature by the rule's keys.
	Enforce Mode = "enforce"
	// Warn reports such a chart and uses it.
	Warn Mode = "warn"
	// Off checks nothing.
	Off Mode = "off"
)

// Mode is what a rule does with a chart that fails verification.
type Mode string

// APIVersion and Kind head a policy file.
const (
	APIVersion = "lade.dev/v1alpha1"
	Kind       = "VerificationPolicy"
)

// Policy is a verification policy file.
type Policy struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// Rules are tried in order; the first whose source matches applies.
	// A chart no rule matches is not checked.
	Rules []Rule `yaml:"rules"`
	// Path is the file the policy was read from.
	Path string `yaml:"-"`
}

// Rule says what charts from matching sources must carry.
type Rule struct {
	// Source is a glob over the chart's source: oci://HOST/PATH/NAME (no
	// tag), the archive URL of a chart repository chart, or file://ABS-PATH
	// for a local archive or directory. * and ** match any characters
	// (slashes included), ? one, [abc] and {a,b} as usual.
	Source string `yaml:"source"`
	Mode   Mode   `yaml:"mode"`
	// Cosign lists the PEM public keys (cosign.pub) one of which must have
	// signed an OCI chart's manifest digest.
	Cosign *CosignRule `yaml:"cosign,omitempty"`
	// Provenance names the OpenPGP keyring that must verify the chart's Helm
	// provenance file (.prov beside the archive, or the OCI provenance layer).
	Provenance *ProvenanceRule `yaml:"provenance,omitempty"`

	index int
	glob  glob.Glob
}

// CosignRule is a rule's cosign requirement.
type CosignRule struct {
	Keys []string `yaml:"keys"`
}

// ProvenanceRule is a rule's Helm provenance requirement.
type ProvenanceRule struct {
	Keyring string `yaml:"keyring"`
}

// Name identifies the rule in messages: its file, index and source.
func (r *Rule) Name(p *Policy) string {
	where := "rule"
	if p != nil && p.Path != "" {
		where = p.Path + ": rule"
	}
	return fmt.Sprintf("%s %d (source %q, mode %s)", where, r.index+1, r.Source, r.Mode)
}

// ErrPolicy marks invalid policy files.
var ErrPolicy = errors.New("invalid verification policy")

// Load reads and checks a policy file. Relative key and keyring paths are
// taken relative to the file's directory.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("verification policy: %w", err)
	}
	p, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.Path = path
	return p, nil
}

// Parse reads a policy; dir resolves relative paths in it.
func Parse(data []byte, dir string) (*Policy, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Policy
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	if p.APIVersion != APIVersion || p.Kind != Kind {
		return nil, fmt.Errorf("%w: want apiVersion %s and kind %s, got %q and %q", ErrPolicy, APIVersion, Kind, p.APIVersion, p.Kind)
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		r.index = i
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%w: rules[%d]: %s", ErrPolicy, i, fmt.Sprintf(format, args...))
		}
		if r.Source == "" {
			return nil, bad("source is empty")
		}
		g, err := glob.Compile(r.Source)
		if err != nil {
			return nil, bad("source %q: %v", r.Source, err)
		}
		r.glob = g
		switch r.Mode {
		case Enforce, Warn, Off:
		case "":
			return nil, bad("mode is missing (enforce, warn or off)")
		default:
			return nil, bad("mode %q is not enforce, warn or off", r.Mode)
		}
		if r.Mode != Off && r.Cosign == nil && r.Provenance == nil {
			return nil, bad("mode %s needs cosign keys or a provenance keyring", r.Mode)
		}
		if r.Cosign != nil {
			if len(r.Cosign.Keys) == 0 {
				return nil, bad("cosign.keys is empty")
			}
			for k, key := range r.Cosign.Keys {
				if key == "" {
					return nil, bad("cosign.keys[%d] is empty", k)
				}
				r.Cosign.Keys[k] = abs(dir, key)
			}
		}
		if r.Provenance != nil {
			if r.Provenance.Keyring == "" {
				return nil, bad("provenance.keyring is empty")
			}
			r.Provenance.Keyring = abs(dir, r.Provenance.Keyring)
		}
	}
	return &p, nil
}

func abs(dir, p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// Match is the first rule whose source matches, or nil.
func (p *Policy) Match(source string) *Rule {
	if p == nil {
		return nil
	}
	for i := range p.Rules {
		if p.Rules[i].glob.Match(source) {
			return &p.Rules[i]
		}
	}
	return nil
}
