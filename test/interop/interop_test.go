package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	helmloader "helm.sh/helm/v4/pkg/chart/v2/loader"
	helmchartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	helmcli "helm.sh/helm/v4/pkg/cli"
	helmdownloader "helm.sh/helm/v4/pkg/downloader"
	helmgetter "helm.sh/helm/v4/pkg/getter"
	helmregistry "helm.sh/helm/v4/pkg/registry"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
)

var fixture = filepath.Join("..", "..", "testdata", "charts", "registry", "webapp")

const created = "2024-05-06T07:08:09Z"

func TestMain(m *testing.M) {
	logrus.SetLevel(logrus.PanicLevel) // the in-process registry logs refused requests
	os.Exit(m.Run())
}

// isolate keeps Helm and lade away from the user's configuration and caches.
func isolate(t testing.TB) string {
	t.Helper()
	home := t.TempDir()
	for k, v := range map[string]string{
		"HOME":                 home,
		"XDG_CACHE_HOME":       filepath.Join(home, "cache"),
		"XDG_CONFIG_HOME":      filepath.Join(home, "config"),
		"XDG_DATA_HOME":        filepath.Join(home, "data"),
		"DOCKER_CONFIG":        filepath.Join(home, "docker"),
		"HELM_REGISTRY_CONFIG": filepath.Join(home, "helm", "registry.json"),
		"HELM_CACHE_HOME":      filepath.Join(home, "helm", "cache"),
		"HELM_CONFIG_HOME":     filepath.Join(home, "helm", "config"),
		"HELM_DATA_HOME":       filepath.Join(home, "helm", "data"),
		"SOURCE_DATE_EPOCH":    "",
	} {
		t.Setenv(k, v)
	}
	return home
}

// ladeClient is a lade registry client for reg with its own cache.
func ladeClient(t testing.TB, reg *testenv.Registry, out io.Writer, tweak func(*registry.Options)) *registry.Client {
	t.Helper()
	opts := registry.Options{
		PlainHTTP: reg.CAPEM == nil,
		CAFile:    reg.CAFile,
		CacheDir:  t.TempDir(),
		Out:       out,
	}
	if tweak != nil {
		tweak(&opts)
	}
	c, err := registry.NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// helmClient is Helm v4.3.1's registry client for reg.
func helmClient(t testing.TB, reg *testenv.Registry, out io.Writer, opts ...helmregistry.ClientOption) *helmregistry.Client {
	t.Helper()
	hc := reg.Client()
	t.Cleanup(hc.CloseIdleConnections)
	base := []helmregistry.ClientOption{helmregistry.ClientOptWriter(out), helmregistry.ClientOptHTTPClient(hc), helmregistry.ClientOptEnableCache(true)}
	if reg.CAPEM == nil {
		base = append(base, helmregistry.ClientOptPlainHTTP())
	}
	c, err := helmregistry.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ladePackage(t testing.TB, dir, version string) []byte {
	t.Helper()
	name, err := chart.Package(dir, t.TempDir(), chart.PackageOptions{Version: version})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// helmPackage packages a chart directory with Helm's own code.
func helmPackage(t testing.TB, dir string) []byte {
	t.Helper()
	ch, err := helmloader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	name, err := helmchartutil.Save(ch, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestHelmPullsWhatLadePushed(t *testing.T) {
	isolate(t)
	for _, secure := range []bool{false, true} {
		name := "plain-http"
		if secure {
			name = "tls+basic-auth"
		}
		t.Run(name, func(t *testing.T) {
			reg := testenv.NewRegistry(t)
			if secure {
				reg = testenv.NewSecureRegistry(t)
			}
			archive := ladePackage(t, fixture, "1.2.3+build.1")
			prov := []byte("-----BEGIN PGP SIGNED MESSAGE-----\nopaque\n")
			lc := ladeClient(t, reg, io.Discard, func(o *registry.Options) { o.Username, o.Password = reg.Username, reg.Password })
			created, _ := time.Parse(time.RFC3339, created)
			pushed, err := lc.Push(context.Background(), archive, "oci://"+reg.Host+"/charts", registry.PushOptions{Prov: prov, Created: created})
			if err != nil {
				t.Fatal(err)
			}

			var out bytes.Buffer
			var opts []helmregistry.ClientOption
			if secure {
				opts = append(opts, helmregistry.ClientOptBasicAuth(reg.Username, reg.Password))
			}
			hc := helmClient(t, reg, &out, opts...)
			tags, err := hc.Tags(reg.Host + "/charts/webapp")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(tags, []string{"1.2.3+build.1"}) {
				t.Errorf("helm sees tags %v", tags)
			}
			res, err := hc.Pull(reg.Host+"/charts/webapp:1.2.3+build.1", helmregistry.PullOptWithProv(true))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.Chart.Data, archive) || !bytes.Equal(res.Prov.Data, prov) {
				t.Error("helm pulled other bytes than lade pushed")
			}
			if res.Manifest.Digest != pushed.Manifest.Digest.String() {
				t.Errorf("helm digest %s, lade %s", res.Manifest.Digest, pushed.Manifest.Digest)
			}
			if res.Chart.Meta.Name != "webapp" || res.Chart.Meta.Version != "1.2.3+build.1" || res.Chart.Meta.AppVersion != "4.5.6" {
				t.Errorf("helm reads the config as %+v", res.Chart.Meta)
			}
			ref := reg.Host + "/charts/webapp:1.2.3_build.1"
			if !strings.HasPrefix(out.String(), "Pulled: "+ref+"\nDigest: "+res.Manifest.Digest+"\n") {
				t.Errorf("helm output:\n%s", out.String())
			}
			// Helm's loader takes lade's reproducible archive.
			ch, err := helmloader.LoadArchive(bytes.NewReader(res.Chart.Data))
			if err != nil {
				t.Fatal(err)
			}
			if len(ch.Templates) != 4 || len(ch.Dependencies()) != 1 || ch.Dependencies()[0].Name() != "cache" {
				t.Errorf("helm loaded %d templates, dependencies %v", len(ch.Templates), ch.Dependencies())
			}
		})
	}
}

func TestLadePullsWhatHelmPushed(t *testing.T) {
	isolate(t)
	reg := testenv.NewRegistry(t)
	archive := helmPackage(t, fixture) // Helm's own, non-reproducible package
	var hout bytes.Buffer
	hc := helmClient(t, reg, &hout)
	pushed, err := hc.Push(archive, reg.Host+"/charts/webapp:1.2.3", helmregistry.PushOptCreationTime(created))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	lc := ladeClient(t, reg, &out, nil)
	for _, tc := range []struct{ ref, version string }{
		{"oci://" + reg.Host + "/charts/webapp", ""},
		{"oci://" + reg.Host + "/charts/webapp", "^1"},
		{"oci://" + reg.Host + "/charts/webapp:1.2.3", ""},
		{"oci://" + reg.Host + "/charts/webapp@" + pushed.Manifest.Digest, ""},
	} {
		res, err := lc.Pull(context.Background(), tc.ref, tc.version)
		if err != nil {
			t.Fatalf("%s: %v", tc.ref, err)
		}
		if !bytes.Equal(res.Archive, archive) || res.Manifest.Digest.String() != pushed.Manifest.Digest {
			t.Errorf("%s: lade pulled other bytes than helm pushed", tc.ref)
		}
		if res.Chart.Metadata.Name != "webapp" || len(res.Chart.Dependencies()) != 1 {
			t.Errorf("%s: lade loaded %+v", tc.ref, res.Chart.Metadata)
		}
	}
	// Helm and lade print the same lines for a push.
	if !strings.HasPrefix(hout.String(), "Pushed: "+reg.Host+"/charts/webapp:1.2.3\nDigest: "+pushed.Manifest.Digest+"\n") {
		t.Errorf("helm push output %q", hout.String())
	}
}

// TestSameManifest: for the same archive and creation time, lade and Helm
// store byte-identical configs and manifests, so the digests agree.
func TestSameManifest(t *testing.T) {
	isolate(t)
	reg := testenv.NewRegistry(t)
	for _, version := range []string{"1.2.3", "2.0.0+meta.1"} {
		archive := ladePackage(t, fixture, version)
		prov := []byte("provenance")
		var hout, lout bytes.Buffer
		hres, err := helmClient(t, reg, &hout).Push(archive, reg.Host+"/helm/webapp:"+version,
			helmregistry.PushOptCreationTime(created), helmregistry.PushOptProvData(prov))
		if err != nil {
			t.Fatal(err)
		}
		when, _ := time.Parse(time.RFC3339, created)
		lres, err := ladeClient(t, reg, &lout, nil).Push(context.Background(), archive, "oci://"+reg.Host+"/lade", registry.PushOptions{Created: when, Prov: prov})
		if err != nil {
			t.Fatal(err)
		}
		if hres.Config.Digest != lres.Config.Digest.String() {
			t.Errorf("%s: config digests differ: helm %s, lade %s", version, hres.Config.Digest, lres.Config.Digest)
		}
		if hres.Manifest.Digest != lres.Manifest.Digest.String() {
			t.Errorf("%s: manifest digests differ: helm %s, lade %s", version, hres.Manifest.Digest, lres.Manifest.Digest)
		}
		// The printed lines match too (apart from the repository path).
		if got, want := strings.ReplaceAll(lout.String(), "/lade/", "/helm/"), hout.String(); got != want {
			t.Errorf("%s: lade printed\n%s\nhelm printed\n%s", version, got, want)
		}
	}
}

// TestCredentialsInterop: `helm registry login` credentials work for lade,
// and `lade registry login` ones (Docker's config.json) work for Helm.
func TestCredentialsInterop(t *testing.T) {
	home := isolate(t)
	reg := testenv.NewSecureRegistry(t)
	ctx := context.Background()
	archive := ladePackage(t, fixture, "")
	admin := ladeClient(t, reg, io.Discard, func(o *registry.Options) { o.Username, o.Password = reg.Username, reg.Password })
	if _, err := admin.Push(ctx, archive, "oci://"+reg.Host+"/charts", registry.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	helmConfig := os.Getenv("HELM_REGISTRY_CONFIG")
	hc := helmClient(t, reg, io.Discard, helmregistry.ClientOptCredentialsFile(helmConfig))
	if err := hc.Login(reg.Host, helmregistry.LoginOptBasicAuth(reg.Username, reg.Password), helmregistry.LoginOptTLSClientConfig("", "", reg.CAFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := ladeClient(t, reg, io.Discard, nil).Pull(ctx, "oci://"+reg.Host+"/charts/webapp", ""); err != nil {
		t.Fatalf("lade with helm's login: %v", err)
	}
	if err := hc.Logout(reg.Host); err != nil {
		t.Fatal(err)
	}
	if _, err := ladeClient(t, reg, io.Discard, nil).Pull(ctx, "oci://"+reg.Host+"/charts/webapp", "1.2.3"); err == nil {
		t.Fatal("lade pulled after helm logout")
	}

	lc := ladeClient(t, reg, io.Discard, nil)
	if err := lc.Login(ctx, reg.Host, reg.Username, reg.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, "docker", "config.json")); err != nil {
		t.Fatal(err)
	}
	// Helm falls back to Docker's config.json.
	hc2 := helmClient(t, reg, io.Discard, helmregistry.ClientOptCredentialsFile(helmConfig))
	if _, err := hc2.Pull(reg.Host + "/charts/webapp:1.2.3"); err != nil {
		t.Fatalf("helm with lade's login: %v", err)
	}
}

// TestLockFileInterop: Helm builds from the Chart.lock lade writes (digests
// included), and lade builds from the one Helm writes.
func TestLockFileInterop(t *testing.T) {
	home := isolate(t)
	reg := testenv.NewRegistry(t)
	ctx := context.Background()
	lc := ladeClient(t, reg, io.Discard, nil)
	for _, v := range []string{"1.0.0", "1.2.3", "2.0.0"} {
		if _, err := lc.Push(ctx, ladePackage(t, fixture, v), "oci://"+reg.Host+"/charts", registry.PushOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mkUmbrella := func() string {
		dir := filepath.Join(t.TempDir(), "umbrella")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cy := "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: webapp\n  version: ^1.0.0\n  repository: oci://" + reg.Host + "/charts\n  alias: web\n  import-values:\n  - child: image\n    parent: img\n"
		if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(cy), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	helmManager := func(dir string, out io.Writer) *helmdownloader.Manager {
		settings := helmcli.New()
		return &helmdownloader.Manager{
			Out:              out,
			ChartPath:        dir,
			Getters:          helmgetter.All(settings),
			RegistryClient:   helmClient(t, reg, out),
			RepositoryConfig: filepath.Join(home, "repositories.yaml"),
			RepositoryCache:  filepath.Join(home, "repository"),
			ContentCache:     filepath.Join(home, "content"),
			SkipUpdate:       true,
		}
	}

	// lade writes, Helm builds.
	dir := mkUmbrella()
	if err := lc.UpdateDependencies(ctx, dir, registry.DependencyOptions{}); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(dir, "charts", "webapp-1.2.3.tgz"))
	if err != nil {
		t.Fatal(err)
	}
	lockData, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if !strings.Contains(string(lockData), "digest: sha256:") {
		t.Fatalf("lade's Chart.lock:\n%s", lockData)
	}
	os.RemoveAll(filepath.Join(dir, "charts"))
	var hout bytes.Buffer
	if err := helmManager(dir, &hout).Build(); err != nil {
		t.Fatalf("helm dependency build of lade's Chart.lock: %v\n%s", err, hout.String())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "charts", "webapp-1.2.3.tgz")); !bytes.Equal(got, want) {
		t.Errorf("helm built another archive:\n%s", hout.String())
	}

	// Helm writes, lade builds.
	dir2 := mkUmbrella()
	if err := helmManager(dir2, io.Discard).Update(); err != nil {
		t.Fatal(err)
	}
	helmLock, _ := os.ReadFile(filepath.Join(dir2, "Chart.lock"))
	lock, err := registry.ReadLockFile(filepath.Join(dir2, "Chart.lock"))
	if err != nil {
		t.Fatal(err)
	}
	// Helm's lock digest is the one lade computes.
	ch, err := chart.LoadDir(dir2)
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := registry.HashRequirements(ch.Metadata.Dependencies, lock.Dependencies); err != nil || sum != lock.Digest {
		t.Fatalf("lade hashes helm's lock to %s, helm wrote %s:\n%s", sum, lock.Digest, helmLock)
	}
	os.RemoveAll(filepath.Join(dir2, "charts"))
	if err := lc.BuildDependencies(ctx, dir2, registry.DependencyOptions{}); err != nil {
		t.Fatalf("lade dependency build of helm's Chart.lock: %v\n%s", err, helmLock)
	}
	if got, _ := os.ReadFile(filepath.Join(dir2, "charts", "webapp-1.2.3.tgz")); !bytes.Equal(got, want) {
		t.Error("lade built another archive from helm's lock")
	}

	// Both write the same lock apart from lade's digests and the time.
	var ll, hl map[string]any
	if err := yaml.Unmarshal(lockData, &ll); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(helmLock, &hl); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]any{ll, hl} {
		delete(m, "generated")
		for _, d := range m["dependencies"].([]any) {
			delete(d.(map[string]any), "digest")
		}
	}
	a, _ := json.Marshal(ll)
	b, _ := json.Marshal(hl)
	if !bytes.Equal(a, b) {
		t.Errorf("locks differ:\nlade %s\nhelm %s", a, b)
	}
}

// countingClient counts the requests of an HTTP client.
type countingClient struct {
	base http.RoundTripper
	n    int64
}

func (c *countingClient) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.base.RoundTrip(r)
}
