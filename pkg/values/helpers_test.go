package values

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
)

// chartsDir holds the test charts of this package.
const chartsDir = "../../testdata/charts/values"

// dump renders a values tree with its Go types, so that tests tell int64
// from float64 and nil from "": maps by sorted key, lists in order.
func dump(v any) string {
	var b strings.Builder
	dumpTo(&b, v)
	return b.String()
}

func dumpTo(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		fmt.Fprintf(b, "int64(%d)", v)
	case float64:
		fmt.Fprintf(b, "float64(%s)", strconv.FormatFloat(v, 'g', -1, 64))
	case string:
		b.WriteString(strconv.Quote(v))
	case []any:
		b.WriteString("[")
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			dumpTo(b, x)
		}
		b.WriteString("]")
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(k))
			b.WriteString(": ")
			dumpTo(b, v[k])
		}
		b.WriteString("}")
	case map[string]string:
		m := map[string]any{}
		for k, x := range v {
			m[k] = x
		}
		b.WriteString("strings")
		dumpTo(b, m)
	default:
		fmt.Fprintf(b, "%T(%v)", v, v)
	}
}

// loadChart reads a test chart directory: Chart.yaml, values.yaml,
// values.schema.json and the chart directories under charts/ (by name).
func loadChart(t testing.TB, dir string) *chart.Chart {
	t.Helper()
	c, err := loadChartDir(dir)
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	return c
}

func loadChartDir(dir string) (*chart.Chart, error) {
	c := &chart.Chart{}
	meta, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, err
	}
	c.Metadata = &chart.Metadata{}
	if err := yaml.Unmarshal(meta, c.Metadata); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		if c.Values, err = LoadValues(raw); err != nil {
			return nil, fmt.Errorf("cannot load values.yaml: %w", err)
		}
	}
	if raw, err := os.ReadFile(filepath.Join(dir, "values.schema.json")); err == nil {
		c.Schema = raw
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "charts"))
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		sub, err := loadChartDir(filepath.Join(dir, "charts", e.Name()))
		if err != nil {
			return nil, err
		}
		c.AddDependency(sub)
	}
	return c, nil
}

// tree describes a processed chart: each chart with its Chart.yaml
// dependency entries (name, enabled, import-values), indented by depth.
func tree(c *chart.Chart) string {
	var b strings.Builder
	var walk func(c *chart.Chart, depth int)
	walk = func(c *chart.Chart, depth int) {
		fmt.Fprintf(&b, "%s%s", strings.Repeat("  ", depth), c.Name())
		if c.Metadata != nil {
			for _, d := range c.Metadata.Dependencies {
				fmt.Fprintf(&b, " [%s enabled=%t", d.Name, d.Enabled)
				if d.ImportValues != nil {
					fmt.Fprintf(&b, " imports=%s", dump(d.ImportValues))
				}
				b.WriteString("]")
			}
		}
		b.WriteString("\n")
		for _, d := range c.Dependencies() {
			walk(d, depth+1)
		}
	}
	walk(c, 0)
	return b.String()
}

// logRecorder collects log records as Helm's CLI prints them (slog's text
// format without time), sorted since Helm's map walks have no fixed order.
type logRecorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *logRecorder) logger() *slog.Logger {
	h := slog.NewTextHandler(&lockedWriter{r}, &slog.HandlerOptions{
		Level: slog.LevelWarn - 8, // everything but debug traces
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(levelFilter{h, slog.LevelInfo})
}

type lockedWriter struct{ r *logRecorder }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	return w.r.buf.Write(p)
}

// levelFilter drops records below min.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(_ context.Context, l slog.Level) bool { return l >= f.min }

func (r *logRecorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.TrimSpace(r.buf.String())
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return lines
}

// oracleCase is one test input with lade's result, written out when
// LADE_VALUES_ORACLE names a file, so that a harness built on Helm v4.3.1 can
// check that Helm gives the same result for every case (see oracle notes in
// values_test.go).
type oracleCase struct {
	Kind  string            `json:"kind"` // strvals | options | chart
	Name  string            `json:"name"`
	Mode  string            `json:"mode,omitempty"`
	In    string            `json:"in,omitempty"`
	Opts  *Options          `json:"opts,omitempty"`
	Stdin string            `json:"stdin,omitempty"`
	Files map[string]string `json:"files,omitempty"`
	Chart string            `json:"chart,omitempty"`
	Skip  bool              `json:"skip,omitempty"`

	Got  string   `json:"got"`
	Err  string   `json:"err"`
	Logs []string `json:"logs,omitempty"`
	Tree string   `json:"tree,omitempty"`
}

var (
	oracleMu    sync.Mutex
	oracleCases []oracleCase
)

func record(c oracleCase) {
	if os.Getenv("LADE_VALUES_ORACLE") == "" {
		return
	}
	oracleMu.Lock()
	defer oracleMu.Unlock()
	oracleCases = append(oracleCases, c)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if path := os.Getenv("LADE_VALUES_ORACLE"); path != "" {
		b, err := json.MarshalIndent(oracleCases, "", "  ")
		if err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "writing oracle cases:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
