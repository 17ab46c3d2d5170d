package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	helmcli "helm.sh/helm/v4/pkg/cli"
	helmgetter "helm.sh/helm/v4/pkg/getter"
	helmrepo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/repo"
)

// packageVersions writes chart NAME at each version into dir as archives
// (lade's packager).
func packageVersions(t *testing.T, dir, name string, versions ...string) {
	t.Helper()
	for _, v := range versions {
		src := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(filepath.Join(src, "templates"), 0o755); err != nil {
			t.Fatal(err)
		}
		meta := fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\nappVersion: %q\ndescription: %s chart\nkeywords: [a, b]\n", name, v, v, name)
		if err := os.WriteFile(filepath.Join(src, "Chart.yaml"), []byte(meta), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "templates", "cm.yaml"), []byte("kind: ConfigMap\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := chart.Package(src, dir, chart.PackageOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// summary is what both sides must agree on for every entry.
func helmSummary(i *helmrepo.IndexFile) []string {
	var out []string
	for name, vs := range i.Entries {
		for _, v := range vs {
			out = append(out, fmt.Sprintf("%s %s %s %v %s %s", name, v.Version, v.AppVersion, v.URLs, v.Digest, v.Description))
		}
	}
	slices.Sort(out)
	return out
}

func ladeSummary(i *repo.IndexFile) []string {
	var out []string
	for name, vs := range i.Entries {
		for _, v := range vs {
			out = append(out, fmt.Sprintf("%s %s %s %v %s %s", name, v.Version, v.AppVersion, v.URLs, v.Digest, v.Description))
		}
	}
	slices.Sort(out)
	return out
}

// An index written by `lade repo index` is read by Helm's pkg/repo, and one
// written by Helm is read by lade, with the same entries; both pick the
// same version for the same constraint.
func TestRepoIndexBothWays(t *testing.T) {
	isolate(t)
	dir := t.TempDir()
	packageVersions(t, dir, "web", "1.0.0", "1.2.0", "2.0.0-rc.1")
	packageVersions(t, dir, "db", "0.1.0")

	byLade, err := repo.IndexDirectoryFile(dir, "https://charts.example.com/stable", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	helmRead, err := helmrepo.LoadIndexFile(byLade)
	if err != nil {
		t.Fatalf("Helm cannot read lade's index: %v", err)
	}
	ladeRead, err := repo.LoadIndexFile(byLade, 0, func(m string) { t.Errorf("warning: %s", m) })
	if err != nil {
		t.Fatal(err)
	}
	if h, l := helmSummary(helmRead), ladeSummary(ladeRead); !slices.Equal(h, l) || len(h) != 4 {
		t.Errorf("lade's index as Helm reads it:\n%v\nas lade reads it:\n%v", h, l)
	}

	helmIdx, err := helmrepo.IndexDirectory(dir, "https://charts.example.com/stable")
	if err != nil {
		t.Fatal(err)
	}
	helmIdx.SortEntries()
	byHelm := filepath.Join(t.TempDir(), "index.yaml")
	if err := helmIdx.WriteFile(byHelm, 0o644); err != nil {
		t.Fatal(err)
	}
	fromHelm, err := repo.LoadIndexFile(byHelm, 0, func(m string) { t.Errorf("warning: %s", m) })
	if err != nil {
		t.Fatalf("lade cannot read Helm's index: %v", err)
	}
	if h, l := helmSummary(helmIdx), ladeSummary(fromHelm); !slices.Equal(h, l) {
		t.Errorf("Helm's index:\n%v\nas lade reads it:\n%v", h, l)
	}
	cp := repo.NewCompact(fromHelm)
	for _, c := range []string{"", "1.0.0", "^1.0", "~1.0", ">1.5.0-0", ">=2.0.0"} {
		hv, herr := helmIdx.Get("web", c)
		lv, lerr := cp.Get("web", c)
		switch {
		case herr != nil && lerr != nil:
		case herr != nil || lerr != nil:
			t.Errorf("constraint %q: Helm %v, lade %v", c, herr, lerr)
		case hv.Version != lv.Version:
			t.Errorf("constraint %q: Helm picks %s, lade %s", c, hv.Version, lv.Version)
		}
	}
}

// repositories.yaml written by either is read by the other.
func TestRepositoriesFileBothWays(t *testing.T) {
	dir := t.TempDir()
	hf := helmrepo.NewFile()
	hf.Update(&helmrepo.Entry{Name: "one", URL: "https://one.example.com", Username: "u", Password: "p", PassCredentialsAll: true, CAFile: "/ca.pem"})
	byHelm := filepath.Join(dir, "helm.yaml")
	if err := hf.WriteFile(byHelm, 0o600); err != nil {
		t.Fatal(err)
	}
	lf, err := repo.LoadFile(byHelm)
	if err != nil {
		t.Fatal(err)
	}
	if e := lf.Get("one"); e == nil || e.URL != "https://one.example.com" || e.Password != "p" || !e.PassCredentialsAll || e.CAFile != "/ca.pem" {
		t.Fatalf("lade read Helm's entry as %+v", e)
	}
	lf.Update(&repo.Entry{Name: "two", URL: "https://two.example.com", InsecureSkipTLSVerify: true})
	byLade := filepath.Join(dir, "lade.yaml")
	if err := lf.WriteFile(byLade); err != nil {
		t.Fatal(err)
	}
	back, err := helmrepo.LoadFile(byLade)
	if err != nil {
		t.Fatal(err)
	}
	if e := back.Get("two"); e == nil || !e.InsecureSkipTLSVerify || back.Get("one") == nil || back.Get("one").Username != "u" {
		t.Fatalf("Helm read lade's file as %+v", back.Repositories)
	}
}

// A repository added through Helm's Go API (repositories.yaml entry and
// the index Helm's ChartRepository downloads into its cache) is searched
// and installed from by lade without a lade repo command.
func TestRepositoryAddedByHelmUsedByLade(t *testing.T) {
	isolate(t)
	pub := t.TempDir()
	packageVersions(t, pub, "web", "1.0.0", "1.1.0")
	if _, err := repo.IndexDirectoryFile(pub, "", "", nil); err != nil {
		t.Fatal(err)
	}
	srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub, TLS: true})
	cfg := filepath.Join(t.TempDir(), "repositories.yaml")
	cache := t.TempDir()

	entry := &helmrepo.Entry{Name: "viahelm", URL: srv.URL, CAFile: srv.CAFile}
	cr, err := helmrepo.NewChartRepository(entry, helmgetter.All(helmcli.New()))
	if err != nil {
		t.Fatal(err)
	}
	cr.CachePath = cache
	if _, err := cr.DownloadIndexFile(); err != nil {
		t.Fatal(err)
	}
	f := helmrepo.NewFile()
	f.Update(entry)
	if err := f.WriteFile(cfg, 0o600); err != nil {
		t.Fatal(err)
	}

	c := repo.NewClient(repo.Options{Paths: repo.Paths{Config: cfg, Cache: cache}, CacheDir: t.TempDir()})
	res, err := c.Search(repo.SearchOptions{Keyword: "web"})
	if err != nil || len(res) != 1 || res[0].Name != "viahelm/web" || res[0].Version != "1.1.0" {
		t.Fatalf("lade search of Helm's repository: %+v %v", res, err)
	}
	got, err := c.Resolve(context.Background(), "viahelm/web", repo.ResolveOptions{Version: "~1.0.0"})
	if err != nil || got.Chart.Metadata.Version != "1.0.0" {
		t.Fatalf("lade resolving viahelm/web ~1.0.0: %v %v", got, err)
	}
}
