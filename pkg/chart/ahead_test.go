package chart

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPreloadsGivesTheLoadsResult(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":                 "apiVersion: v2\nname: shop\nversion: 1.2.0\n",
		"values.yaml":                "replicas: 2\nimage: {tag: v1}\n",
		"templates/deploy.yaml":      "kind: Deployment\n",
		"charts/db/Chart.yaml":       "apiVersion: v2\nname: db\nversion: 0.1.0\n",
		"charts/db/templates/s.yaml": "kind: Service\n",
	})
	want, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pre Preloads
	pre.Start(dir, nil)
	pre.Start(dir, nil) // a second start is the same load
	got, err := pre.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Metadata, want.Metadata) || !reflect.DeepEqual(got.Values, want.Values) ||
		len(got.Templates) != 1 || len(got.Dependencies()) != 1 || got.Dependencies()[0].Name() != "db" {
		t.Fatalf("ahead load differs from a load: %+v", got)
	}

	// Take reports the load it took, once.
	pre.Start(dir, nil)
	taken, started, err := pre.Take(dir)
	if err != nil || !started || !reflect.DeepEqual(taken.Metadata, want.Metadata) {
		t.Fatalf("Take: started %v, err %v, metadata %+v", started, err, taken)
	}
	if c, started, err := pre.Take(dir); started || c != nil || err != nil {
		t.Fatalf("a second Take found a load: %v %v %v", c, started, err)
	}

	// The result serves one Load: the next reads the chart again.
	pre.Start(dir, nil)
	if _, err := pre.Load(dir); err != nil {
		t.Fatal(err)
	}
	writeTree(t, dir, map[string]string{"Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.3.0\n"})
	again, err := pre.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Metadata.Version != "1.3.0" {
		t.Fatalf("second Load saw version %s, want the changed 1.3.0", again.Metadata.Version)
	}
}

func TestPreloadsKeepsWarningsForTheLoad(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Chart.yaml":        minimalChart,
		"requirements.yaml": "dependencies: []\n",
	})
	got := captureWarnings(t)
	var pre Preloads
	pre.Start(dir, nil)
	a, ok := pre.loads[dir]
	if !ok {
		t.Fatal("Start started nothing")
	}
	<-a.done
	if len(*got) != 0 {
		t.Fatalf("warnings printed by the load ahead, before Load: %q", *got)
	}
	if _, err := pre.Load(dir); err != nil {
		t.Fatal(err)
	}
	if len(*got) != 1 || !strings.Contains((*got)[0], "Dependencies are handled in Chart.yaml") {
		t.Fatalf("warnings after Load: %q, want the requirements.yaml warning once", *got)
	}
}

func TestPreloadsReportsTheLoadsError(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Chart.yaml": "apiVersion: v2\nname: [broken\n"})
	_, want := Load(dir)
	if want == nil {
		t.Fatal("a broken Chart.yaml loaded")
	}
	var pre Preloads
	pre.Start(dir, nil)
	_, err := pre.Load(dir)
	if err == nil || err.Error() != want.Error() {
		t.Fatalf("ahead load error %v, want %v", err, want)
	}

	archive := filepath.Join(t.TempDir(), "c.tgz")
	if err := os.WriteFile(archive, []byte("name: not-gzip\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, want = Load(archive)
	pre.Start(archive, nil)
	if _, err := pre.Load(archive); err == nil || want == nil || err.Error() != want.Error() {
		t.Fatalf("ahead load of a bad archive: %v, want %v", err, want)
	}
}

func TestPreloadsThenRunsBeforeTheLoadReturns(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"Chart.yaml": minimalChart, "values.schema.json": `{"type": "object"}`})
	var seen []byte // written by then, read after Load: Load must wait for then
	var pre Preloads
	pre.Start(dir, func(c *Chart) { seen = c.Schema })
	c, err := pre.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(seen) != `{"type": "object"}` || string(c.Schema) != string(seen) {
		t.Fatalf("then saw schema %q before Load returned, want the chart's %q", seen, c.Schema)
	}

	broken := t.TempDir()
	writeTree(t, broken, map[string]string{"Chart.yaml": "name: [\n"})
	called := false
	pre.Start(broken, func(*Chart) { called = true })
	if _, err := pre.Load(broken); err == nil || called {
		t.Fatalf("a chart that did not load: err %v, then called %v", err, called)
	}
}
