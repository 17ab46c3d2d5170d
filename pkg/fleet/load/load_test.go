package load_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/fleet/load"
)

func keys(rs []*load.Release) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Key().String())
	}
	return out
}

func levels(f *load.Fleet) [][]string {
	var out [][]string
	for _, l := range f.Order() {
		out = append(out, keys(l))
	}
	return out
}

func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A directory of Release files: every document read, defaults applied as
// the API server applies them, local paths made absolute, namespaces
// filled, and the releases ordered by their dependencies.
func TestLoadDirectory(t *testing.T) {
	f, err := load.Load(context.Background(), "testdata/good", load.Options{Namespace: "apps"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "good" || f.Path != abs(t, "testdata/good") {
		t.Errorf("fleet name %q path %q", f.Name, f.Path)
	}
	want := [][]string{{"data/db", "apps/cache"}, {"apps/web"}, {"apps/worker"}}
	if got := levels(f); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Order() = %v, want %v", got, want)
	}
	if got := keys(f.Releases); !slices.Equal(got, []string{"data/db", "apps/cache", "apps/web", "apps/worker"}) {
		t.Errorf("Releases = %v", got)
	}
	if len(f.External) != 0 {
		t.Errorf("External = %v", f.External)
	}

	web := f.Get(load.Key{Namespace: "apps", Name: "web"})
	if web.Source.File != filepath.Join("testdata/good", "releases.yaml") || web.Source.Doc != 3 || web.Source.Line != 25 {
		t.Errorf("web source %+v", web.Source)
	}
	if !web.LocalChart() || web.Spec.Chart.Ref != abs(t, "testdata/charts/app") {
		t.Errorf("web chart %q", web.Spec.Chart.Ref)
	}
	if got := web.Spec.ValuesFiles; !slices.Equal(got, []string{abs(t, "testdata/good/values/web.yaml")}) {
		t.Errorf("web valuesFiles %v", got)
	}
	if web.Spec.Overlay.Path != abs(t, "testdata/good/overlays/web") {
		t.Errorf("web overlay %q", web.Spec.Overlay.Path)
	}
	if got := web.Dependencies(); !slices.Equal(got, []load.Key{{Namespace: "data", Name: "db"}, {Namespace: "apps", Name: "cache"}}) {
		t.Errorf("web dependencies %v", got)
	}
	// Set in the file.
	if *web.Spec.Wait || web.Spec.Timeout.Duration.String() != "1m30s" {
		t.Errorf("web wait %v timeout %v", *web.Spec.Wait, web.Spec.Timeout)
	}
	// Defaults of the CRD.
	if *web.Spec.MaxHistory != 10 || web.Spec.CRDs != v1alpha1.CRDsCreate || web.Spec.Interval.Duration.String() != "10m0s" ||
		web.Spec.DriftCorrection != v1alpha1.DriftEnabled {
		t.Errorf("web defaults: maxHistory %v crds %q interval %v drift %q", *web.Spec.MaxHistory, web.Spec.CRDs, web.Spec.Interval, web.Spec.DriftCorrection)
	}

	cache := f.Get(load.Key{Namespace: "apps", Name: "cache"})
	var values map[string]any
	if err := json.Unmarshal(cache.Spec.Values.Raw, &values); err != nil || values["enabled"] != true {
		t.Errorf("cache values %s (YAML 1.1 yes, as kubectl reads it): %v", cache.Spec.Values.Raw, err)
	}
	if cache.LocalChart() || cache.Spec.Chart.Ref != "bitnami/redis" || !*cache.Spec.Wait || cache.Spec.Timeout.Duration.String() != "5m0s" {
		t.Errorf("cache chart %q wait %v timeout %v", cache.Spec.Chart.Ref, *cache.Spec.Wait, cache.Spec.Timeout)
	}
	worker := f.Get(load.Key{Namespace: "apps", Name: "worker"})
	if worker.Spec.Values != nil || !worker.Spec.Suspend || worker.Spec.CRDs != v1alpha1.CRDsSkip || worker.Source.File != filepath.Join("testdata/good", "worker.yml") {
		t.Errorf("worker %+v from %+v", worker.Spec, worker.Source)
	}
}

// One file of the directory loads on its own; a dependency outside it is
// an error unless the cluster has it installed.
func TestLoadFileExternalDependencies(t *testing.T) {
	ctx := context.Background()
	_, err := load.Load(ctx, "testdata/good/worker.yml", load.Options{Namespace: "apps"})
	if !errors.Is(err, load.ErrDependency) || !strings.Contains(err.Error(), "testdata/good/worker.yml:1: Release apps/worker (document 1): spec.dependsOn[0]: apps/web is not in the fleet") {
		t.Fatalf("err = %v", err)
	}
	var asked []load.Key
	installed := func(_ context.Context, k load.Key) (bool, error) {
		asked = append(asked, k)
		return k.Name == "web", nil
	}
	f, err := load.Load(ctx, "testdata/good/worker.yml", load.Options{Namespace: "apps", Installed: installed})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.External, []load.Key{{Namespace: "apps", Name: "web"}}) || len(asked) != 1 || f.Name != "worker" {
		t.Errorf("External %v, asked %v, name %q", f.External, asked, f.Name)
	}
}

// -l selects releases; the dependencies it leaves out are external (in the
// fleet, to be waited for) or, when the cluster says they are not
// installed, errors.
func TestLoadSelector(t *testing.T) {
	ctx := context.Background()
	sel, err := labels.Parse("tier=front")
	if err != nil {
		t.Fatal(err)
	}
	f, err := load.Load(ctx, "testdata/good", load.Options{Namespace: "apps", Selector: sel})
	if err != nil {
		t.Fatal(err)
	}
	if got := levels(f); !slices.EqualFunc(got, [][]string{{"apps/web"}, {"apps/worker"}}, slices.Equal) {
		t.Errorf("Order() = %v", got)
	}
	if got := f.External; !slices.Equal(got, []load.Key{{Namespace: "apps", Name: "cache"}, {Namespace: "data", Name: "db"}}) {
		t.Errorf("External = %v", got)
	}
	if f.Get(load.Key{Namespace: "data", Name: "db"}) != nil {
		t.Error("Get returns a release the selector left out")
	}
	notInstalled := func(context.Context, load.Key) (bool, error) { return false, nil }
	_, err = load.Load(ctx, "testdata/good", load.Options{Namespace: "apps", Selector: sel, Installed: notInstalled})
	if !errors.Is(err, load.ErrDependency) || !strings.Contains(err.Error(), "spec.dependsOn[0]: data/db is in the fleet but not selected, and not installed") {
		t.Fatalf("err = %v", err)
	}
}

// A kustomize-built environment: the prod overlay patches one release's
// version and values and labels all; paths still resolve against the base
// file that declares them.
func TestLoadKustomizeOverlay(t *testing.T) {
	ctx := context.Background()
	base, err := load.Load(ctx, "testdata/env/base", load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prod, err := load.Load(ctx, "testdata/env/overlays/prod", load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if prod.Name != "prod" {
		t.Errorf("name %q", prod.Name)
	}
	for _, f := range []*load.Fleet{base, prod} {
		if got := levels(f); !slices.EqualFunc(got, [][]string{{"shop/db"}, {"shop/web"}}, slices.Equal) {
			t.Errorf("%s: Order() = %v", f.Name, got)
		}
	}
	bweb, pweb := base.Get(load.Key{Namespace: "shop", Name: "web"}), prod.Get(load.Key{Namespace: "shop", Name: "web"})
	if bweb.Spec.Chart.Version != "1.0.0" || pweb.Spec.Chart.Version != "1.1.0" {
		t.Errorf("versions base %q prod %q", bweb.Spec.Chart.Version, pweb.Spec.Chart.Version)
	}
	if string(bweb.Spec.Values.Raw) != `{"image":{"tag":"stable"},"replicas":1}` || string(pweb.Spec.Values.Raw) != `{"image":{"tag":"stable"},"replicas":5}` {
		t.Errorf("values base %s prod %s", bweb.Spec.Values.Raw, pweb.Spec.Values.Raw)
	}
	if pweb.Labels["env"] != "prod" || bweb.Labels["env"] != "" {
		t.Errorf("labels base %v prod %v", bweb.Labels, pweb.Labels)
	}
	if _, ok := pweb.Annotations["config.kubernetes.io/origin"]; ok {
		t.Errorf("the origin annotation lade asked kustomize for is left on the Release: %v", pweb.Annotations)
	}
	for _, w := range []*load.Release{bweb, pweb} {
		if w.Spec.Chart.Ref != abs(t, "testdata/charts/app") || !slices.Equal(w.Spec.ValuesFiles, []string{abs(t, "testdata/env/base/values/web.yaml")}) {
			t.Errorf("%s: chart %q values %v", w.Source, w.Spec.Chart.Ref, w.Spec.ValuesFiles)
		}
	}
	want := load.Source{File: filepath.Join("testdata/env/overlays/prod", "../../base/releases.yaml"), Line: 7, Kustomization: "testdata/env/overlays/prod"}
	if pweb.Source != want || pweb.Source.String() != "testdata/env/base/releases.yaml:7 (kustomize build testdata/env/overlays/prod)" {
		t.Errorf("source %+v %q", pweb.Source, pweb.Source)
	}
	// The user's kustomization is read, never written.
	k, err := os.ReadFile("testdata/env/overlays/prod/kustomization.yaml")
	if err != nil || strings.Contains(string(k), "buildMetadata") {
		t.Errorf("kustomization.yaml changed: %s %v", k, err)
	}
}

// Errors in kustomize-built fleets name the file the Release came from and
// the kustomization.
func TestLoadKustomizeErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("base/kustomization.yaml", "resources: [r.yaml]\n")
	write("base/r.yaml", "apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: web}\nspec:\n  chart: {ref: oci://x/web}\n")
	write("prod/kustomization.yaml", "resources: [../base]\npatches:\n- target: {kind: Release}\n  patch: '[{\"op\": \"add\", \"path\": \"/spec/crds\", \"value\": \"replace\"}]'\n")
	_, err := load.Load(context.Background(), filepath.Join(dir, "prod"), load.Options{})
	want := filepath.Join(dir, "base/r.yaml") + ":1 (kustomize build " + filepath.Join(dir, "prod") + `): Release web: spec.crds: unsupported value "replace"`
	if !errors.Is(err, load.ErrInvalid) || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	write("bad/kustomization.yaml", "resources: [missing.yaml]\n")
	_, err = load.Load(context.Background(), filepath.Join(dir, "bad"), load.Options{})
	if !errors.Is(err, load.ErrRead) || !strings.Contains(err.Error(), filepath.Join(dir, "bad")+": kustomize build: ") || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("err = %v", err)
	}
}

// Each file of testdata/invalid says on its first line what Load must
// report: "# want: LINE FIELD MESSAGE" (FIELD - for none).
func TestLoadErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	kinds := map[string]error{"duplicate": load.ErrDuplicate, "cycle": load.ErrCycle, "self-dependency": load.ErrCycle, "missing-dependency": load.ErrDependency}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			line, field, msg := wantOf(t, file)
			f, err := load.Load(context.Background(), file, load.Options{})
			if err == nil {
				t.Fatalf("loaded %v", keys(f.Releases))
			}
			kind := load.ErrInvalid
			if k, ok := kinds[name]; ok {
				kind = k
			}
			if !errors.Is(err, kind) {
				t.Errorf("error is not %v: %v", kind, err)
			}
			var e *load.Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *load.Error: %v", err)
			}
			text := err.Error()
			if strings.Count(text, "\n") != 0 {
				t.Errorf("more than one error:\n%s", text)
			}
			if !strings.HasPrefix(text, file+":"+strconv.Itoa(line)+": ") {
				t.Errorf("error does not start with %s:%d:\n%s", file, line, text)
			}
			if field != "-" && e.Field != field || !strings.Contains(text, ": "+field+": ") && field != "-" {
				t.Errorf("field %q, want %q:\n%s", e.Field, field, text)
			}
			if !strings.Contains(text, msg) {
				t.Errorf("error lacks %q:\n%s", msg, text)
			}
		})
	}
}

// wantOf reads "# want: LINE FIELD MESSAGE" from a file's first line.
func wantOf(t *testing.T, file string) (int, string, string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	parts := strings.SplitN(strings.TrimPrefix(first, "# want: "), " ", 3)
	if len(parts) != 3 {
		t.Fatalf("%s: first line is not # want: LINE FIELD MESSAGE", file)
	}
	line, err := strconv.Atoi(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	return line, parts[1], parts[2]
}

// Every problem is reported, not only the first.
func TestLoadReportsEveryError(t *testing.T) {
	_, err := load.Load(context.Background(), "testdata/invalid", load.Options{})
	if err == nil {
		t.Fatal("no error")
	}
	for _, f := range []string{"missing-ref.yaml:7", "bad-crds.yaml:8", "unknown-field.yaml:9", "values-list.yaml:8", "wrong-kind.yaml:3"} {
		if !strings.Contains(err.Error(), filepath.Join("testdata/invalid", f)+": ") {
			t.Errorf("%s not reported:\n%v", f, err)
		}
	}
}

// The helmfile migration example of docs/fleets.md is testdata/migrated,
// and loads as the guide says: prod differs from default in web's replicas
// only, and helmfile's options land in their fields.
func TestMigrationGuideFleet(t *testing.T) {
	guide, err := os.ReadFile("../../../docs/fleets.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"fleet/base/releases.yaml", "fleet/overlays/prod/kustomization.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/migrated", f))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(guide), "```yaml\n# "+f+"\n"+string(data)+"```") {
			t.Errorf("docs/fleets.md does not show testdata/migrated/%s as it is", f)
		}
	}
	ctx := context.Background()
	values := map[string]string{}
	for _, env := range []string{"default", "prod"} {
		f, err := load.Load(ctx, "testdata/migrated/fleet/overlays/"+env, load.Options{})
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		if got := levels(f); !slices.EqualFunc(got, [][]string{{"data/postgres"}, {"shop/web"}}, slices.Equal) {
			t.Errorf("%s: Order() = %v", env, got)
		}
		web := f.Get(load.Key{Namespace: "shop", Name: "web"})
		s := web.Spec
		if s.Chart.Ref != abs(t, "testdata/migrated/charts/web") || !s.CreateNamespace || !*s.Wait || s.Timeout.Duration.String() != "10m0s" ||
			!s.RollbackOnFailure || *s.MaxHistory != 5 || web.Labels["tier"] != "front" {
			t.Errorf("%s: web %+v labels %v", env, s, web.Labels)
		}
		values[env] = string(s.Values.Raw)
	}
	if values["default"] != `{"image":{"tag":"1.4.2"},"replicas":1}` || values["prod"] != `{"image":{"tag":"1.4.2"},"replicas":5}` {
		t.Errorf("web values %v", values)
	}
}

// Paths that hold no fleet.
func TestLoadReadErrors(t *testing.T) {
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("not yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"testdata/nope":                 "testdata/nope: no such file or directory",
		empty:                           empty + ": no Release documents",
		"testdata/good/values/web.yaml": "testdata/good/values/web.yaml:1: (document 1): apiVersion: required: lade.dev/v1alpha1",
	} {
		_, err := load.Load(context.Background(), path, load.Options{})
		if err == nil || err.Error() != want {
			t.Errorf("Load(%s) = %v, want %s", path, err, want)
		}
	}
}
