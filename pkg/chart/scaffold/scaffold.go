package scaffold

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
)

// The default chart, file by file, as Helm v4.3.1 writes it for a chart
// named <CHARTNAME>.
//
//go:embed all:default
var defaultChart embed.FS

// placeholder is replaced by the chart's name in the default chart and in a
// starter's templates and values.yaml.
const placeholder = "<CHARTNAME>"

// maxNameLength is Helm's limit on a new chart's name.
const maxNameLength = 250

// namePattern is what Helm accepts as a new chart's name.
var namePattern = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// defaultOrder is the order Helm writes the default chart in (its warnings
// about overwritten files come in this order).
var defaultOrder = []string{
	"Chart.yaml",
	"values.yaml",
	".helmignore",
	"templates/ingress.yaml",
	"templates/httproute.yaml",
	"templates/deployment.yaml",
	"templates/service.yaml",
	"templates/serviceaccount.yaml",
	"templates/hpa.yaml",
	"templates/NOTES.txt",
	"templates/_helpers.tpl",
	"templates/tests/test-connection.yaml",
}

// ErrStarterOutside is returned for a starter name that leads out of the
// starters directory.
var ErrStarterOutside = errors.New("starter is outside the starters directory")

// ValidateName checks a new chart's name with Helm's rules and messages.
func ValidateName(name string) error {
	if name == "" || len(name) > maxNameLength {
		return fmt.Errorf("chart name must be between 1 and %d characters", maxNameLength)
	}
	if !namePattern.MatchString(name) {
		return fmt.Errorf("chart name must match the regular expression %q", namePattern.String())
	}
	if name == "." || name == ".." {
		// Helm takes these and writes the chart into the current or the
		// parent directory, named "." or "..".
		return fmt.Errorf("%q is not a valid chart name", name)
	}
	return nil
}

// Create writes the default chart named name into dir/name and returns that
// directory's absolute path. dir must exist; files of the chart that are
// there already are overwritten, each announced on warn as Helm does, and
// other files are left alone. Every path is checked before anything is
// written.
func Create(name, dir string, warn io.Writer) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return abs, err
	}
	if fi, err := os.Stat(abs); err != nil {
		return abs, err
	} else if !fi.IsDir() {
		return abs, fmt.Errorf("no such directory %s", abs)
	}
	cdir := filepath.Join(abs, name)
	if fi, err := os.Stat(cdir); err == nil && !fi.IsDir() {
		return cdir, fmt.Errorf("file %s already exists and is not a directory", cdir)
	}
	files := make([]file, 0, len(defaultOrder))
	for _, n := range defaultOrder {
		data, err := defaultChart.ReadFile(path.Join("default", n))
		if err != nil {
			return cdir, fmt.Errorf("scaffold file %s: %w", n, err)
		}
		files = append(files, file{name: n, data: substitute(data, name)})
	}
	if err := checkTargets(cdir, files, true); err != nil {
		return cdir, err
	}
	for _, f := range files {
		p := filepath.Join(cdir, filepath.FromSlash(f.name))
		if _, err := os.Stat(p); err == nil {
			fmt.Fprintf(warn, "WARNING: File %q already exists. Overwriting.\n", p)
		}
		if err := writeFile(p, f.data); err != nil {
			return cdir, err
		}
	}
	// charts/ holds no file but is part of the scaffold.
	if err := os.MkdirAll(filepath.Join(cdir, "charts"), 0o755); err != nil {
		return cdir, err
	}
	return cdir, nil
}

// StarterPath returns where the starter given to --starter is: an absolute
// path as it is, otherwise a name under starters (Helm's
// $HELM_DATA_HOME/starters). A name leading out of starters is refused.
func StarterPath(starter, starters string) (string, error) {
	if filepath.IsAbs(starter) {
		return starter, nil
	}
	p := filepath.Join(starters, starter)
	rel, err := filepath.Rel(starters, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("starter %q: %w %s", starter, ErrStarterOutside, starters)
	}
	return p, nil
}

// CreateFrom writes a chart named name into dir/name from the starter chart
// (a directory or an archive) at src, as Helm does: Chart.yaml is replaced by
// a new chart's metadata; templates and values.yaml get the name in place of
// <CHARTNAME>; other files, the schema and subcharts (as archives under
// charts/) are copied. It returns the new chart's directory.
func CreateFrom(name, dir, src string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	if _, err := os.Stat(src); err != nil {
		return "", fmt.Errorf("could not load %s: %w", src, err)
	}
	starter, err := chart.Load(src)
	if err != nil {
		return "", fmt.Errorf("could not load %s: %w", src, err)
	}
	cdir := filepath.Join(dir, name)
	if fi, err := os.Stat(cdir); err == nil && !fi.IsDir() {
		return cdir, fmt.Errorf("file %s already exists and is not a directory", cdir)
	}
	md := &chart.Metadata{
		Name:        name,
		Description: "A Helm chart for Kubernetes",
		Type:        "application",
		Version:     "0.1.0",
		AppVersion:  "0.1.0",
		APIVersion:  chart.APIVersionV2,
	}
	chartfile, err := yaml.Marshal(md)
	if err != nil {
		return cdir, fmt.Errorf("write Chart.yaml: %w", err)
	}
	files := []file{{name: "Chart.yaml", data: chartfile}}
	for _, f := range starter.Raw {
		if f.Name != "values.yaml" {
			continue
		}
		data := substitute(f.Data, name)
		var check map[string]any
		if err := yaml.Unmarshal(data, &check); err != nil {
			return cdir, fmt.Errorf("transforming values file: %w", err)
		}
		files = append(files, file{name: "values.yaml", data: data})
	}
	if starter.Schema != nil {
		files = append(files, file{name: "values.schema.json", data: starter.Schema})
	}
	for _, t := range starter.Templates {
		files = append(files, file{name: t.Name, data: substitute(t.Data, name)})
	}
	for _, f := range starter.Files {
		files = append(files, file{name: f.Name, data: f.Data})
	}
	for _, dep := range starter.Dependencies() {
		var b bytes.Buffer
		if err := chart.WriteArchive(&b, dep, chart.PackageOptions{}); err != nil {
			return cdir, fmt.Errorf("saving %s: %w", dep.ChartFullPath(), err)
		}
		files = append(files, file{name: path.Join("charts", dep.Name()+"-"+dep.Metadata.Version+".tgz"), data: b.Bytes()})
	}
	if err := checkTargets(cdir, files, false); err != nil {
		return cdir, err
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(cdir, filepath.FromSlash(f.name)), f.data); err != nil {
			return cdir, err
		}
	}
	return cdir, nil
}

type file struct {
	name string // slash-separated, relative to the chart
	data []byte
}

func substitute(data []byte, name string) []byte {
	return bytes.ReplaceAll(data, []byte(placeholder), []byte(name))
}

// checkTargets makes sure every file can be written under cdir: each is a
// regular file or absent, each directory on the way a directory or absent,
// and (for a starter's names) none leaves cdir.
func checkTargets(cdir string, files []file, trusted bool) error {
	for _, f := range files {
		if !trusted && (!fs.ValidPath(f.name) || strings.Contains(f.name, `\`)) {
			return fmt.Errorf("starter file %q: not a plain relative path", f.name)
		}
		p := cdir
		parts := strings.Split(f.name, "/")
		for i, part := range parts {
			p = filepath.Join(p, part)
			fi, err := os.Lstat(p)
			if errors.Is(err, fs.ErrNotExist) {
				break
			}
			if err != nil {
				return err
			}
			last := i == len(parts)-1
			switch {
			case last && !fi.Mode().IsRegular():
				return fmt.Errorf("%s already exists and is not a regular file", p)
			case !last && !fi.IsDir():
				return fmt.Errorf("%s already exists and is not a directory", p)
			}
		}
	}
	return nil
}

func writeFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644)
}
