package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/values"
)

// TestDefaultLimitsHeadroom renders every case of the conformance corpus
// and checks that the default limits leave at least ten times what the
// largest real chart uses (the figures in docs/limits.md come from here).
func TestDefaultLimitsHeadroom(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the whole conformance corpus")
	}
	corpus := filepath.Join(sharedDir(t), "conformance")
	cases, _ := filepath.Glob(filepath.Join(corpus, "cases", "*.yaml"))
	if len(cases) == 0 {
		t.Skip("no conformance cases")
	}
	var most struct {
		render, template, depth             int64
		renderCase, templateCase, depthCase string
	}
	rendered := 0
	for _, file := range cases {
		var c struct {
			Name        string   `json:"name"`
			Chart       string   `json:"chart"`
			Release     string   `json:"release"`
			Namespace   string   `json:"namespace"`
			KubeVersion string   `json:"kube_version"`
			Values      []string `json:"values"`
			Flags       []string `json:"flags"`
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		vo := values.Options{}
		for _, v := range c.Values {
			vo.ValueFiles = append(vo.ValueFiles, filepath.Join(corpus, v))
		}
		vals, err := vo.MergeValues()
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		var apis []string
		for i, f := range c.Flags {
			if f == "--api-versions" && i+1 < len(c.Flags) {
				apis = append(apis, c.Flags[i+1])
			}
		}
		kv, err := common.ParseKubeVersion(c.KubeVersion)
		if err != nil {
			kv = nil
		}
		ch, err := chart.Load(filepath.Join(corpus, c.Chart))
		if err != nil {
			continue // an expected-error case
		}
		stats := &limitStats{}
		_, err = Chart(context.Background(), ch, vals, Options{
			ReleaseName: c.Release, Namespace: c.Namespace, Capabilities: common.DefaultCapabilities(kv, apis...),
			Engine: Engine{stats: stats},
		})
		if errors.Is(err, ErrLimit) {
			t.Errorf("%s: %v", c.Name, err)
		}
		if err != nil {
			continue
		}
		rendered++
		if v := stats.render.Load(); v > most.render {
			most.render, most.renderCase = v, c.Name
		}
		if v := stats.template.Load(); v > most.template {
			most.template, most.templateCase = v, c.Name
		}
		if v := stats.depth.Load(); v > most.depth {
			most.depth, most.depthCase = v, c.Name
		}
	}
	t.Logf("%d cases rendered; largest output %d bytes (%s), largest string built %d bytes (%s), deepest include/tpl nesting %d (%s)",
		rendered, most.render, most.renderCase, most.template, most.templateCase, most.depth, most.depthCase)
	if rendered < 100 {
		t.Fatalf("only %d cases rendered", rendered)
	}
	if most.render*10 > DefaultMaxRenderBytes || most.template*10 > DefaultMaxTemplateBytes || most.depth*10 > DefaultMaxTemplateDepth {
		t.Errorf("a default limit is less than ten times what the corpus uses")
	}
}

// hostile templates, each ending at one limit.
var hostile = map[string]struct {
	templates map[string]string
	values    map[string]any
	flag      string
}{
	"tpl recursion": {
		templates: map[string]string{"templates/x.yaml": `x: {{ tpl "{{ tpl .Values.t . }}" . }}`},
		values:    map[string]any{"t": "{{ tpl .Values.t . }}"},
		flag:      FlagMaxTemplateDepth,
	},
	"define doubling": {
		templates: map[string]string{
			"templates/_d.tpl": `{{ define "d" }}{{ if lt (int .n) 40 }}{{ $s := include "d" (dict "n" (add1 .n) "s" .s) }}{{ $s }}{{ $s }}{{ else }}{{ .s }}{{ end }}{{ end }}`,
			"templates/x.yaml": `x: {{ include "d" (dict "n" 0 "s" "ab") }}`,
		},
		flag: FlagMaxTemplateBytes,
	},
	"printf doubling": {
		templates: map[string]string{
			"templates/x.yaml": `{{ $s := "ab" }}{{ range until 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}x: {{ len $s }}`,
		},
		flag: FlagMaxTemplateBytes,
	},
	"nested until": {
		templates: map[string]string{
			"templates/x.yaml": `{{ range until 10000000 }}{{ range until 10000000 }}{{ end }}{{ end }}`,
		},
		flag: FlagMaxTemplateBytes,
	},
	"nested until, small ranges": {
		templates: map[string]string{
			"templates/x.yaml": `{{ range until 100000 }}{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}{{ end }}`,
		},
		flag: FlagRenderTimeout,
	},
	"repeat": {
		templates: map[string]string{"templates/x.yaml": `x: {{ repeat 100000000000 "x" }}`},
		flag:      FlagMaxTemplateBytes,
	},
	"many templates": {
		templates: func() map[string]string {
			m := map[string]string{}
			for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
				m["templates/"+n+".yaml"] = `x: {{ repeat 10000000 "x" }}`
			}
			return m
		}(),
		flag: FlagMaxRenderBytes,
	},
}

// TestHostileTemplatesHitLimits: each hostile template ends with the
// LimitError of its limit, naming the flag and the template chain. (A loop
// that calls nothing is left running by Render: cmd/lade tests it in a
// process of its own.)
func TestHostileTemplatesHitLimits(t *testing.T) {
	for name, h := range hostile {
		t.Run(name, func(t *testing.T) {
			c := newChart("c", h.templates)
			lim := Limits{Timeout: 2 * time.Second}
			start := time.Now()
			_, err := renderTop(t, &Engine{Limits: lim}, c, h.values)
			took := time.Since(start)
			var le *LimitError
			if !errors.As(err, &le) || !errors.Is(err, ErrLimit) {
				t.Fatalf("error %v, want a LimitError", err)
			}
			if le.Flag != h.flag {
				t.Fatalf("limit %s hit, want %s: %v", le.Flag, h.flag, err)
			}
			if !strings.Contains(err.Error(), "raise the limit with "+h.flag) {
				t.Errorf("error does not say how to raise the limit: %v", err)
			}
			if took > 10*time.Second {
				t.Errorf("took %s", took)
			}
			t.Logf("%s: %v", took, err)
		})
	}
}

// TestTemplateChainInLimitError: a depth error names the first and last
// frames of the chain, not all of them.
func TestTemplateChainInLimitError(t *testing.T) {
	h := hostile["tpl recursion"]
	_, err := renderTop(t, &Engine{Limits: Limits{MaxTemplateDepth: 50}}, newChart("c", h.templates), h.values)
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("error %v", err)
	}
	if len(le.Chain) != 52 || le.Chain[0] != "c/templates/x.yaml" || le.Chain[51] != "tpl" {
		t.Fatalf("chain %v", le.Chain)
	}
	want := "in: c/templates/x.yaml -> tpl -> tpl -> ... (46 more) ... -> tpl -> tpl -> tpl"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nest more than 50 deep (--max-template-depth=50)") {
		t.Fatalf("error %q", err)
	}
}

// TestLimitsRaised: each limit that stops a render lets it through when
// raised, and the output is what the template makes.
func TestLimitsRaised(t *testing.T) {
	tests := []struct {
		name      string
		templates map[string]string
		values    map[string]any
		low, high Limits
		check     func(out map[string]string) bool
	}{{
		name:      "depth",
		templates: map[string]string{"templates/x.yaml": `x: {{ tpl .Values.t (dict "Values" .Values "n" 0) }}`},
		values:    map[string]any{"t": `{{ if lt (int .n) 300 }}{{ tpl .Values.t (dict "Values" .Values "n" (add1 .n)) }}{{ else }}{{ .n }}{{ end }}`},
		low:       Limits{MaxTemplateDepth: 200},
		high:      Limits{MaxTemplateDepth: 400},
		check:     func(out map[string]string) bool { return out["c/templates/x.yaml"] == "x: 300" },
	}, {
		name:      "template bytes",
		templates: map[string]string{"templates/x.yaml": `x: {{ repeat 2000000 "x" }}`},
		low:       Limits{MaxTemplateBytes: 1 << 20},
		high:      Limits{MaxTemplateBytes: 4 << 20},
		check:     func(out map[string]string) bool { return len(out["c/templates/x.yaml"]) == 2000003 },
	}, {
		name: "render bytes",
		templates: map[string]string{
			"templates/x.yaml": `x: {{ repeat 600000 "x" }}`,
			"templates/y.yaml": `y: {{ repeat 600000 "y" }}`,
		},
		low:  Limits{MaxRenderBytes: 1 << 20},
		high: Limits{MaxRenderBytes: 2 << 20},
		check: func(out map[string]string) bool {
			return len(out["c/templates/x.yaml"])+len(out["c/templates/y.yaml"]) == 1200006
		},
	}, {
		name:      "timeout",
		templates: map[string]string{"templates/x.yaml": `{{ range until 2000 }}{{ range until 500 }}{{ end }}{{ end }}x: 1`},
		low:       Limits{Timeout: time.Millisecond},
		high:      Limits{Timeout: time.Minute},
		check:     func(out map[string]string) bool { return out["c/templates/x.yaml"] == "x: 1" },
	}, {
		name:      "memory",
		templates: map[string]string{"templates/x.yaml": `{{ range until 3000 }}{{ range until 1000 }}{{ end }}{{ end }}x: 1`},
		low:       Limits{MaxMemoryBytes: 1}, // any heap is over
		high:      Limits{MaxMemoryBytes: 1 << 40},
		check:     func(out map[string]string) bool { return out["c/templates/x.yaml"] == "x: 1" },
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newChart("c", tc.templates)
			if _, err := renderTop(t, &Engine{Limits: tc.low}, c, tc.values); !errors.Is(err, ErrLimit) {
				t.Fatalf("low limit: error %v", err)
			}
			out, err := renderTop(t, &Engine{Limits: tc.high}, c, tc.values)
			if err != nil {
				t.Fatalf("high limit: %v", err)
			}
			if !tc.check(out) {
				t.Fatalf("output %.200v", out)
			}
		})
	}
}

// TestLimitedFunctionsMatchSprig: the bounded functions give sprig's
// results within the limits.
func TestLimitedFunctionsMatchSprig(t *testing.T) {
	src := `{{ until 3 }}|{{ untilStep 1 10 3 }}|{{ untilStep 5 0 -2 }}|{{ untilStep 0 5 0 }}|{{ seq 3 }}|{{ seq 5 2 }}|{{ seq 1 2 7 }}|` +
		`{{ repeat 3 "ab" }}|{{ indent 2 "a\nb" }}|{{ nindent 1 "c" }}|{{ replace "a" "xy" "banana" }}|{{ replace "" "-" "ab" }}|` +
		`{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}|{{ regexReplaceAllLiteral "a" "banana" "$1" }}|{{ join "," (list 1 "b" nil 3) }}|` +
		`{{ printf "%5d|%-4s|%.2f|%%|%*d" 42 "x" 3.14159 3 7 }}|{{ cat "a" nil 2 }}|{{ quote "a" 1 }}|{{ squote "b" }}|{{ print "a" 1 }}|` +
		`{{ b64enc "hi" }}|{{ wrapWith 3 "<br>" "abcdefg hij" }}|{{ toJson (list 1 2) }}|{{ concat (list 1) (list 2 3) }}|{{ append (list 1) 2 }}|{{ prepend (list 1) 0 }}|{{ len (randAlpha 5) }}`
	sprigOut, err := func() (string, error) {
		set, err := newSprigOnly(src)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		err = set.Execute(&b, nil)
		return b.String(), err
	}()
	if err != nil {
		t.Fatal(err)
	}
	out, err := renderTop(t, &Engine{}, newChart("c", map[string]string{"templates/x.yaml": src}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out["c/templates/x.yaml"]; got != sprigOut {
		t.Fatalf("got  %s\nwant %s", got, sprigOut)
	}
}

// newSprigOnly parses src with sprig's and text/template's own functions.
func newSprigOnly(src string) (*template.Template, error) {
	return template.New("x").Funcs(sprig.TxtFuncMap()).Parse(src)
}
