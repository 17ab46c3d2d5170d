package render

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
)

// newChart builds a chart in memory: templates by name (relative to the chart root).
func newChart(name string, templates map[string]string, deps ...*chart.Chart) *chart.Chart {
	c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: name, Version: "1.0.0", AppVersion: "2.0"}}
	for n, src := range templates {
		c.Templates = append(c.Templates, &chart.File{Name: n, Data: []byte(src)})
	}
	c.AddDependency(deps...)
	return c
}

func renderTop(t *testing.T, e *Engine, c *chart.Chart, vals map[string]any) (map[string]string, error) {
	t.Helper()
	top := NewRenderValues(c, vals, Options{ReleaseName: "rel", Namespace: "ns"}, common.DefaultCapabilities(nil))
	return e.Render(context.Background(), c, top)
}

func TestRenderBasics(t *testing.T) {
	sub := newChart("sub", map[string]string{
		"templates/_h.tpl":  `{{ define "name" }}sub-name{{ end }}{{ define "subonly" }}only-{{ .Chart.Name }}{{ end }}`,
		"templates/cm.yaml": `sub:{{ include "name" . }}:{{ include "subonly" . }}:{{ .Values.x }}:{{ .Values.global.g }}:{{ .Chart.IsRoot }}`,
	})
	root := newChart("root", map[string]string{
		"templates/_h.tpl":     `{{ define "name" }}root-name{{ end }}`,
		"templates/a.yaml":     `a:{{ include "name" . }}:{{ .Release.Name }}:{{ .Release.Namespace }}:{{ .Template.Name }}:{{ .Template.BasePath }}:{{ .Chart.IsRoot }}`,
		"templates/nv.yaml":    `missing:{{ .Values.nope }}:{{ .Values.nested }}`,
		"templates/NOTES.txt":  `notes {{ .Release.Name }}`,
		"templates/empty.yaml": "  \n",
		"templates/caps.yaml":  `{{ .Capabilities.KubeVersion }}|{{ .Capabilities.KubeVersion.Minor }}|{{ .Capabilities.APIVersions.Has "apps/v1" }}|{{ .Capabilities.HelmVersion.Version }}|{{ .Release.Service }}|{{ .Release.IsInstall }}|{{ .Release.Revision }}`,
	}, sub)
	vals := map[string]any{
		"nested": map[string]any{},
		"global": map[string]any{"g": "G"},
		"sub":    map[string]any{"x": float64(3), "global": map[string]any{"g": "G"}},
	}
	out, err := renderTop(t, &Engine{}, root, vals)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"root/templates/a.yaml":             "a:root-name:rel:ns:root/templates/a.yaml:root/templates:true",
		"root/charts/sub/templates/cm.yaml": "sub:root-name:only-sub:3:G:false",
		"root/templates/nv.yaml":            "missing::map[]",
		"root/templates/NOTES.txt":          "notes rel",
		"root/templates/empty.yaml":         "  \n",
		"root/templates/caps.yaml":          "v1.37.0|37|true|v4.3.1|Helm|true|1",
	}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("%s = %q, want %q", k, out[k], v)
		}
	}
	for k := range out {
		if strings.Contains(k, "_h.tpl") {
			t.Errorf("partial %s was emitted", k)
		}
	}
}

func TestRenderLibraryChartOnlyPartials(t *testing.T) {
	lib := newChart("lib", map[string]string{
		"templates/_lib.tpl": `{{ define "lib.hello" }}hello {{ . }}{{ end }}`,
		"templates/cm.yaml":  `should not render`,
	})
	lib.Metadata.Type = "library"
	root := newChart("app", map[string]string{"templates/x.yaml": `{{ include "lib.hello" "world" }}`}, lib)
	out, err := renderTop(t, &Engine{}, root, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out["app/templates/x.yaml"] != "hello world" {
		t.Fatalf("got %v", out)
	}
}

func TestRenderErrorsUseHelmFormat(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"required", "a: {{ required \"need .Values.x\" .Values.x }}", "execution error at (c/templates/t.yaml:1:6): need .Values.x"},
		{"fail", "\n\n  {{ fail \"boom\" }}", "execution error at (c/templates/t.yaml:3:5): boom"},
		{"parse", "{{ if }}", "parse error at (c/templates/t.yaml:1): missing value for if"},
		{"nested include", `{{ define "a" }}{{ include "b" . }}{{ end }}{{ include "a" . }}`,
			"c/templates/t.yaml:1:47\n  executing \"c/templates/t.yaml\" at <include \"a\" .>:\n    error calling include:\nc/templates/t.yaml:1:19\n  executing \"a\" at <include \"b\" .>:\n    error calling include:\ntemplate: no template \"b\" associated with template \"gotpl\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChart("c", map[string]string{"templates/t.yaml": tc.src})
			_, err := renderTop(t, &Engine{}, c, map[string]any{})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}

func TestRequiredAndFailInLintMode(t *testing.T) {
	var warnings []string
	e := &Engine{LintMode: true, Warn: func(m string) { warnings = append(warnings, m) }}
	c := newChart("c", map[string]string{"templates/t.yaml": `x: {{ required "need x" .Values.x }}{{ fail "nope" }}`})
	out, err := renderTop(t, e, c, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if out["c/templates/t.yaml"] != "x: " || len(warnings) != 2 {
		t.Fatalf("out %q warnings %v", out, warnings)
	}
}

func TestIncludeRecursionLimit(t *testing.T) {
	c := newChart("c", map[string]string{"templates/t.yaml": `{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}`})
	_, err := renderTop(t, &Engine{}, c, map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "rendering template has a nested reference name: loop") {
		t.Fatalf("want recursion error, got %v", err)
	}
}

func TestTplSeesDefinesAndCaches(t *testing.T) {
	c := newChart("c", map[string]string{
		"templates/_h.tpl": `{{ define "who" }}{{ .Release.Name }}{{ end }}`,
		"templates/t.yaml": `{{ range until 3 }}{{ tpl "[{{ include \"who\" $ }}-{{ .Values.v }}]" $ }}{{ end }}|{{ tpl "{{ define \"x\" }}X{{ end }}{{ template \"x\" }}{{ include \"x\" . }}" . }}|{{ tpl "{{ .missing }}" dict }}`,
	})
	out, err := renderTop(t, &Engine{}, c, map[string]any{"v": "V"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out["c/templates/t.yaml"], "[rel-V][rel-V][rel-V]|XX|"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	_, err = renderTop(t, &Engine{}, newChart("c", map[string]string{"templates/t.yaml": `{{ tpl "{{ .x | nosuchfn }}" . }}`}), nil)
	if err == nil || !strings.Contains(err.Error(), `cannot parse template "{{ .x | nosuchfn }}"`) {
		t.Fatalf("want tpl parse error, got %v", err)
	}
}

func TestFilesObject(t *testing.T) {
	c := newChart("c", map[string]string{"templates/t.yaml": `{{ .Files.Get "conf/a.txt" }}|{{ len (.Files.Lines "conf/a.txt") }}|{{ range $p, $_ := .Files.Glob "conf/*.txt" }}{{ $p }},{{ end }}|{{ (.Files.Glob "conf/b.*").AsConfig }}|{{ (.Files.Glob "conf/b.*").AsSecrets }}|{{ .Files.Get "missing" }}`})
	c.Files = []*chart.File{
		{Name: "conf/a.txt", Data: []byte("one\ntwo\n")},
		{Name: "conf/b.txt", Data: []byte("bee")},
		{Name: "other/c.txt", Data: []byte("c")},
	}
	out, err := renderTop(t, &Engine{}, c, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	want := "one\ntwo\n|2|conf/a.txt,conf/b.txt,|b.txt: bee|b.txt: YmVl|"
	if got := out["c/templates/t.yaml"]; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestParallelRenderMatchesSerial(t *testing.T) {
	tpls := map[string]string{"templates/_h.tpl": `{{ define "h" }}{{ .Values.n }}-{{ .Template.Name }}{{ end }}`}
	for i := range 50 {
		tpls["templates/t"+strings.Repeat("x", i)+".yaml"] = `v: {{ include "h" . }}`
	}
	c := newChart("c", tpls)
	serial, err := renderTop(t, &Engine{Parallelism: 1}, c, map[string]any{"n": 7})
	if err != nil {
		t.Fatal(err)
	}
	par, err := renderTop(t, &Engine{Parallelism: 8}, c, map[string]any{"n": 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(serial) != 50 || len(par) != 50 {
		t.Fatalf("rendered %d and %d templates", len(serial), len(par))
	}
	for k, v := range serial {
		if par[k] != v || !strings.HasSuffix(v, k) {
			t.Fatalf("%s: serial %q parallel %q", k, v, par[k])
		}
	}
}

func TestTemplatesShareMutationsInHelmOrder(t *testing.T) {
	// istio's charts rewrite $.Values in zzz_profile.yaml, which Helm renders
	// first (reverse order); every later template must see the change.
	c := newChart("c", map[string]string{
		"templates/zzz_profile.yaml": `{{- $_ := set $ "Values" (dict "x" "patched") }}`,
		"templates/a.yaml":           `x: {{ .Values.x }}`,
		"templates/b.yaml":           `x: {{ .Values.x }}`,
	})
	out, err := renderTop(t, &Engine{Parallelism: 4}, c, map[string]any{"x": "orig"})
	if err != nil {
		t.Fatal(err)
	}
	if out["c/templates/a.yaml"] != "x: patched" || out["c/templates/b.yaml"] != "x: patched" {
		t.Fatalf("mutation not shared: %v", out)
	}
}

func TestTplThatMutatesFallsBackToHelmOrder(t *testing.T) {
	// No template mutates anything statically, so rendering starts
	// concurrently; the tpl string does, so it must restart in Helm's order.
	tpls := map[string]string{"templates/zzz.yaml": `{{ tpl .Values.hook . }}`}
	for i := range 20 {
		tpls["templates/t"+strings.Repeat("x", i)+".yaml"] = `x: {{ .Values.x }}`
	}
	c := newChart("c", tpls)
	out, err := renderTop(t, &Engine{Parallelism: 4}, c, map[string]any{"x": "orig", "hook": `{{ $_ := set .Values "x" "mutated" }}`})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range out {
		if k != "c/templates/zzz.yaml" && v != "x: mutated" {
			t.Fatalf("%s = %q: the tpl mutation did not run first", k, v)
		}
	}
}

// TestPrivateMutationsStayConcurrent: changing maps a template built itself
// does not stop the concurrent render.
func TestPrivateMutationsStayConcurrent(t *testing.T) {
	tpls := map[string]string{"templates/_h.tpl": `{{ define "h" }}{{ $d := dict "a" 1 }}{{ $_ := set $d "b" .Values.n }}{{ $_ := unset $d "a" }}{{ $m := merge (dict) $d (fromYaml "c: 3") }}{{ $m = mergeOverwrite $m (dict "c" 4) }}{{ toJson $m }}{{ end }}`}
	for i := range 30 {
		tpls["templates/t"+strings.Repeat("x", i)+".yaml"] = `v: {{ include "h" . }}`
	}
	c := newChart("c", tpls)
	srcs, jobs, outs, stop, err := runConcurrently(t, c, map[string]any{"n": 7})
	if err != nil || stop != len(jobs) {
		t.Fatalf("private mutations stopped the concurrent render at %d of %d: %v", stop, len(jobs), err)
	}
	for _, i := range jobs {
		if outs[i] != `v: {"b":7,"c":4}` {
			t.Fatalf("%s = %q", srcs[i].name, outs[i])
		}
	}
}

// TestSharedMutationsFollowHelmOrder: whichever way a template reaches a
// shared map (the values, a subchart's root through .Subcharts, a nested map
// that merge would change through a dict), the render gives Helm's result:
// templates after it in Helm's order see the change, those before do not.
func TestSharedMutationsFollowHelmOrder(t *testing.T) {
	for name, mutate := range map[string]string{
		"set values":         `{{ $_ := set .Values.cfg "x" "mutated" }}`,
		"unset values":       `{{ $_ := unset .Values.cfg "x" }}{{ $_ := set .Values.cfg "x" "mutated" }}`,
		"set through a dict": `{{ $d := dict "v" .Values.cfg }}{{ $_ := set $d.v "x" "mutated" }}`,
		"merge nested":       `{{ $d := dict "cfg" .Values.cfg }}{{ $_ := mergeOverwrite $d (dict "cfg" (dict "x" "mutated")) }}`,
		"merge values":       `{{ $_ := merge .Values.cfg (dict "y" 1) }}{{ $_ := set .Values.cfg "x" "mutated" }}`,
		"set root":           `{{ $_ := set $ "Values" (dict "cfg" (dict "x" "mutated")) }}`,
		"subchart values":    `{{ $_ := set .Subcharts.sub.Values "x" "mutated" }}`,
	} {
		t.Run(name, func(t *testing.T) {
			sub := newChart("sub", map[string]string{"templates/s.yaml": `x: {{ .Values.x }}`})
			tpls := map[string]string{"templates/m.yaml": mutate}
			for i := range 12 {
				// Helm renders in reverse name order: "n..." before "m.yaml",
				// "l..." after it.
				tpls["templates/n"+strings.Repeat("x", i)+".yaml"] = `x: {{ .Values.cfg.x }}`
				tpls["templates/l"+strings.Repeat("x", i)+".yaml"] = `x: {{ .Values.cfg.x }}`
			}
			c := newChart("c", tpls, sub)
			vals := map[string]any{"cfg": map[string]any{"x": "orig"}, "sub": map[string]any{"x": "orig"}}
			want, err := renderTop(t, &Engine{Parallelism: 1}, c, vals)
			if err != nil {
				t.Fatal(err)
			}
			vals = map[string]any{"cfg": map[string]any{"x": "orig"}, "sub": map[string]any{"x": "orig"}}
			got, err := renderTop(t, &Engine{Parallelism: 4}, c, vals)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s: concurrent %q, Helm's order %q", k, got[k], v)
				}
			}
			if name != "subchart values" && want["c/templates/lxx.yaml"] != "x: mutated" {
				t.Fatalf("the mutation did not reach later templates: %q", want["c/templates/lxx.yaml"])
			}
		})
	}
}

// TestNoOpChangesStayConcurrent: setting a shared key to the value it holds,
// or merging defaults already present, changes nothing and may run
// concurrently; setting a map (even an equal one) may not, since later
// changes to that map must show through the shared object.
func TestNoOpChangesStayConcurrent(t *testing.T) {
	for name, tc := range map[string]struct {
		tpl        string
		concurrent bool
	}{
		"same scalar":       {`{{ $_ := set .Values.cfg "x" "orig" }}{{ .Values.cfg.x }}`, true},
		"unset absent":      {`{{ $_ := unset .Values.cfg "nope" }}{{ .Values.cfg.x }}`, true},
		"merge present":     {`{{ $_ := merge .Values.cfg (dict "x" "other") }}{{ .Values.cfg.x }}`, true},
		"overwrite same":    {`{{ $_ := mergeOverwrite .Values.cfg (dict "x" "orig") }}{{ .Values.cfg.x }}`, true},
		"other scalar":      {`{{ $_ := set .Values.cfg "x" "new" }}{{ .Values.cfg.x }}`, false},
		"equal map":         {`{{ $m := dict }}{{ $_ := set .Values.cfg "m" $m }}{{ $_ := set $m "a" 1 }}{{ .Values.cfg.m.a }}`, false},
		"merge adds":        {`{{ $_ := merge .Values.cfg (dict "y" 1) }}{{ .Values.cfg.y }}`, false},
		"overwrite changes": {`{{ $_ := mergeOverwrite .Values.cfg (dict "x" "new") }}{{ .Values.cfg.x }}`, false},
		"merge into a copy": {`{{ $d := dict "Values" (deepCopy .Values) | mustMergeOverwrite (deepCopy .) }}{{ $d.Values.cfg.x }}{{ $d.Chart.Name }}`, true},
		"merge into root":   {`{{ $d := dict "Values" (deepCopy .Values) | mustMergeOverwrite . }}{{ $d.Values.cfg.x }}`, false},
	} {
		t.Run(name, func(t *testing.T) {
			tpls := map[string]string{}
			for i := range 6 {
				tpls["templates/t"+strings.Repeat("x", i)+".yaml"] = tc.tpl
			}
			c := newChart("c", tpls)
			vals := func() map[string]any {
				return map[string]any{"cfg": map[string]any{"x": "orig", "m": map[string]any{}}}
			}
			want, err := renderTop(t, &Engine{Parallelism: 1}, c, vals())
			if err != nil {
				t.Fatal(err)
			}
			_, jobs, _, stop, err := runConcurrently(t, c, vals())
			if err != nil {
				t.Fatal(err)
			}
			if got := stop == len(jobs); got != tc.concurrent {
				t.Fatalf("ran concurrently to the end: %v, want %v", got, tc.concurrent)
			}
			got, err := renderTop(t, &Engine{Parallelism: 4}, c, vals())
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("%s: %q, Helm's order gives %q", k, got[k], v)
				}
			}
		})
	}
}

// runConcurrently runs one concurrent phase of c's templates (see
// executeParallel) and returns the sources, the jobs, outputs and stop.
func runConcurrently(t *testing.T, c *chart.Chart, vals map[string]any) ([]*tplSource, []int, []string, int, error) {
	t.Helper()
	top := NewRenderValues(c, vals, Options{ReleaseName: "rel", Namespace: "ns"}, common.DefaultCapabilities(nil))
	e := &Engine{Parallelism: 4}
	srcs := collectTemplates(c, top)
	set, _, err := e.parse(srcs, true)
	if err != nil {
		t.Fatal(err)
	}
	var jobs []int
	for i, s := range srcs {
		if !s.partial {
			jobs = append(jobs, i)
		}
	}
	g, release := newGuard(context.Background(), DefaultLimits(), nil)
	defer release()
	outs, stop, err := e.executeParallel(context.Background(), g, set, srcs, jobs, 4, newKeyReplay())
	return srcs, jobs, outs, stop, err
}

// TestIdenticalFilesParsedOnce: subcharts holding the same files render as
// if each were parsed, and errors name the file that failed.
func TestIdenticalFilesParsedOnce(t *testing.T) {
	files := map[string]string{
		"templates/_h.tpl":  `{{ define "lib.name" }}{{ .Chart.Name }}-{{ required "need x" .Values.x }}{{ end }}`,
		"templates/cm.yaml": `name: {{ include "lib.name" . }} file: {{ .Template.Name }}`,
	}
	mk := func() *chart.Chart {
		return newChart("top", nil, newChart("a", files), newChart("b", files), newChart("c", files))
	}
	vals := func(bx any) map[string]any {
		return map[string]any{"a": map[string]any{"x": 1}, "b": map[string]any{"x": bx}, "c": map[string]any{"x": 3}}
	}
	srcs := collectTemplates(mk(), NewRenderValues(mk(), vals(2), Options{ReleaseName: "rel", Namespace: "ns"}, common.DefaultCapabilities(nil)))
	if _, shared, err := (&Engine{}).parse(srcs, true); err != nil || !shared {
		t.Fatalf("identical files not shared: %v", err)
	}
	got, err := renderTop(t, &Engine{Parallelism: 4}, mk(), vals(2))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["top/charts/b/templates/cm.yaml"] != "name: b-2 file: top/charts/b/templates/cm.yaml" {
		t.Fatalf("got %v", got)
	}
	// b's x is missing: the error must name b's files, as when each file
	// is parsed on its own.
	_, err = renderTop(t, &Engine{Parallelism: 4}, mk(), vals(nil))
	if err == nil || !strings.Contains(err.Error(), "top/charts/b/templates/") {
		t.Fatalf("error %v, want one naming b's files", err)
	}
	_, wantErr := (&Engine{Parallelism: 4, LintMode: false}).renderUnshared(mk(), vals(nil))
	if err.Error() != wantErr.Error() {
		t.Fatalf("error %q, unshared parse gives %q", err, wantErr)
	}

	// A parse error in a shared file names the first file in Helm's order.
	broken := map[string]string{"templates/x.yaml": `{{ if }}`}
	c := newChart("top", nil, newChart("a", broken), newChart("b", broken))
	_, err = renderTop(t, &Engine{}, c, map[string]any{})
	_, wantErr = (&Engine{}).renderUnshared(newChart("top", nil, newChart("a", broken), newChart("b", broken)), map[string]any{})
	if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
		t.Fatalf("parse error %v, unshared parse gives %v", err, wantErr)
	}
}

// renderUnshared renders parsing every file on its own.
func (e *Engine) renderUnshared(c *chart.Chart, vals map[string]any) (map[string]string, error) {
	top := NewRenderValues(c, vals, Options{ReleaseName: "rel", Namespace: "ns"}, common.DefaultCapabilities(nil))
	srcs := collectTemplates(c, top)
	set, _, err := e.parse(srcs, false)
	if err != nil {
		return nil, err
	}
	g, release := newGuard(context.Background(), DefaultLimits(), nil)
	defer release()
	return e.execute(context.Background(), g, set, srcs)
}

// TestIncludeCacheKeepsMeaning: remembered includes never change what a
// template renders: changes to the argument, random values and changes made
// by the include itself all defeat the cache.
func TestIncludeCacheKeepsMeaning(t *testing.T) {
	c := newChart("c", map[string]string{
		"templates/_h.tpl": `{{ define "show" }}{{ .a }}{{ end }}` +
			`{{ define "rand" }}{{ randAlphaNum 12 }}{{ end }}` +
			`{{ define "bump" }}{{ $_ := set . "n" (add1 .n) }}{{ .n }}{{ end }}` +
			`{{ define "name" }}{{ .Chart.Name }}-{{ .Values.x }}{{ end }}` +
			`{{ define "nested" }}{{ .m.k }}{{ end }}`,
		"templates/t.yaml": `{{ $d := dict "a" 1 }}{{ include "show" $d }},{{ include "show" $d }},` +
			`{{ $_ := set $d "a" 2 }}{{ include "show" $d }},{{ include "show" (dict "a" 2) }},` +
			`{{ $c := dict "n" 0 }}{{ include "bump" $c }},{{ include "bump" $c }},` +
			`{{ include "name" . }},{{ include "name" . }},` +
			`{{ $m := dict "k" "v1" }}{{ $w := dict "m" $m }}{{ include "nested" $w }},{{ $_ := set $m "k" "v2" }}{{ include "nested" $w }}|` +
			`{{ include "rand" . }}|{{ include "rand" . }}`,
	})
	for _, par := range []int{1, 4} {
		out, err := renderTop(t, &Engine{Parallelism: par}, c, map[string]any{"x": "y"})
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(out["c/templates/t.yaml"], "|")
		if parts[0] != "1,1,2,2,1,2,c-y,c-y,v1,v2" {
			t.Fatalf("parallelism %d: %q", par, parts[0])
		}
		if len(parts[1]) != 12 || parts[1] == parts[2] {
			t.Fatalf("random includes were remembered: %q %q", parts[1], parts[2])
		}
	}
}

// TestTemplatesThatAllChangeTheRoot: when every template changes the shared
// root object as it starts (vault's pattern: computed flags set on `.`),
// the concurrent phases give way to Helm's order, and each template sees
// exactly what the templates before it set.
func TestTemplatesThatAllChangeTheRoot(t *testing.T) {
	tpls := map[string]string{}
	for i := range 10 {
		name := fmt.Sprintf("templates/t%02d.yaml", i)
		tpls[name] = fmt.Sprintf(`{{- $_ := set $ "flag%02d" true -}}`, i) +
			`{{- range $k, $v := $ }}{{ if hasPrefix "flag" $k }}{{ $k }} {{ end }}{{ end }}`
	}
	c := newChart("c", tpls)
	want, err := renderTop(t, &Engine{Parallelism: 1}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Helm renders in reverse name order: t09 first, seeing only its flag.
	if want["c/templates/t09.yaml"] != "flag09 " || want["c/templates/t00.yaml"] != "flag00 flag01 flag02 flag03 flag04 flag05 flag06 flag07 flag08 flag09 " {
		t.Fatalf("serial render: %q", want)
	}
	for range 5 {
		got, err := renderTop(t, &Engine{Parallelism: 4}, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("%s: concurrent %q, Helm's order %q", k, got[k], v)
			}
		}
	}
}

// TestCapabilitiesTypeNames: a chart printing the type of .Capabilities
// reads Helm v4.3.1's names (`helm template` prints "*common.Capabilities",
// "common.KubeVersion" and "common.VersionSet"), as it does for .Values.
func TestCapabilitiesTypeNames(t *testing.T) {
	c := newChart("caps", map[string]string{
		"templates/t.yaml": `{{ printf "%T" .Capabilities }}|{{ printf "%T" .Capabilities.KubeVersion }}|{{ printf "%T" .Capabilities.APIVersions }}`,
	})
	out, err := renderTop(t, &Engine{}, c, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out["caps/templates/t.yaml"], "*common.Capabilities|common.KubeVersion|common.VersionSet"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
