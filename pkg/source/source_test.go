package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	"github.com/sirupsen/logrus"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
	"github.com/lade-dev/lade/pkg/repo"
)

func TestMain(m *testing.M) {
	// The in-process registry logs through logrus' standard logger.
	logrus.SetLevel(logrus.PanicLevel)
	os.Exit(m.Run())
}

// world is one chart, shop, at 1.0.0 and 1.2.0, in every place a
// reference can name: a directory and archives on disk, an OCI registry
// and a chart repository (both real servers from internal/testenv), added
// as "charts" to a repositories.yaml of the test's own.
type world struct {
	dir      string // holds shop/ (the chart directory) and the archives
	archives map[string][]byte
	// manifests are the OCI manifest digests, by version.
	manifests map[string]string
	reg       *testenv.Registry
	repo      *testenv.ChartRepo
	opts      Options // registry, repository and cache settings for them
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{dir: t.TempDir(), archives: map[string][]byte{}}
	writeFiles(t, filepath.Join(w.dir, "shop"), map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
		"values.yaml":           "replicas: 1\n",
		"templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop\n",
	})
	served := t.TempDir()
	for _, v := range []string{"1.0.0", "1.2.0"} {
		name, err := chart.Package(filepath.Join(w.dir, "shop"), served, chart.PackageOptions{Version: v})
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		w.archives[v] = data
		if err := os.WriteFile(filepath.Join(w.dir, filepath.Base(name)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := repo.IndexDirectoryFile(served, "", "", nil); err != nil {
		t.Fatal(err)
	}
	w.repo = testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: served})
	w.reg = testenv.NewRegistry(t)

	home := t.TempDir()
	w.opts = Options{
		Registry: registry.Options{
			PlainHTTP:      true,
			CacheDir:       filepath.Join(home, "cache"),
			RegistryConfig: filepath.Join(home, "config.json"),
		},
	}
	rc := repo.NewClient(repo.Options{
		Paths:    repo.Paths{Config: filepath.Join(home, "repositories.yaml"), Cache: filepath.Join(home, "repository")},
		CacheDir: w.opts.Registry.CacheDir,
	})
	w.opts.Repo = func() (*repo.Client, error) { return rc, nil }
	if _, err := rc.Add(context.Background(), &repo.Entry{Name: "charts", URL: w.repo.URL}, false); err != nil {
		t.Fatal(err)
	}
	c, err := registry.NewClient(w.opts.Registry)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w.manifests = map[string]string{}
	for _, v := range []string{"1.0.0", "1.2.0"} {
		res, err := c.Push(context.Background(), w.archives[v], "oci://"+w.reg.Host+"/charts", registry.PushOptions{})
		if err != nil {
			t.Fatal(err)
		}
		w.manifests[v] = res.Manifest.Digest.String()
	}
	return w
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResolveEveryKind resolves each kind of reference the fleet's
// Release spec.chart.ref may hold, with a version constraint and a digest
// pin, and checks the chart, the kind and the digest a caller sees.
func TestResolveEveryKind(t *testing.T) {
	w := newWorld(t)
	pin := func(v string) string { return digest.FromBytes(w.archives[v]).String() }
	for _, tc := range []struct {
		name, ref string
		tweak     func(*Options)
		kind      Kind
		version   string
		digest    string // want Source.Digest ("" for none)
	}{
		{name: "directory relative to the base", ref: "shop", tweak: func(o *Options) { o.BaseDir = w.dir }, kind: Local, version: "1.0.0"},
		{name: "archive relative to the base, pinned", ref: "shop-1.2.0.tgz", tweak: func(o *Options) { o.BaseDir, o.Digest = w.dir, pin("1.2.0") }, kind: Local, version: "1.2.0", digest: pin("1.2.0")},
		{name: "absolute archive path", ref: filepath.Join(w.dir, "shop-1.0.0.tgz"), tweak: func(o *Options) { o.BaseDir = "/nonexistent" }, kind: Local, version: "1.0.0"},
		{name: "oci, newest", ref: "oci://" + w.reg.Host + "/charts/shop", kind: OCI, version: "1.2.0", digest: pin("1.2.0")},
		{name: "oci, constraint, pinned", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Version, o.Digest = "~1.0", pin("1.0.0") }, kind: OCI, version: "1.0.0", digest: pin("1.0.0")},
		{name: "oci, pinned by the manifest", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Version, o.Digest = "1.2.0", w.manifests["1.2.0"] }, kind: OCI, version: "1.2.0", digest: pin("1.2.0")},
		// The pin names an older chart than the newest: it is fetched by its
		// manifest digest, not by version.
		{name: "oci, older manifest pinned, no version", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Digest = w.manifests["1.0.0"] }, kind: OCI, version: "1.0.0", digest: pin("1.0.0")},
		{name: "oci, older manifest pinned, loose constraint", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Version, o.Digest = "^1", w.manifests["1.0.0"] }, kind: OCI, version: "1.0.0", digest: pin("1.0.0")},
		{name: "REPO/CHART, constraint", ref: "charts/shop", tweak: func(o *Options) { o.Version = "<1.1" }, kind: Repo, version: "1.0.0", digest: pin("1.0.0")},
		{name: "REPO/CHART, no local path, pinned", ref: "charts/shop", tweak: func(o *Options) { o.NoLocal, o.Digest = true, pin("1.2.0") }, kind: Repo, version: "1.2.0", digest: pin("1.2.0")},
		{name: "--repo URL", ref: "shop", tweak: func(o *Options) { o.Repository.RepoURL, o.Version = w.repo.URL, "1.0.0" }, kind: Repo, version: "1.0.0", digest: pin("1.0.0")},
		{name: "archive URL, pinned", ref: w.repo.URL + "/shop-1.2.0.tgz", tweak: func(o *Options) { o.NoLocal, o.Digest = true, pin("1.2.0") }, kind: URL, version: "1.2.0", digest: pin("1.2.0")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := w.opts
			if tc.tweak != nil {
				tc.tweak(&o)
			}
			s, err := Resolve(context.Background(), tc.ref, o)
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != tc.kind || s.Chart.Name() != "shop" || s.Chart.Metadata.Version != tc.version || s.Digest.String() != tc.digest {
				t.Fatalf("got kind %v, chart %s %s, digest %q; want kind %v, shop %s, digest %q",
					s.Kind, s.Chart.Name(), s.Chart.Metadata.Version, s.Digest, tc.kind, tc.version, tc.digest)
			}
			if (s.Kind == OCI) != (s.Manifest != "") {
				t.Errorf("kind %v with manifest digest %q", s.Kind, s.Manifest)
			}
			if tc.kind.Remote() && string(s.Archive) != string(w.archives[tc.version]) {
				t.Errorf("Archive is not the %s archive (%d bytes)", tc.version, len(s.Archive))
			}
		})
	}
}

// TestResolveRefuses checks the errors a caller branches on, and that
// each names the reference.
func TestResolveRefuses(t *testing.T) {
	w := newWorld(t)
	other := digest.FromString("another archive").String()
	for _, tc := range []struct {
		name, ref string
		tweak     func(*Options)
		is        error
		text      string
	}{
		{name: "pinned oci archive differs", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Digest = other }, is: ErrDigestMismatch, text: "the pin is " + other},
		{name: "pinned oci manifest outside the constraint", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Version, o.Digest = "^1.2", w.manifests["1.0.0"] }, is: ErrVersionMismatch,
			text: "chart oci://" + w.reg.Host + "/charts/shop: pinned chart does not satisfy the version: the pin " + w.manifests["1.0.0"] + ` is version 1.0.0, which does not satisfy version "^1.2"`},
		{name: "pinned oci manifest is another version's", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Version, o.Digest = "1.2.0", w.manifests["1.0.0"] }, is: ErrVersionMismatch, text: `is version 1.0.0, which does not satisfy version "1.2.0"`},
		{name: "pinned oci archive is another version's", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Digest = digest.FromBytes(w.archives["1.0.0"]).String() }, is: ErrDigestMismatch,
			text: "no chart manifest in the repository has that digest, and version 1.2.0's archive has digest " + digest.FromBytes(w.archives["1.2.0"]).String()},
		{name: "pinned repository archive differs", ref: "charts/shop", tweak: func(o *Options) { o.Digest = other }, is: ErrDigestMismatch, text: "chart charts/shop"},
		{name: "pinned local archive differs", ref: "shop-1.0.0.tgz", tweak: func(o *Options) { o.BaseDir, o.Digest = w.dir, other }, is: ErrDigestMismatch, text: "chart shop-1.0.0.tgz"},
		{name: "pin is no digest", ref: "charts/shop", tweak: func(o *Options) { o.Digest = "sha256:abc" }, is: ErrInvalidDigest, text: `"sha256:abc" for charts/shop`},
		{name: "pinned directory", ref: "shop", tweak: func(o *Options) { o.BaseDir, o.Digest = w.dir, other }, is: ErrInvalidDigest, text: "a chart directory has no archive"},
		{name: "local directory refused", ref: "shop", tweak: func(o *Options) { o.BaseDir, o.NoLocal = w.dir, true }, is: ErrLocalRefused, text: "chart shop"},
		{name: "absolute archive refused", ref: filepath.Join(w.dir, "shop-1.0.0.tgz"), tweak: func(o *Options) { o.NoLocal = true }, is: ErrLocalRefused, text: "shop-1.0.0.tgz"},
		{name: "relative path refused", ref: "./shop", tweak: func(o *Options) { o.BaseDir, o.NoLocal = w.dir, true }, is: ErrLocalRefused, text: "./shop"},
		{name: "version not found", ref: "oci://" + w.reg.Host + "/charts/shop", tweak: func(o *Options) { o.Version = "^2" }, is: registry.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := w.opts
			tc.tweak(&o)
			s, err := Resolve(context.Background(), tc.ref, o)
			if !errors.Is(err, tc.is) {
				t.Fatalf("got %v (source %+v), want %v", err, s, tc.is)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
		})
	}
}

// TestResolvePackageAndRender: a kustomization-only directory is a
// package only when the caller takes packages; a chart about to be
// rendered must have its dependencies; a load started ahead is taken.
func TestResolvePackageAndRender(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "pkg"), map[string]string{
		"kustomization.yaml": "resources: [cm.yaml]\n",
		"cm.yaml":            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
	})
	writeFiles(t, filepath.Join(dir, "umbrella"), map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: db\n  version: 1.0.0\n  repository: oci://example.com/charts\n",
	})
	ctx := context.Background()

	s, err := Resolve(ctx, "pkg", Options{BaseDir: dir, Packages: true, OverlayRoot: dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.Kind != Package || s.Chart != nil || s.Overlay == nil || s.Name != "pkg" || len(s.Overlay.Files) != 2 {
		t.Fatalf("package: %+v", s)
	}
	if _, err := Resolve(ctx, "pkg", Options{BaseDir: dir}); err == nil || !strings.Contains(err.Error(), "Chart.yaml") {
		t.Fatalf("a kustomization without Packages: %v, want the chart loader's error", err)
	}
	if _, err := Resolve(ctx, "pkg", Options{BaseDir: dir, Packages: true, Digest: digest.FromString("x").String()}); !errors.Is(err, ErrInvalidDigest) {
		t.Fatalf("a pinned package: %v, want ErrInvalidDigest", err)
	}

	if s, err := Resolve(ctx, "umbrella", Options{BaseDir: dir}); err != nil || s.Chart.Name() != "umbrella" {
		t.Fatalf("umbrella without Render: %v", err)
	}
	_, err = Resolve(ctx, "umbrella", Options{BaseDir: dir, Render: true})
	if err == nil || !strings.Contains(err.Error(), "lade dependency build") || !strings.Contains(err.Error(), "db") {
		t.Fatalf("umbrella with a missing dependency, Render: %v", err)
	}

	var pre chart.Preloads
	chartDir := filepath.Join(dir, "umbrella")
	pre.Start(chartDir, nil)
	if _, err := Resolve(ctx, chartDir, Options{Charts: &pre}); err != nil {
		t.Fatal(err)
	}
	if _, started, _ := pre.Take(chartDir); started {
		t.Error("Resolve left the load started ahead untaken")
	}
}

func TestClassify(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "stable", "nginx"), map[string]string{"Chart.yaml": "apiVersion: v2\nname: nginx\nversion: 1.0.0\n"})
	for _, tc := range []struct {
		ref  string
		o    Options
		want Kind
	}{
		{"oci://r.example/charts/x", Options{}, OCI},
		{"https://r.example/x-1.0.0.tgz", Options{}, URL},
		{"x", Options{Repository: repo.ResolveOptions{RepoURL: "https://r.example"}}, Repo},
		{"stable/nginx", Options{}, Repo},                               // not on disk here
		{"stable/nginx", Options{BaseDir: dir}, Local},                  // a directory on the base
		{"stable/nginx", Options{BaseDir: dir, NoLocal: true}, Repo},    // the disk is not looked at
		{"./stable/nginx", Options{BaseDir: dir, NoLocal: true}, Local}, // refused by Resolve
	} {
		if got := Classify(tc.ref, tc.o); got != tc.want {
			t.Errorf("Classify(%q, base %q, no local %v) = %v, want %v", tc.ref, tc.o.BaseDir, tc.o.NoLocal, got, tc.want)
		}
	}
}
