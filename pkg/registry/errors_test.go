package registry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/lade-dev/lade/internal/testenv"
)

// proxy serves a real registry through an http.Handler wrapper, for failures
// a registry does not produce on its own (403s, corrupted bytes). It returns
// the proxy's host.
func proxy(t *testing.T, reg *testenv.Registry, wrap func(http.ResponseWriter, *http.Request, http.Handler)) string {
	t.Helper()
	u, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { wrap(w, r, rp) }))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// corrupting flips one byte of the responses to GETs whose path contains
// part, keeping their length and headers.
func corrupting(part string) func(http.ResponseWriter, *http.Request, http.Handler) {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, part) {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 40 {
			body[40] ^= 0x01
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	}
}

func TestPullDigestMismatch(t *testing.T) {
	reg := testenv.NewRegistry(t)
	archive := packageFixture(t, "")
	res := push(t, newTestClient(t, reg, nil), archive, "oci://"+reg.Host+"/charts")
	ctx := context.Background()

	for _, tc := range []struct {
		part, ref, want string
	}{
		{"/blobs/", "/charts/webapp:1.2.3", "digest mismatch: the registry sent content with digest sha256:"},
		{"/manifests/", "/charts/webapp:1.2.3", "digest mismatch: the registry sent content with digest sha256:"},
		{"/manifests/", "/charts/webapp@" + res.Manifest.Digest.String(), "digest mismatch: the registry sent content with digest sha256:"},
	} {
		host := proxy(t, reg, corrupting(tc.part))
		c := newTestClient(t, reg, nil)
		_, err := c.Pull(ctx, "oci://"+host+tc.ref, "")
		wantErrText(t, err, tc.want)
		if !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("%v is not ErrDigestMismatch", err)
		}
		if files := cacheFiles(t, c.opts.CacheDir); len(files) != 0 {
			t.Errorf("%s: the cache kept %v after a mismatch", tc.ref, files)
		}
	}
}

func TestPullNotAChart(t *testing.T) {
	reg := testenv.NewRegistry(t)
	ctx := context.Background()
	chartCfg := []byte(`{"name":"webapp","version":"1.0.0","apiVersion":"v2"}`)
	good := packageFixture(t, "1.0.0")

	img := rawRepo(t, reg, "images/webapp")
	plant(t, img, "1.0.0", "application/vnd.oci.image.config.v1+json", []byte("{}"),
		map[string][]byte{"application/vnd.oci.image.layer.v1.tar+gzip": good})
	plant(t, img, "1.1.0", ConfigMediaType, chartCfg, map[string][]byte{"application/vnd.oci.image.layer.v1.tar+gzip": good})
	// An index (a multi-platform image).
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{}}
	idx.SchemaVersion = 2
	idxData, _ := json.Marshal(idx)
	idxDesc := content.NewDescriptorFromBytes(ocispec.MediaTypeImageIndex, idxData)
	if err := img.Manifests().PushReference(ctx, idxDesc, bytes.NewReader(idxData), "1.2.0"); err != nil {
		t.Fatal(err)
	}

	c := newTestClient(t, reg, nil)
	base := "oci://" + reg.Host + "/images/webapp"
	for _, tc := range []struct{ version, want string }{
		{"1.0.0", base + `:1.0.0 is not a Helm chart: its config media type is "application/vnd.oci.image.config.v1+json", not "application/vnd.cncf.helm.config.v1+json" (a container image?)`},
		{"1.1.0", base + ":1.1.0 is not a Helm chart: its manifest does not contain a layer with mediatype application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
		{"1.2.0", base + ":1.2.0 is not a Helm chart: it is an image index (application/vnd.oci.image.index.v1+json)"},
	} {
		_, err := c.Pull(ctx, base, tc.version)
		wantErrText(t, err, tc.want)
		if !errors.Is(err, ErrNotChart) {
			t.Errorf("%v is not ErrNotChart", err)
		}
	}
	if files := cacheFiles(t, c.opts.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %v after refusing non-charts", files)
	}

	// Helm 3.0-3.7 pushed the chart as application/tar+gzip: accepted, with Helm's warning.
	legacy := rawRepo(t, reg, "legacy/webapp")
	plant(t, legacy, "1.0.0", ConfigMediaType, chartCfg, map[string][]byte{LegacyChartLayerMediaType: good})
	res, err := c.Pull(ctx, "oci://"+reg.Host+"/legacy/webapp", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Archive, good) || !strings.HasPrefix(c.out.String(), "Warning: chart media type application/tar+gzip is deprecated\nPulled: ") {
		t.Errorf("legacy pull output:\n%s", c.out)
	}
}

func TestPullHostileArchive(t *testing.T) {
	reg := testenv.NewRegistry(t)
	ctx := context.Background()
	cfg := []byte(`{"name":"webapp","version":"1.0.0","apiVersion":"v2"}`)
	repo := rawRepo(t, reg, "charts/webapp")
	chartYAML := "apiVersion: v2\nname: webapp\nversion: 1.0.0\n"
	plant(t, repo, "1.0.0", ConfigMediaType, cfg, map[string][]byte{ChartLayerMediaType: tgz(t, "webapp/Chart.yaml", chartYAML, "webapp/../../../etc/evil", "x")})
	plant(t, repo, "1.0.1", ConfigMediaType, cfg, map[string][]byte{ChartLayerMediaType: []byte("apiVersion: v2\nname: webapp\n")})
	plant(t, repo, "1.0.2", ConfigMediaType, cfg, map[string][]byte{ChartLayerMediaType: tgz(t, "webapp/Chart.yaml", chartYAML, "webapp/big", strings.Repeat("x", 5<<20+1))})

	c := newTestClient(t, reg, nil)
	dest := t.TempDir()
	for _, tc := range []struct{ version, want string }{
		{"1.0.0", "fails the chart loader's safety rules: load chart archive: "},
		{"1.0.1", "fails the chart loader's safety rules: load chart archive: stream is not a gzip archive"},
		{"1.0.2", "fails the chart loader's safety rules: load chart archive: "},
	} {
		_, err := c.Pull(ctx, "oci://"+reg.Host+"/charts/webapp", tc.version)
		wantErrText(t, err, "chart oci://"+reg.Host+"/charts/webapp:"+tc.version+" (layer sha256:")
		wantErrText(t, err, tc.want)
		if !errors.Is(err, ErrInvalidChart) {
			t.Errorf("%v is not ErrInvalidChart", err)
		}
	}
	if files := cacheFiles(t, c.opts.CacheDir); len(files) != 0 {
		t.Errorf("cache holds %v after refusing hostile archives", files)
	}
	if ents, _ := os.ReadDir(dest); len(ents) != 0 {
		t.Errorf("destination holds %d entries", len(ents))
	}
}

func TestAuthErrorsAndLogin(t *testing.T) {
	reg := testenv.NewSecureRegistry(t)
	ctx := context.Background()
	host := reg.Host
	admin := newTestClient(t, reg, withAuth(reg))
	archive := packageFixture(t, "")
	push(t, admin, archive, "oci://"+host+"/charts")
	ref := "oci://" + host + "/charts/webapp"

	anon := newTestClient(t, reg, nil)
	want401 := host + " answered 401 Unauthorized: the credentials for " + host + " are missing or wrong; run `lade registry login " + host + "` (or pass --username and --password)"
	_, err := anon.Pull(ctx, ref, "1.2.3")
	wantErrText(t, err, "pull "+ref+":1.2.3: "+want401)
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("%v is not ErrUnauthorized", err)
	}
	_, err = anon.Pull(ctx, ref, "")
	wantErrText(t, err, "list versions of "+ref+": "+want401)
	_, err = anon.Push(ctx, archive, "oci://"+host+"/charts", PushOptions{})
	wantErrText(t, err, "push "+ref+":1.2.3: "+want401)

	wrong := newTestClient(t, reg, func(o *Options) { o.Username, o.Password = reg.Username, "nope" })
	_, err = wrong.Pull(ctx, ref, "1.2.3")
	wantErrText(t, err, want401)

	// Login checks the password before storing anything.
	err = anon.Login(ctx, host, reg.Username, "nope")
	wantErrText(t, err, "login to "+host+` failed: the registry refused username "lade" and this password`)
	if _, err := os.Stat(anon.opts.RegistryConfig); !os.IsNotExist(err) {
		t.Errorf("a failed login wrote %s", anon.opts.RegistryConfig)
	}
	if err := anon.Login(ctx, "oci://"+host+"/some/path", reg.Username, reg.Password); err != nil {
		t.Fatal(err)
	}
	if anon.out.String() != "Login Succeeded\n" {
		t.Errorf("login output %q", anon.out)
	}
	var cfg struct {
		Auths map[string]struct{ Auth string } `json:"auths"`
	}
	data, err := os.ReadFile(anon.opts.RegistryConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if got := cfg.Auths[host].Auth; got != base64.StdEncoding.EncodeToString([]byte(reg.Username+":"+reg.Password)) {
		t.Fatalf("config.json after login: %s", data)
	}
	// A new client reading that file pulls.
	logged := newTestClient(t, reg, func(o *Options) { o.RegistryConfig = anon.opts.RegistryConfig })
	if _, err := logged.Pull(ctx, ref, ""); err != nil {
		t.Fatal(err)
	}
	if err := logged.Logout(ctx, host); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(logged.out.String(), "Removing login credentials for "+host+"\n") {
		t.Errorf("logout output %q", logged.out)
	}
	err = logged.Logout(ctx, host)
	wantErrText(t, err, "not logged in to "+host)
	after := newTestClient(t, reg, func(o *Options) { o.RegistryConfig = anon.opts.RegistryConfig })
	_, err = after.Pull(ctx, ref, "1.2.3")
	wantErrText(t, err, want401)
}

// TestCredentialsFromDockerAndHelm reuses `docker login` and `helm registry
// login` credentials, and a Docker credential helper.
func TestCredentialsFromDockerAndHelm(t *testing.T) {
	reg := testenv.NewSecureRegistry(t)
	ctx := context.Background()
	push(t, newTestClient(t, reg, withAuth(reg)), packageFixture(t, ""), "oci://"+reg.Host+"/charts")
	ref := "oci://" + reg.Host + "/charts/webapp:1.2.3"
	authValue := base64.StdEncoding.EncodeToString([]byte(reg.Username + ":" + reg.Password))
	fromDefaults := func(o *Options) { o.RegistryConfig = "" }

	// Docker's config.json ($DOCKER_CONFIG).
	docker := t.TempDir()
	t.Setenv("DOCKER_CONFIG", docker)
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(t.TempDir(), "missing.json"))
	writeJSON(t, filepath.Join(docker, "config.json"), map[string]any{"auths": map[string]any{reg.Host: map[string]string{"auth": authValue}}})
	if _, err := newTestClient(t, reg, fromDefaults).Pull(ctx, ref, ""); err != nil {
		t.Fatalf("with docker login credentials: %v", err)
	}

	// Helm's registry config, when Docker's has nothing.
	writeJSON(t, filepath.Join(docker, "config.json"), map[string]any{"auths": map[string]any{}})
	helm := filepath.Join(t.TempDir(), "registry", "config.json")
	writeJSON(t, helm, map[string]any{"auths": map[string]any{reg.Host: map[string]string{"auth": authValue}}})
	t.Setenv("HELM_REGISTRY_CONFIG", helm)
	if _, err := newTestClient(t, reg, fromDefaults).Pull(ctx, ref, ""); err != nil {
		t.Fatalf("with helm registry login credentials: %v", err)
	}
	t.Setenv("HELM_REGISTRY_CONFIG", filepath.Join(t.TempDir(), "missing.json"))
	_, err := newTestClient(t, reg, fromDefaults).Pull(ctx, ref, "")
	wantErrText(t, err, "answered 401 Unauthorized")

	// A credential helper named by credsStore: login stores through it,
	// pulls read from it, logout erases.
	bin := t.TempDir()
	store := filepath.Join(t.TempDir(), "helper-store")
	helper := `#!/bin/sh
store="` + store + `"
case "$1" in
get) read -r server; [ -f "$store" ] && grep -q "$server" "$store" && sed -n 2p "$store" || { echo "credentials not found in native keychain"; exit 1; } ;;
store) cat > "$store.json"; server=$(sed 's/.*"ServerURL":"\([^"]*\)".*/\1/' "$store.json"); { echo "$server"; sed 's/"ServerURL":"[^"]*",//' "$store.json"; } > "$store" ;;
erase) rm -f "$store" "$store.json" ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-ladetest"), []byte(helper), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	writeJSON(t, filepath.Join(docker, "config.json"), map[string]any{"credsStore": "ladetest"})
	c := newTestClient(t, reg, fromDefaults)
	if err := c.Login(ctx, reg.Host, reg.Username, reg.Password); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(store)
	if err != nil || !strings.Contains(string(saved), reg.Password) {
		t.Fatalf("the helper did not get the credentials: %q %v", saved, err)
	}
	if data, _ := os.ReadFile(filepath.Join(docker, "config.json")); strings.Contains(string(data), reg.Password) {
		t.Fatalf("password written to config.json despite credsStore: %s", data)
	}
	if _, err := newTestClient(t, reg, fromDefaults).Pull(ctx, ref, ""); err != nil {
		t.Fatalf("with credsStore: %v", err)
	}
	if err := c.Logout(ctx, reg.Host); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Errorf("logout did not erase the helper's credentials")
	}
}

func writeJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestForbidden(t *testing.T) {
	reg := testenv.NewRegistry(t)
	host := proxy(t, reg, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}`)
	})
	c := newTestClient(t, reg, nil)
	_, err := c.Push(context.Background(), packageFixture(t, ""), "oci://"+host+"/charts", PushOptions{})
	wantErrText(t, err, "push oci://"+host+"/charts/webapp:1.2.3: "+host+" answered 403 Forbidden: the account logged in to "+host+
		" may not do this; run `lade registry login "+host+"` with an account that may")
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("%v is not ErrUnauthorized", err)
	}
}

func TestUnreachableAndTLS(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	c := newTestClient(t, nil, func(o *Options) { o.PlainHTTP = true })
	_, err = c.Pull(ctx, "oci://"+dead+"/charts/webapp", "1.0.0")
	wantErrText(t, err, "pull oci://"+dead+"/charts/webapp:1.0.0: registry "+dead+" is unreachable: dial tcp "+dead+": connect: connection refused")
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("%v is not ErrUnreachable", err)
	}
	_, err = c.Pull(ctx, "oci://"+dead+"/charts/webapp", "")
	wantErrText(t, err, "list versions of oci://"+dead+"/charts/webapp: registry "+dead+" is unreachable: ")

	secure := testenv.NewSecureRegistry(t)
	plain := testenv.NewRegistry(t)
	archive := packageFixture(t, "")
	push(t, newTestClient(t, secure, withAuth(secure)), archive, "oci://"+secure.Host+"/charts")
	push(t, newTestClient(t, plain, nil), archive, "oci://"+plain.Host+"/charts")

	noCA := newTestClient(t, secure, func(o *Options) { o.CAFile = ""; withAuth(secure)(o) })
	_, err = noCA.Pull(ctx, "oci://"+secure.Host+"/charts/webapp", "1.2.3")
	wantErrText(t, err, "cannot verify the TLS certificate of "+secure.Host+": ")
	wantErrText(t, err, "(pass the registry's CA with --ca-file, or --insecure-skip-tls-verify)")

	insecure := newTestClient(t, secure, func(o *Options) { o.CAFile = ""; o.InsecureSkipTLSVerify = true; withAuth(secure)(o) })
	if _, err := insecure.Pull(ctx, "oci://"+secure.Host+"/charts/webapp", "1.2.3"); err != nil {
		t.Fatalf("--insecure-skip-tls-verify: %v", err)
	}

	httpsToPlain := newTestClient(t, plain, func(o *Options) { o.PlainHTTP = false })
	_, err = httpsToPlain.Pull(ctx, "oci://"+plain.Host+"/charts/webapp", "1.2.3")
	wantErrText(t, err, "registry "+plain.Host+" speaks plain HTTP, not HTTPS: use --plain-http")

	plainToHTTPS := newTestClient(t, secure, func(o *Options) { o.PlainHTTP = true; withAuth(secure)(o) })
	_, err = plainToHTTPS.Pull(ctx, "oci://"+secure.Host+"/charts/webapp", "1.2.3")
	wantErrText(t, err, "registry "+secure.Host+" answered 400 Bad Request to plain HTTP: it probably wants HTTPS (drop --plain-http)")

	_, err = NewClient(Options{CAFile: filepath.Join(t.TempDir(), "nope.pem")})
	wantErrText(t, err, "read --ca-file: open ")
	_, err = NewClient(Options{CertFile: "x.pem"})
	wantErrText(t, err, "--cert-file and --key-file go together: give both or neither")
}

func TestLoginErrors(t *testing.T) {
	c := newTestClient(t, nil, nil)
	err := c.Login(context.Background(), "127.0.0.1:1", "", "")
	wantErrText(t, err, "login needs a username and a password")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	host := "127.0.0.1:" + strconv.Itoa(port)
	err = c.Login(context.Background(), host, "u", "p")
	wantErrText(t, err, "login to "+host+": registry "+host+" is unreachable")
}

func TestNoCacheDirectory(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "")
	c, err := NewClient(Options{RegistryConfig: filepath.Join(t.TempDir(), "config.json")})
	if err != nil {
		t.Fatalf("a client without a cache directory is still usable for login and push: %v", err)
	}
	_, err = c.Pull(context.Background(), "oci://127.0.0.1:1/charts/webapp", "1.0.0")
	wantErrText(t, err, "no cache directory (set XDG_CACHE_HOME or --cache-dir)")
}
