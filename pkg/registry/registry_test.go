package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/lade-dev/lade/internal/testenv"
)

func TestParseReference(t *testing.T) {
	d := "sha256:" + strings.Repeat("ab", 32)
	cases := []struct {
		in   string
		want Reference
		err  string
	}{
		{in: "oci://example.com/charts/web", want: Reference{Registry: "example.com", Repository: "charts/web"}},
		{in: "example.com:5000/web:1.2.3", want: Reference{Registry: "example.com:5000", Repository: "web", Tag: "1.2.3"}},
		{in: "oci://127.0.0.1:5000/a/b/web:1.0.0+build.1", want: Reference{Registry: "127.0.0.1:5000", Repository: "a/b/web", Tag: "1.0.0_build.1"}},
		{in: "oci://h/web@" + d, want: Reference{Registry: "h", Repository: "web", Digest: d}},
		{in: "oci://h/web:2.0.0@" + d, want: Reference{Registry: "h", Repository: "web", Tag: "2.0.0", Digest: d}},
		{in: "oci://h", err: `invalid OCI reference "oci://h": want oci://HOST/PATH/NAME`},
		{in: "oci://h/Web", err: `invalid OCI reference "oci://h/Web": invalid reference: invalid repository "Web"`},
		{in: "oci://h/web@sha256:xyz", err: `invalid OCI reference "oci://h/web@sha256:xyz": digest "sha256:xyz": invalid checksum digest length`},
		{in: "oci://h/web:", err: `invalid OCI reference "oci://h/web:": empty tag`},
	}
	for _, tc := range cases {
		got, err := ParseReference(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
	r, _ := ParseReference("oci://h/a/web:1.0.0_x@" + d)
	if r.Name() != "web" || r.String() != "h/a/web:1.0.0_x@"+d || r.URL() != "oci://h/a/web:1.0.0_x@"+d {
		t.Errorf("accessors: %s %s %s", r.Name(), r.String(), r.URL())
	}
}

// TestPushFormat checks what a push stores against Helm's format.
func TestPushFormat(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := newTestClient(t, reg, nil)
	archive := packageFixture(t, "")
	res := push(t, c, archive, "oci://"+reg.Host+"/charts")

	wantRef := reg.Host + "/charts/webapp:1.2.3"
	if got := c.out.String(); got != "Pushed: "+wantRef+"\nDigest: "+res.Manifest.Digest.String()+"\n" {
		t.Errorf("output:\n%s", got)
	}
	if res.Ref.Digest != res.Manifest.Digest.String() || res.Ref.Tag != "1.2.3" || res.Ref.Repository != "charts/webapp" {
		t.Errorf("ref %+v", res.Ref)
	}

	repo := rawRepo(t, reg, "charts/webapp")
	desc, rc, err := repo.Manifests().FetchReference(context.Background(), "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(rc)
	rc.Close()
	if desc.Digest != res.Manifest.Digest || desc.MediaType != ocispec.MediaTypeImageManifest {
		t.Fatalf("manifest %+v", desc)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	// Like Helm's, the manifest has no mediaType field of its own.
	if bytes.Contains(raw, []byte(`"mediaType":"application/vnd.oci.image.manifest.v1+json"`)) {
		t.Errorf("manifest carries a mediaType: %s", raw)
	}
	if m.Config.MediaType != ConfigMediaType || len(m.Layers) != 1 || m.Layers[0].MediaType != ChartLayerMediaType {
		t.Fatalf("manifest %s", raw)
	}
	if m.Layers[0].Digest != digest.FromBytes(archive) || m.Layers[0].Size != int64(len(archive)) {
		t.Errorf("layer %+v is not the archive", m.Layers[0])
	}
	wantAnn := map[string]string{
		"org.opencontainers.image.title":       "webapp",
		"org.opencontainers.image.version":     "1.2.3",
		"org.opencontainers.image.description": "A small web application used by the registry tests",
		"org.opencontainers.image.url":         "https://example.com/webapp",
		"org.opencontainers.image.source":      "https://example.com/webapp/src",
		"org.opencontainers.image.authors":     "Ada (ada@example.com), Grace",
		"org.opencontainers.image.created":     "2024-05-06T07:08:09Z",
		"example.com/team":                     "platform",
	}
	if len(m.Annotations) != len(wantAnn) {
		t.Errorf("annotations %v", m.Annotations)
	}
	for k, v := range wantAnn {
		if m.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, m.Annotations[k], v)
		}
	}
	cfg, err := content.FetchAll(context.Background(), repo, m.Config)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"webapp","home":"https://example.com/webapp","sources":["https://example.com/webapp/src","https://example.com/webapp/mirror"],` +
		`"version":"1.2.3","description":"A small web application used by the registry tests","maintainers":[{"name":"Ada","email":"ada@example.com"},{"name":"Grace"}],` +
		`"apiVersion":"v2","appVersion":"4.5.6","annotations":{"example.com/team":"platform","org.opencontainers.image.title":"ignored-by-push"},` +
		`"dependencies":[{"name":"cache","version":"\u003e=0.1.0","repository":"","condition":"cache.enabled"}],"type":"application"}`
	if string(cfg) != want {
		t.Errorf("config:\n got %s\nwant %s", cfg, want)
	}

	// The same package pushed again at the same time gives the same digest.
	again := push(t, c, archive, "oci://"+reg.Host+"/charts/")
	if again.Manifest.Digest != res.Manifest.Digest {
		t.Errorf("re-push changed the digest: %s -> %s", res.Manifest.Digest, again.Manifest.Digest)
	}
}

func TestPushProvenanceAndUnderscore(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := newTestClient(t, reg, nil)
	archive := packageFixture(t, "1.0.0+build.7")
	prov := []byte("-----BEGIN PGP SIGNED MESSAGE-----\nfake but opaque\n")
	res, err := c.Push(context.Background(), archive, "oci://"+reg.Host+"/charts", PushOptions{Prov: prov, Created: fixedTime})
	if err != nil {
		t.Fatal(err)
	}
	ref := reg.Host + "/charts/webapp:1.0.0_build.7"
	wantOut := "Pushed: " + ref + "\nDigest: " + res.Manifest.Digest.String() + "\n" + ref + " contains an underscore.\n" + underscoreNote + "\n"
	if c.out.String() != wantOut {
		t.Errorf("output:\n%s\nwant:\n%s", c.out, wantOut)
	}
	repo := rawRepo(t, reg, "charts/webapp")
	raw, err := content.FetchAll(context.Background(), repo, res.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 || m.Layers[0].Digest > m.Layers[1].Digest {
		t.Fatalf("want chart and prov layers sorted by digest: %+v", m.Layers)
	}
	types := []string{m.Layers[0].MediaType, m.Layers[1].MediaType}
	if !slices.Contains(types, ProvLayerMediaType) || !slices.Contains(types, ChartLayerMediaType) {
		t.Fatalf("layer types %v", types)
	}

	// Pulling by version (with '+') finds the '_' tag.
	c.out.Reset()
	got, err := c.Pull(context.Background(), "oci://"+reg.Host+"/charts/webapp", "1.0.0+build.7")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Archive, archive) || got.Chart.Metadata.Version != "1.0.0+build.7" || got.FileName() != "webapp-1.0.0+build.7.tgz" {
		t.Fatalf("pulled %s", got.FileName())
	}
	if !strings.HasPrefix(c.out.String(), "Pulled: "+ref+"\nDigest: "+res.Manifest.Digest.String()+"\n"+ref+" contains an underscore.") {
		t.Errorf("pull output:\n%s", c.out)
	}
}

func TestPushErrors(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := newTestClient(t, reg, nil)
	archive := packageFixture(t, "")
	ctx := context.Background()
	for _, tc := range []struct{ remote, want string }{
		{"https://" + reg.Host + "/charts", `push destination "https://` + reg.Host + `/charts" must start with oci://`},
		{"oci://" + reg.Host + "/charts:1.0", "push destination oci://" + reg.Host + "/charts:1.0 must not name a tag or digest: lade push stores the chart at oci://" + reg.Host + "/charts:1.0/webapp:1.2.3"},
		{"oci://" + reg.Host + "/Charts", `invalid OCI reference "` + reg.Host + `/Charts/webapp:1.2.3": invalid reference: invalid repository "Charts/webapp"`},
	} {
		_, err := c.Push(ctx, archive, tc.remote, PushOptions{})
		wantErrText(t, err, tc.want)
	}
	// Archives that fail the loader are not pushed.
	hostile := tgz(t, "webapp/Chart.yaml", "apiVersion: v2\nname: webapp\nversion: 1.0.0\n", "webapp/../../evil", "x")
	_, err := c.Push(ctx, hostile, "oci://"+reg.Host+"/charts", PushOptions{})
	wantErrText(t, err, "refusing to push: load chart archive: ")
	if !errors.Is(err, ErrInvalidChart) {
		t.Errorf("%v is not ErrInvalidChart", err)
	}
	_, err = c.Push(ctx, []byte("name: webapp\n"), "oci://"+reg.Host+"/charts", PushOptions{})
	wantErrText(t, err, "refusing to push: load chart archive: stream ")
	if _, err := c.Versions(ctx, "oci://"+reg.Host+"/charts/webapp"); !errors.Is(err, ErrNotFound) {
		t.Errorf("something was pushed: %v", err)
	}
}

// pushVersions pushes the fixture at each version and returns the digests.
func pushVersions(t *testing.T, c *testClient, remote string, versions ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, v := range versions {
		out[v] = push(t, c, packageFixture(t, v), remote).Manifest.Digest.String()
	}
	return out
}

func TestPullVersions(t *testing.T) {
	reg := testenv.NewRegistry(t)
	c := newTestClient(t, reg, nil)
	digests := pushVersions(t, c, "oci://"+reg.Host+"/charts", "1.0.0", "1.2.0", "1.10.0", "2.0.0-rc.1", "2.1.0+build.3")
	// A tag that is not SemVer is ignored by version selection.
	rawTag(t, reg, "charts/webapp", digests["1.0.0"], "latest")
	ctx := context.Background()
	ref := "oci://" + reg.Host + "/charts/webapp"

	versions, err := c.Versions(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"2.1.0+build.3", "2.0.0-rc.1", "1.10.0", "1.2.0", "1.0.0"}; !slices.Equal(versions, want) {
		t.Fatalf("versions %v, want %v", versions, want)
	}
	for _, tc := range []struct{ ref, version, want string }{
		{ref, "", "2.1.0+build.3"},
		{ref, "^1.0", "1.10.0"},
		{ref, "~1.2", "1.2.0"},
		{ref, "1.2.0", "1.2.0"},
		{ref, ">=2.0.0-0 <2.1.0", "2.0.0-rc.1"},
		{ref + ":1.10.0", "", "1.10.0"},
		{ref + ":1.10.0", "1.10.0", "1.10.0"},
		{ref + ":latest", "", "1.0.0"},
		{ref + "@" + digests["1.2.0"], "", "1.2.0"},
		{ref + "@" + digests["1.2.0"], "1.2.0", "1.2.0"},
		{ref + ":2.1.0+build.3", "", "2.1.0+build.3"},
	} {
		res, err := c.Pull(ctx, tc.ref, tc.version)
		if err != nil {
			t.Errorf("pull %s --version %q: %v", tc.ref, tc.version, err)
			continue
		}
		if got := res.Chart.Metadata.Version; got != tc.want {
			t.Errorf("pull %s --version %q: got %s, want %s", tc.ref, tc.version, got, tc.want)
		}
		if res.Manifest.Digest.String() != digests[tc.want] || res.Ref.Digest != digests[tc.want] {
			t.Errorf("pull %s: digest %s, want %s", tc.ref, res.Manifest.Digest, digests[tc.want])
		}
	}

	for _, tc := range []struct{ ref, version, want string }{
		{ref, "1.3.0", "chart oci://" + reg.Host + "/charts/webapp: version 1.3.0 not found; nearest available: 2.1.0+build.3, 2.0.0-rc.1, 1.10.0, 1.2.0, 1.0.0"},
		{ref + ":0.9.0", "", "chart oci://" + reg.Host + "/charts/webapp: version 0.9.0 not found; nearest available: 1.10.0, 1.2.0, 1.0.0"},
		{ref, "^3.0", `chart oci://` + reg.Host + `/charts/webapp: no version matches "^3.0"; nearest available: 2.1.0+build.3, 2.0.0-rc.1, 1.10.0, 1.2.0, 1.0.0`},
		{ref, "not a constraint", `chart oci://` + reg.Host + `/charts/webapp: invalid version or constraint "not a constraint"`},
		{ref + ":1.0.0", "1.2.0", "chart reference and version mismatch: 1.2.0 is not 1.0.0"},
		{ref + ":1.0.0@" + digests["1.2.0"], "", "chart reference digest mismatch: " + digests["1.0.0"] + " is not " + digests["1.2.0"]},
		{"oci://" + reg.Host + "/charts/nothing", "", "chart oci://" + reg.Host + "/charts/nothing not found: " + reg.Host + " has no such repository"},
		{"oci://" + reg.Host + "/charts/nothing", "1.0.0", "chart oci://" + reg.Host + "/charts/nothing not found: " + reg.Host + " has no such repository"},
		{ref + "@sha256:" + strings.Repeat("0", 64), "", "chart oci://" + reg.Host + "/charts/webapp@sha256:" + strings.Repeat("0", 64) + " not found"},
	} {
		_, err := c.Pull(ctx, tc.ref, tc.version)
		wantErrText(t, err, tc.want)
	}
	_, err = c.Pull(ctx, ref, "1.3.0")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("%v is not ErrNotFound", err)
	}
	_, err = c.Pull(ctx, ref+":1.0.0@"+digests["1.2.0"], "")
	if !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("%v is not ErrDigestMismatch", err)
	}
}

// rawTag tags an existing manifest.
func rawTag(t *testing.T, reg *testenv.Registry, repoName, dgst, tag string) {
	t.Helper()
	repo := rawRepo(t, reg, repoName)
	desc, err := repo.Resolve(context.Background(), dgst)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag(context.Background(), desc, tag); err != nil {
		t.Fatal(err)
	}
}

func TestPullCache(t *testing.T) {
	reg := testenv.NewRegistry(t)
	pusher := newTestClient(t, reg, nil)
	archive := packageFixture(t, "")
	res := push(t, pusher, archive, "oci://"+reg.Host+"/charts")
	ref := "oci://" + reg.Host + "/charts/webapp"
	byDigest := ref + "@" + res.Manifest.Digest.String()
	ctx := context.Background()

	c := newTestClient(t, reg, nil)
	first, err := c.Pull(ctx, ref, "1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if first.Cached || c.count.n.Load() != 2 {
		t.Errorf("cold pull: cached=%v, %d requests %v (want GET manifest, GET blob)", first.Cached, c.count.n.Load(), c.count.requests())
	}
	files := cacheFiles(t, c.opts.CacheDir)
	wantFiles := []string{"blobs/sha256/" + res.Manifest.Digest.Encoded(), "blobs/sha256/" + res.Chart.Digest.Encoded()}
	slices.Sort(wantFiles)
	if !slices.Equal(files, wantFiles) {
		t.Fatalf("cache holds %v, want %v", files, wantFiles)
	}

	// By digest, a warm cache answers alone.
	c.count.reset()
	c.out.Reset()
	again, err := c.Pull(ctx, byDigest, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := c.count.n.Load(); n != 0 || !again.Cached {
		t.Errorf("cached pull by digest sent %d requests %v, cached=%v", n, c.count.requests(), again.Cached)
	}
	if !bytes.Equal(again.Archive, archive) {
		t.Error("cached archive differs")
	}
	if want := "Pulled: " + reg.Host + "/charts/webapp@" + res.Manifest.Digest.String() + "\nDigest: " + res.Manifest.Digest.String() + "\n"; c.out.String() != want {
		t.Errorf("output %q, want %q", c.out, want)
	}
	// By tag, the tag is resolved (tags move) but the layer is not fetched again.
	c.count.reset()
	if _, err := c.Pull(ctx, ref+":1.2.3", ""); err != nil {
		t.Fatal(err)
	}
	if reqs := c.count.requests(); len(reqs) != 1 || !strings.HasPrefix(reqs[0], "GET /v2/charts/webapp/manifests/") {
		t.Errorf("cached pull by tag: %v, want one manifest request", reqs)
	}

	// A corrupted entry is noticed, dropped and fetched again.
	layerPath := c.Cache().Path(res.Chart.Digest)
	if err := os.WriteFile(layerPath, []byte("not the chart"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.count.reset()
	c.out.Reset()
	fixed, err := c.Pull(ctx, byDigest, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fixed.Archive, archive) || fixed.Cached {
		t.Error("corrupt cache entry was used")
	}
	if reqs := c.count.requests(); len(reqs) != 1 || !strings.HasPrefix(reqs[0], "GET /v2/charts/webapp/blobs/") {
		t.Errorf("re-fetch: %v, want one blob request", reqs)
	}
	if want := "Warning: cached " + res.Chart.Digest.String() + " does not match its digest; fetching it again\n"; !strings.HasPrefix(c.out.String(), want) {
		t.Errorf("output %q, want it to start with %q", c.out, want)
	}
	if data, _ := os.ReadFile(layerPath); !bytes.Equal(data, archive) {
		t.Error("the cache entry was not repaired")
	}
	// A cache entry holding something else entirely (a truncated write from
	// another tool) is no different.
	if err := os.WriteFile(c.Cache().Path(res.Manifest.Digest), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c.count.reset()
	if _, err := c.Pull(ctx, byDigest, ""); err != nil {
		t.Fatal(err)
	}
	if n := c.count.n.Load(); n != 1 {
		t.Errorf("%d requests after emptying the manifest entry, want 1", n)
	}
	if ents, _ := os.ReadDir(filepath.Join(c.opts.CacheDir, "blobs", "sha256")); len(ents) != 2 {
		t.Errorf("cache has %d entries (temporary files left?)", len(ents))
	}
}
