package render

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/object"
)

// ManifestText joins the manifests (and, with includeCRDs, the crds/ files
// first) into the release manifest: "---\n# Source: PATH\nDOC\n" per document.
func (r *Result) ManifestText(includeCRDs bool) string {
	var b strings.Builder
	if includeCRDs {
		for _, crd := range r.Chart.CRDObjects() {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", crd.Filename, crd.File.Data)
		}
	}
	object.WriteManifest(&b, r.Manifests)
	return b.String()
}

// TemplateOptions choose what `lade template` prints.
type TemplateOptions struct {
	IncludeCRDs bool
	SkipTests   bool
	NoHooks     bool
	// ShowOnly keeps documents whose template path (without the chart name) matches a glob.
	ShowOnly []string
}

// TemplateText is `helm template`'s standard output for a rendered chart.
func (r *Result) TemplateText(o TemplateOptions) (string, error) {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(r.ManifestText(o.IncludeCRDs)))
	b.WriteString("\n")
	if !o.NoHooks {
		for _, h := range r.Hooks {
			if o.SkipTests && h.IsTest() {
				continue
			}
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
	}
	if len(o.ShowOnly) == 0 {
		return b.String(), nil
	}
	return showOnly(b.String(), o.ShowOnly)
}

var sourcePath = regexp.MustCompile("# Source: [^/]+/(.+)")

// showOnly filters a template output down to the documents rendered from
// templates matching the patterns, in pattern order, as --show-only does.
func showOnly(all string, patterns []string) (string, error) {
	docs := yamljson.SplitDocuments(all)
	var b strings.Builder
	for _, p := range patterns {
		p = filepath.ToSlash(p)
		found := false
		for _, d := range docs {
			m := sourcePath.FindStringSubmatch(d)
			if len(m) == 0 {
				continue
			}
			if ok, _ := filepath.Match(p, m[1]); !ok {
				continue
			}
			fmt.Fprintf(&b, "---\n%s\n", d)
			found = true
		}
		if !found {
			return "", fmt.Errorf("could not find template %s in chart", p)
		}
	}
	return b.String(), nil
}

// RawText prints every rendered template unsorted (what --debug shows when
// the output does not parse as YAML).
func (r *Result) RawText() string {
	names := make([]string, 0, len(r.Rendered))
	for n := range r.Rendered {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		if strings.TrimSpace(r.Rendered[n]) == "" {
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", n, r.Rendered[n])
	}
	return b.String()
}

// WriteDir writes the output as files under dir (--output-dir): one file per
// template path, documents of the same path appended. Like Helm, CRDs go to
// crdDir (the output dir without the release name). It returns the path
// of every write, in order (Helm prints "wrote PATH" for each).
func (r *Result) WriteDir(dir, crdDir string, o TemplateOptions) ([]string, error) {
	written := map[string]bool{}
	var order []string
	appendExisting := false
	write := func(dir, name, data string) error {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if written[p] || (appendExisting && fileExists(p)) {
			flag = os.O_APPEND | os.O_WRONLY
		}
		f, err := os.OpenFile(p, flag, 0o644)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(f, "---\n# Source: %s\n%s\n", name, data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		order = append(order, p)
		written[p] = true
		return nil
	}
	if o.IncludeCRDs {
		for _, crd := range r.Chart.CRDObjects() {
			if err := write(crdDir, crd.Filename, string(crd.File.Data)); err != nil {
				return order, err
			}
		}
	}
	for _, m := range r.Manifests {
		if err := write(dir, m.Path, m.Content); err != nil {
			return order, err
		}
	}
	if !o.NoHooks {
		// Like Helm, hooks are appended to a file that already exists.
		appendExisting = true
		for _, h := range r.Hooks {
			if o.SkipTests && h.IsTest() {
				continue
			}
			if err := write(dir, h.Path, h.Manifest); err != nil {
				return order, err
			}
		}
	}
	return order, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
