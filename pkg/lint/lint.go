package lint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/lint/rules"
	"github.com/lade-dev/lade/pkg/lint/support"
	"github.com/lade-dev/lade/pkg/render"
	"github.com/lade-dev/lade/pkg/values"
)

// Message, Severity and the severities are re-exported from package support.
type (
	Message  = support.Message
	Severity = support.Severity
)

// Severities, lowest first.
const (
	Info    = support.Info
	Warning = support.Warning
	Error   = support.Error
)

// Options configure a lint run.
type Options struct {
	// Values are the user's values (-f/--set), merged.
	Values map[string]any
	// Namespace is .Release.Namespace ("default" when empty).
	Namespace string
	// KubeVersion is the cluster version for capabilities and API deprecations
	// (nil: common.DefaultKubeVersion).
	KubeVersion *common.KubeVersion
	// SkipSchemaValidation turns off values.schema.json checks.
	SkipSchemaValidation bool
	// HelmOnly runs Helm's rules only, so the output is exactly `helm lint`'s.
	HelmOnly bool
	// Ignore lists rule ids not to report.
	Ignore []string
	// Nodes is the cluster's node count for the anti-affinity rule (0: unknown).
	Nodes int
	// Limits bound the render (zero fields: render's defaults).
	Limits render.Limits
	// Charts are chart loads started ahead (nil: none): a chart path
	// with one is taken from it instead of loaded again.
	Charts *chart.Preloads
	// Schemas are values.schema.json compiles started ahead (nil: none).
	Schemas *values.Precompiled
}

// Result is the outcome of linting one chart.
type Result struct {
	// Path is the chart path as given.
	Path string `json:"path"`
	// Messages are the findings in the order Helm reports them, lade's after.
	Messages []Message `json:"messages"`
	// Err is set when the chart could not be linted at all (no Chart.yaml...).
	Err error `json:"-"`
}

// Failed reports whether the result fails a run: a lint error, any message at
// or above fail, or Err.
func (r *Result) Failed(strict bool) bool {
	if r.Err != nil {
		return true
	}
	lowest := Error
	if strict {
		lowest = Warning
	}
	for _, m := range r.Messages {
		if m.Severity >= lowest {
			return true
		}
	}
	return false
}

// HasWarningsOrErrors reports a message above INFO (or Err), as Helm's --quiet does.
func (r *Result) HasWarningsOrErrors() bool {
	if r.Err != nil {
		return true
	}
	for _, m := range r.Messages {
		if m.Severity > Info {
			return true
		}
	}
	return false
}

// Chart lints the chart at p (a directory or a .tgz archive).
func Chart(ctx context.Context, p string, o Options) *Result {
	return lintChart(ctx, p, o, nil)
}

// lintChart is Chart, loading through pc when it is set.
func lintChart(ctx context.Context, p string, o Options, pc *chart.ParseCache) *Result {
	res := &Result{Path: p}
	in, err := readInput(p, loader{pc, o.Charts})
	if err != nil {
		res.Err = err
		return res
	}
	in.Precompiled = o.Schemas
	res.Messages = lintInput(ctx, in, o)
	return res
}

// Charts lints several charts concurrently; results are in the order of paths.
// The charts share one chart.ParseCache, so a subchart linted after its
// umbrella (--with-subcharts) has its values.yaml and Chart.yaml parsed once.
func Charts(ctx context.Context, paths []string, o Options, workers int) []*Result {
	out := make([]*Result, len(paths))
	pc := chart.NewParseCache()
	if workers < 1 {
		workers = 1
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = lintChart(ctx, p, o, pc)
		}()
	}
	wg.Wait()
	return out
}

func lintInput(ctx context.Context, in *rules.Input, o Options) []Message {
	l := &support.Linter{ChartDir: in.Dir}
	ns := o.Namespace
	if ns == "" {
		ns = "default"
	}
	rules.Chartfile(l, in)
	rules.Values(l, in, o.Values, o.SkipSchemaValidation)
	deps := rules.DependencyMessages(in)
	// CRDs are checked before rendering drops disabled subcharts (Helm loads
	// the chart afresh for them); their messages come last, as in Helm.
	var crdLinter support.Linter
	rules.CRDs(&crdLinter, in)
	extraCRDs := crdLinter.Messages
	rendered := rules.Templates(ctx, l, in, rules.TemplateOptions{
		Namespace:            ns,
		Values:               o.Values,
		KubeVersion:          o.KubeVersion,
		SkipSchemaValidation: o.SkipSchemaValidation,
		Limits:               o.Limits,
	})
	for _, m := range deps {
		l.Add(m)
	}
	for _, m := range extraCRDs {
		l.Add(m)
	}
	msgs := l.Messages
	if !o.HelmOnly && rendered != nil {
		msgs = append(msgs, ladeRules(rendered, o)...)
	}
	if !o.HelmOnly {
		msgs = append(msgs, crdFiles(in)...)
	}
	if len(o.Ignore) > 0 {
		msgs = slices.DeleteFunc(msgs, func(m Message) bool { return slices.Contains(o.Ignore, m.Rule) })
	}
	return msgs
}

// readInput reads what the rules need from a chart directory or archive.
func readInput(p string, ld loader) (*rules.Input, error) {
	fi, err := os.Stat(p)
	switch {
	case err == nil:
	case os.IsNotExist(err) && strings.HasSuffix(p, ".tgz"):
		// As Helm: a missing archive cannot be opened; a missing directory
		// has no Chart.yaml.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("unable to open tarball: open %s: %w", p, err)
	case os.IsNotExist(err):
		_, err = os.Stat(filepath.Join(p, "Chart.yaml"))
		return nil, fmt.Errorf("unable to check Chart.yaml file in chart: %w", err)
	default:
		return nil, fmt.Errorf("unable to check Chart.yaml file in chart: %w", err)
	}
	if !fi.IsDir() {
		return readArchiveInput(p, ld)
	}
	if _, err := os.Stat(filepath.Join(p, "Chart.yaml")); err != nil {
		return nil, fmt.Errorf("unable to check Chart.yaml file in chart: %w", err)
	}
	dir, _ := filepath.Abs(p)
	in := &rules.Input{Dir: dir}
	cy := filepath.Join(dir, "Chart.yaml")
	if st, err := os.Stat(cy); err == nil && st.IsDir() {
		in.ChartYAMLIsDir = true
	}
	in.ChartYAML, in.ChartYAMLErr = os.ReadFile(cy)
	if b, err := os.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		in.Values, in.HasValues = b, true
	} else if !errors.Is(err, fs.ErrNotExist) {
		in.HasValues = true
	}
	in.Schema, _ = os.ReadFile(filepath.Join(dir, "values.schema.json"))
	in.TemplatesDir = dirKind(filepath.Join(dir, "templates"))
	in.CRDsDir = dirKind(filepath.Join(dir, "crds"))
	in.Chart, in.LoadErr = ld.load(p)
	in.LoadErr = helmLoadError(in.LoadErr)
	return in, nil
}

// loader loads the charts of a lint run: a load started ahead when there
// is one, else through the parse cache when it is set.
type loader struct {
	pc  *chart.ParseCache
	pre *chart.Preloads
}

func (ld loader) load(p string) (*chart.Chart, error) {
	if c, started, err := ld.pre.Take(p); started {
		return c, err
	}
	if ld.pc == nil {
		return chart.Load(p)
	}
	return ld.pc.Load(p)
}

func dirKind(p string) string {
	st, err := os.Stat(p)
	switch {
	case err != nil:
		return ""
	case st.IsDir():
		return "dir"
	}
	return "file"
}

func readArchiveInput(p string, ld loader) (*rules.Input, error) {
	ch, err := ld.load(p)
	if err != nil {
		return nil, fmt.Errorf("unable to extract tarball: %w", err)
	}
	in := &rules.Input{Dir: p, Chart: ch}
	var hasChartYAML bool
	for _, f := range ch.Raw {
		switch {
		case f.Name == "Chart.yaml":
			in.ChartYAML, hasChartYAML = f.Data, true
		case f.Name == "values.yaml":
			in.Values, in.HasValues = f.Data, true
		case f.Name == "values.schema.json":
			in.Schema = f.Data
		case strings.HasPrefix(f.Name, "templates/"):
			in.TemplatesDir = "dir"
		case strings.HasPrefix(f.Name, "crds/"):
			in.CRDsDir = "dir"
		}
	}
	if !hasChartYAML {
		return nil, fmt.Errorf("unable to check Chart.yaml file in chart: %s has no Chart.yaml", p)
	}
	return in, nil
}

// helmLoadError drops the "load chart PATH: " and "Chart.yaml: " prefixes
// chart.Load adds, as Helm's loader errors have neither.
func helmLoadError(err error) error {
	if err == nil {
		return nil
	}
	if u := errors.Unwrap(err); u != nil {
		err = u
	}
	if rest, ok := strings.CutPrefix(err.Error(), "Chart.yaml: validation: "); ok {
		return errors.New("validation: " + rest)
	}
	return err
}

// chartRelative turns a rendered template key ("<chart>/templates/x.yaml")
// into a path relative to the root chart.
func chartRelative(root, key string) string {
	if rest, ok := strings.CutPrefix(key, root+"/"); ok {
		return rest
	}
	return path.Clean(key)
}
