package chart

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/parallel"
)

// Limits applied to every load. A chart is hostile input: sizes count the
// bytes really read (never the sizes claimed by tar headers or stat), and
// subchart archives share the budget of the chart that contains them.
const (
	// MaxChartSize bounds the total size of all files of a load, decompressed.
	MaxChartSize int64 = 100 << 20
	// MaxFileSize bounds the size of any single file of a chart.
	MaxFileSize int64 = 5 << 20
)

const (
	// maxArchiveStream bounds the decompressed tar streams of a load
	// (file data plus headers, padding and skipped entries).
	maxArchiveStream = 2 * MaxChartSize
	// maxDepth bounds subchart nesting (charts/a/charts/b/... ).
	maxDepth = 32
	// maxDirEntries bounds the files and directories a directory load visits
	// (symlinked directories can multiply them).
	maxDirEntries = 100000
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// BufferedFile is one chart file held in memory, named by its clean,
// slash-separated path relative to the chart root (e.g. "templates/a.yaml").
type BufferedFile struct {
	Name    string
	ModTime time.Time
	Data    []byte
}

// WarningHandler receives the loader's non-fatal warnings (the ones Helm logs,
// e.g. requirements.yaml in an apiVersion v2 chart). The default writes them
// to stderr; set it to nil to drop them. Not safe to change during a load.
var WarningHandler = func(msg string) { fmt.Fprintln(os.Stderr, msg) }

func warn(msg string) {
	if h := WarningHandler; h != nil {
		h(msg)
	}
}

// warn passes a warning of this load on, or keeps it if the load is held.
func (l *loader) warn(msg string) {
	if h := l.held; h != nil {
		h.add(msg)
		return
	}
	warn(msg)
}

// loader carries the state shared by a whole load, subcharts included.
type loader struct {
	dataLeft   int64       // file bytes still allowed (MaxChartSize in total)
	streamLeft int64       // decompressed archive bytes still allowed
	depth      int         // subchart nesting level of the chart being assembled
	cache      *ParseCache // parses through it when set
	// held, when set, keeps warnings for later instead of passing them
	// to WarningHandler (see Preloads).
	held *heldWarnings
}

func newLoader() *loader {
	return &loader{dataLeft: MaxChartSize, streamLeft: maxArchiveStream}
}

// Load loads a chart from a directory or from a gzipped tar archive file.
// Errors read "load chart PATH: ..." and name the offending file in the chart.
func Load(p string) (*Chart, error) {
	return loadPath(p, nil)
}

func loadPath(p string, held *heldWarnings) (*Chart, error) {
	c, err := load(p, nil, held)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", p, err)
	}
	return c, nil
}

func load(p string, pc *ParseCache, held *heldWarnings) (*Chart, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	l := newLoader()
	l.cache = pc
	l.held = held
	if fi.IsDir() {
		return l.loadDir(p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if err := checkGzip(br, p); err != nil {
		return nil, fmt.Errorf("file %s %w", p, err)
	}
	return l.loadArchive(br)
}

// LoadDir loads a chart directory, applying its .helmignore (plus Helm's
// default rule) and following symlinks that stay inside the chart.
func LoadDir(dir string) (*Chart, error) {
	c, err := newLoader().loadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	return c, nil
}

// LoadArchive loads a chart from a gzipped tar stream (a .tgz file, or bytes
// pulled from a registry). .helmignore is not applied, as in Helm.
func LoadArchive(r io.Reader) (*Chart, error) {
	br := bufio.NewReader(r)
	if err := checkGzip(br, ""); err != nil {
		return nil, fmt.Errorf("load chart archive: stream %w", err)
	}
	c, err := newLoader().loadArchive(br)
	if err != nil {
		return nil, fmt.Errorf("load chart archive: %w", err)
	}
	return c, nil
}

// LoadFiles assembles a chart (and its subcharts under charts/) from
// in-memory files, as the directory and archive loaders do.
func LoadFiles(files []*BufferedFile) (*Chart, error) {
	return newLoader().loadFiles(files)
}

func (l *loader) loadDir(dir string) (*Chart, error) {
	files, err := l.readDir(dir)
	if err != nil {
		return nil, err
	}
	return l.loadFiles(files)
}

func (l *loader) loadArchive(r io.Reader) (*Chart, error) {
	files, err := l.readArchive(r)
	if err != nil {
		return nil, err
	}
	return l.loadFiles(files)
}

// loadFiles follows Helm's LoadFiles: Chart.yaml is read first wherever it
// is; every other file is then sorted into the chart in input order.
func (l *loader) loadFiles(files []*BufferedFile) (*Chart, error) {
	if l.depth > maxDepth {
		return nil, fmt.Errorf("subcharts are nested more than %d levels deep", maxDepth)
	}
	c := &Chart{}
	for i, f := range files {
		if f == nil {
			return nil, fmt.Errorf("file #%d is nil", i)
		}
		if err := checkFileName(f.Name); err != nil {
			return nil, err
		}
		c.Raw = append(c.Raw, newFile(f))
		if f.Name == "Chart.yaml" {
			if c.Metadata != nil {
				if err := yaml.Unmarshal(bytes.TrimPrefix(f.Data, utf8BOM), c.Metadata); err != nil {
					return nil, fmt.Errorf("cannot load Chart.yaml: %w", err)
				}
			} else {
				m, err := l.cache.loadMetadata(bytes.TrimPrefix(f.Data, utf8BOM))
				if err != nil {
					return nil, fmt.Errorf("cannot load Chart.yaml: %w", err)
				}
				c.Metadata = m
			}
			// Helm 2 charts may omit apiVersion: they are v1 charts.
			if c.Metadata.APIVersion == "" {
				c.Metadata.APIVersion = APIVersionV1
			}
		}
	}
	if l.depth == 0 && c.Metadata != nil {
		switch c.Metadata.APIVersion {
		case APIVersionV1, APIVersionV2:
		default:
			//lint:ignore ST1005 the message starts with the file's name
			return nil, fmt.Errorf("Chart.yaml: unsupported chart apiVersion %q (lade supports %s and %s)",
				c.Metadata.APIVersion, APIVersionV1, APIVersionV2)
		}
	}

	depsFile, lockFile := "Chart.yaml", ""
	subcharts := map[string][]*BufferedFile{}
	for _, f := range files {
		switch {
		case f.Name == "Chart.yaml":
			// Read above.
		case f.Name == "Chart.lock" || f.Name == "requirements.lock":
			c.Lock = new(Lock)
			// &c.Lock, as Helm: an empty or null lock file leaves no Lock.
			if err := yaml.Unmarshal(bytes.TrimPrefix(f.Data, utf8BOM), &c.Lock); err != nil {
				return nil, fmt.Errorf("cannot load %s: %w", f.Name, err)
			}
			lockFile = f.Name
			if f.Name == "requirements.lock" {
				if c.Metadata == nil {
					c.Metadata = new(Metadata)
				}
				if c.Metadata.APIVersion != APIVersionV1 {
					l.warn(`Warning: Dependency locking is handled in Chart.lock since apiVersion "v2". We recommend migrating to Chart.lock.`)
				}
				if c.Metadata.APIVersion == APIVersionV1 {
					c.Files = append(c.Files, newFile(f))
				}
			}
		case f.Name == "values.yaml":
			values, err := l.cache.loadValues(bytes.TrimPrefix(f.Data, utf8BOM))
			if err != nil {
				return nil, fmt.Errorf("cannot load values.yaml: %w", err)
			}
			c.Values = values
		case f.Name == "values.schema.json":
			c.Schema = f.Data
		case f.Name == "requirements.yaml":
			// Deprecated v1 home of the dependencies; read into the metadata.
			if c.Metadata == nil {
				c.Metadata = new(Metadata)
			}
			if c.Metadata.APIVersion != APIVersionV1 {
				l.warn(`Warning: Dependencies are handled in Chart.yaml since apiVersion "v2". We recommend migrating dependencies to Chart.yaml.`)
			}
			data := bytes.TrimPrefix(f.Data, utf8BOM)
			if err := yaml.Unmarshal(data, c.Metadata); err != nil {
				return nil, fmt.Errorf("cannot load requirements.yaml: %w", err)
			}
			if hasDependenciesKey(data) {
				depsFile = f.Name
			}
			if c.Metadata.APIVersion == APIVersionV1 {
				c.Files = append(c.Files, newFile(f))
			}
		case strings.HasPrefix(f.Name, "templates/"):
			c.Templates = append(c.Templates, newFile(f))
		case strings.HasPrefix(f.Name, "charts/"):
			// Provenance files anywhere under charts/ belong to this chart.
			if path.Ext(f.Name) == ".prov" {
				c.Files = append(c.Files, newFile(f))
				continue
			}
			rest := strings.TrimPrefix(f.Name, "charts/")
			name, _, _ := strings.Cut(rest, "/")
			subcharts[name] = append(subcharts[name], &BufferedFile{Name: rest, ModTime: f.ModTime, Data: f.Data})
		default:
			c.Files = append(c.Files, newFile(f))
		}
	}

	if c.Metadata == nil {
		//lint:ignore ST1005 Helm's text, starting with the file's name
		return nil, errors.New("Chart.yaml file is missing")
	}
	if err := c.Metadata.validate(); err != nil {
		file := "Chart.yaml"
		if err.deps {
			file = depsFile
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if c.Lock != nil {
		for i, d := range c.Lock.Dependencies {
			if d == nil {
				return nil, fmt.Errorf("cannot load %s: dependencies[%d] is empty", lockFile, i)
			}
		}
	}

	// Helm walks a map here, so its subchart order is random; lade uses the
	// lexical order of the names under charts/.
	names := make([]string, 0, len(subcharts))
	for n := range subcharts {
		names = append(names, n)
	}
	slices.Sort(names)
	subs := make([]*loadedSub, 0, len(names))
	for _, n := range names {
		// Names starting with "_" or "." are not charts (e.g. charts/.gitkeep).
		if strings.IndexAny(n, "_.") == 0 {
			continue
		}
		subs = append(subs, &loadedSub{name: n, parallel: l.depth == 0 && !hasArchive(subcharts[n])})
	}
	// An umbrella's subchart directories only need their YAML parsed (their
	// bytes are read already and no archive budget is involved), so they load
	// concurrently; archives load in order against the shared budgets.
	parallel.For(0, len(subs), func(i int) {
		s := subs[i]
		if s.parallel {
			child := &loader{depth: l.depth, cache: l.cache, held: l.held}
			s.chart, s.err = child.loadSubchart(c, s.name, subcharts[s.name])
		}
	})
	for _, s := range subs {
		if !s.parallel {
			s.chart, s.err = l.loadSubchart(c, s.name, subcharts[s.name])
		}
		if s.err != nil {
			return nil, s.err
		}
	}
	for _, s := range subs {
		c.AddDependency(s.chart)
	}
	return c, nil
}

// loadedSub is one subchart of a load, with its result.
type loadedSub struct {
	name     string
	parallel bool
	chart    *Chart
	err      error
}

// hasArchive reports whether a subchart's files include a nested archive.
func hasArchive(files []*BufferedFile) bool {
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".tgz") {
			return true
		}
	}
	return false
}

// loadSubchart loads charts/NAME, a directory or a .tgz archive.
func (l *loader) loadSubchart(parent *Chart, name string, files []*BufferedFile) (*Chart, error) {
	l.depth++
	defer func() { l.depth-- }()
	var sc *Chart
	var err error
	if path.Ext(name) == ".tgz" {
		if files[0].Name != name {
			return nil, fmt.Errorf("error unpacking subchart tar in %s: expected %s, got %s", parent.Name(), name, files[0].Name)
		}
		sc, err = l.loadArchive(bytes.NewReader(files[0].Data))
	} else {
		// Strip "NAME/"; a plain file charts/NAME is not part of any chart,
		// so such a subchart ends up without Chart.yaml, as in Helm.
		inner := make([]*BufferedFile, 0, len(files))
		for _, f := range files {
			if _, rest, ok := strings.Cut(f.Name, "/"); ok {
				inner = append(inner, &BufferedFile{Name: rest, ModTime: f.ModTime, Data: f.Data})
			}
		}
		sc, err = l.loadFiles(inner)
	}
	if err != nil {
		return nil, fmt.Errorf("error unpacking subchart %s in %s: %w", name, parent.Name(), err)
	}
	return sc, nil
}

func newFile(f *BufferedFile) *File {
	return &File{Name: f.Name, ModTime: f.ModTime, Data: f.Data}
}

// hasDependenciesKey reports whether a YAML mapping has a "dependencies" key.
func hasDependenciesKey(data []byte) bool {
	var probe struct {
		Dependencies json.RawMessage `json:"dependencies"`
	}
	return yaml.Unmarshal(data, &probe) == nil && len(probe.Dependencies) > 0
}

// checkFileName accepts only clean relative slash paths inside the chart.
func checkFileName(name string) error {
	switch {
	case name == "":
		return errors.New("chart contains a file with an empty name")
	case hasDriveLetter(name):
		return fmt.Errorf("file %q: chart contains illegally named files (Windows drive letter)", name)
	case isAbsName(name):
		return fmt.Errorf("file %q: chart illegally contains absolute paths", name)
	case hasDotDot(name):
		return fmt.Errorf("file %q: chart illegally references parent directory", name)
	case path.Clean(name) != name:
		return fmt.Errorf("file %q: file names in a chart must be clean relative paths", name)
	}
	return nil
}

// isAbsName reports whether a slash or backslash path is absolute, counting
// names that start with a Windows drive letter as absolute.
func isAbsName(name string) bool {
	return strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || hasDriveLetter(name)
}

// hasDriveLetter reports whether name starts with a drive letter ("C:", "c:/x", `C:\x`).
func hasDriveLetter(name string) bool {
	return len(name) >= 2 && name[1] == ':' &&
		('a' <= name[0] && name[0] <= 'z' || 'A' <= name[0] && name[0] <= 'Z')
}

// hasDotDot reports whether any "/" or "\" separated element is "..".
func hasDotDot(name string) bool {
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return true
		}
	}
	return false
}
