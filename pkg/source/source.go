package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/registry"
	"github.com/lade-dev/lade/pkg/repo"
)

// Kind is what a reference names.
type Kind int

// The kinds of reference, in the order Classify tries them.
const (
	// OCI is an oci:// reference.
	OCI Kind = iota + 1
	// Repo is REPO/CHART of a configured repository, or CHART in
	// Options.Repository.RepoURL.
	Repo
	// URL is an http(s) URL of a chart archive.
	URL
	// Package is a directory holding a kustomization and no Chart.yaml
	// (only with Options.Packages).
	Package
	// Local is a chart directory or archive file on disk.
	Local
)

func (k Kind) String() string {
	switch k {
	case OCI:
		return "oci"
	case Repo:
		return "repository"
	case URL:
		return "url"
	case Package:
		return "package"
	case Local:
		return "local"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Remote reports whether k is fetched over the network.
func (k Kind) Remote() bool { return k == OCI || k == Repo || k == URL }

var (
	// ErrLocalRefused is matched (errors.Is) by Resolve's error for a
	// local path when Options.NoLocal is set.
	ErrLocalRefused = errors.New("local chart paths are refused")
	// ErrDigestMismatch is matched by Resolve's error when the chart
	// archive's digest is not Options.Digest.
	ErrDigestMismatch = errors.New("chart archive digest mismatch")
	// ErrInvalidDigest is matched by Resolve's error when Options.Digest
	// is not a digest, or pins a chart directory (which has no archive).
	ErrInvalidDigest = errors.New("invalid chart digest pin")
	// ErrVersionMismatch is matched by Resolve's error when the chart an
	// oci:// digest pin names does not satisfy Options.Version.
	ErrVersionMismatch = errors.New("pinned chart does not satisfy the version")
)

// Options say how to resolve a reference.
type Options struct {
	// Version is an exact version or a SemVer constraint for OCI and
	// repository charts (empty: the newest release; callers turn --devel
	// into ">0.0.0-0"). A local chart's version is not checked, as in
	// Helm; a package takes it as its version.
	Version string
	// Digest, when set ("sha256:<hex>"), pins the chart: the archive
	// fetched (for oci://, the chart layer or the manifest) or a local
	// archive file must have this digest, else Resolve fails with
	// ErrDigestMismatch (a Release's spec.chart.digest). An oci://
	// reference without tag is fetched by the pin as a manifest digest,
	// whatever the newest version; the chart must then satisfy Version
	// when one is given (ErrVersionMismatch). A pin no manifest has (the
	// chart layer's digest) is checked against the version Version picks.
	// A chart directory or a package cannot be pinned (ErrInvalidDigest).
	Digest string
	// BaseDir is the directory relative local paths are relative to (a
	// Release file's directory); empty: the working directory.
	BaseDir string
	// NoLocal refuses local paths (chart directories, archives, packages)
	// with ErrLocalRefused, for a caller that must fetch what it installs
	// (the in-cluster controller): a reference that is neither oci://, nor
	// an http(s) URL, nor REPO/CHART is refused without looking at the
	// disk.
	NoLocal bool
	// Packages accepts a directory holding only a kustomization (Kind
	// Package, Source.Overlay); otherwise such a directory is loaded as a
	// chart, and fails as one. OverlayRoot bounds its bases (see
	// overlay.LoadWithin).
	Packages    bool
	OverlayRoot string
	// Render is set when the chart is to be rendered (template, install,
	// upgrade): a deprecated chart is warned of and the chart's
	// dependencies must be present, as Helm checks before rendering. With
	// DependencyUpdate, a local chart's missing dependencies are fetched
	// (registry.Client.UpdateDependencies) and the chart loaded again.
	Render           bool
	DependencyUpdate bool
	// Registry configures the OCI client made for an oci:// reference or a
	// dependency update; its Out receives the Pulled: lines.
	Registry registry.Options
	// Repo returns the repository client, called only for a repository or
	// URL reference or a dependency update; nil: one on Helm's default
	// paths, with Registry.CacheDir as content cache.
	Repo func() (*repo.Client, error)
	// Repository holds --repo, credentials and TLS for repository and URL
	// fetches; its Version is replaced by Version.
	Repository repo.ResolveOptions
	// Charts are chart loads started ahead (nil: none); a local chart
	// with one is taken from it.
	Charts *chart.Preloads

	// VerifyOCI and VerifyRepo, when set, check a fetched chart before it
	// is used (provenance, a signature policy), with the client that
	// fetched it; their error fails Resolve. LoadLocal, when set, loads a
	// local chart instead of Charts.Load (a caller that verifies a local
	// archive loads the bytes it verified).
	VerifyOCI  func(ctx context.Context, c *registry.Client, res *registry.PullResult) error
	VerifyRepo func(ctx context.Context, c *repo.Client, res *repo.Resolved) error
	LoadLocal  func(path string) (*chart.Chart, error)
}

// Source is a resolved reference.
type Source struct {
	Kind Kind
	// Ref is the reference: for a local chart or a package, the path (on
	// BaseDir when relative); else as given.
	Ref string
	// Chart is the loaded chart (nil for a package).
	Chart *chart.Chart
	// Overlay is a package's kustomization, and Name the base name of its
	// directory (release.NewPackage makes the placeholder chart).
	Overlay *overlay.Overlay
	Name    string
	// Archive is the fetched chart archive (remote kinds only).
	Archive []byte
	// Digest is the archive's digest: set for remote kinds, and for a
	// local archive file when Options.Digest pins it. Manifest is the OCI
	// manifest's digest (OCI only).
	Digest   digest.Digest
	Manifest digest.Digest
	// Cached is true when a remote archive came from the content cache.
	Cached bool
}

// Classify tells what ref names, as Resolve will take it.
func Classify(ref string, o Options) Kind {
	switch {
	case registry.IsOCI(ref):
		return OCI
	case o.Packages && !o.NoLocal && isPackage(o.path(ref)):
		return Package
	case o.Repository.RepoURL != "":
		return Repo
	case repo.IsURL(ref):
		return URL
	}
	if o.NoLocal {
		if repo.IsReference(ref) {
			return Repo
		}
		return Local
	}
	if _, err := os.Stat(o.path(ref)); err != nil && repo.IsReference(ref) {
		return Repo
	}
	return Local
}

// path is ref on BaseDir when it is relative.
func (o *Options) path(ref string) string {
	if o.BaseDir == "" || filepath.IsAbs(ref) {
		return ref
	}
	return filepath.Join(o.BaseDir, ref)
}

// isPackage reports whether dir is a directory holding a kustomization
// and no Chart.yaml.
func isPackage(dir string) bool {
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
		return false
	}
	return overlay.IsKustomization(dir)
}

// IsPackage reports whether ref, on o.BaseDir, is a directory holding a
// kustomization and no Chart.yaml (a package; see Options.Packages).
func IsPackage(ref string, o Options) bool { return isPackage(o.path(ref)) }

// Resolve fetches or loads the chart ref names (see Classify). Errors name
// the reference; nothing is written but the content cache of fetched
// archives.
func Resolve(ctx context.Context, ref string, o Options) (*Source, error) {
	var pin digest.Digest
	if o.Digest != "" {
		d, err := digest.Parse(o.Digest)
		if err != nil {
			return nil, fmt.Errorf("%w %q for %s: want sha256:<64 hex digits> (%v)", ErrInvalidDigest, o.Digest, ref, err)
		}
		pin = d
	}
	kind := Classify(ref, o)
	if !kind.Remote() && o.NoLocal {
		return nil, fmt.Errorf("chart %s: %w here: use an oci://, REPO/CHART or https:// reference", ref, ErrLocalRefused)
	}
	var s *Source
	var err error
	switch kind {
	case OCI:
		s, err = o.pullPinned(ctx, ref, pin)
	case Repo, URL:
		s, err = o.fetch(ctx, ref)
	case Package:
		s, err = o.loadPackage(ref, pin)
	default:
		s, err = o.loadLocal(ref, pin)
	}
	if err != nil {
		return nil, err
	}
	if pin != "" && s.Digest != pin && (s.Manifest == "" || s.Manifest != pin) {
		got := "the archive has digest " + s.Digest.String()
		if s.Manifest != "" {
			got = fmt.Sprintf("no chart manifest in the repository has that digest, and version %s's archive has digest %s, its manifest %s",
				s.Chart.Metadata.Version, s.Digest, s.Manifest)
		}
		return nil, fmt.Errorf("chart %s: %w: %s, the pin is %s", ref, ErrDigestMismatch, got, pin)
	}
	if o.Render && s.Chart != nil {
		if err := o.checkForRender(ctx, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// pullPinned fetches an oci:// reference. With a pin and a reference
// without tag or digest, the manifest the pin names is fetched first
// (ref@pin) and its chart must satisfy Version; when no chart manifest
// has that digest (a pin of the chart layer), the chart Version picks is
// fetched and Resolve compares its digests with the pin.
func (o *Options) pullPinned(ctx context.Context, ref string, pin digest.Digest) (*Source, error) {
	if pin == "" {
		return o.pull(ctx, ref, o.Version)
	}
	r, err := registry.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if r.Tag != "" || r.Digest != "" {
		return o.pull(ctx, ref, o.Version)
	}
	r.Digest = pin.String()
	s, err := o.pull(ctx, r.URL(), "")
	if errors.Is(err, registry.ErrNotFound) || errors.Is(err, registry.ErrNotChart) {
		return o.pull(ctx, ref, o.Version)
	}
	if err != nil {
		return nil, err
	}
	s.Ref = ref
	if o.Version != "" {
		v := s.Chart.Metadata.Version
		if _, err := registry.MatchVersion([]string{v}, o.Version); err != nil {
			return nil, fmt.Errorf("chart %s: %w: the pin %s is version %s, which does not satisfy version %q", ref, ErrVersionMismatch, pin, v, o.Version)
		}
	}
	return s, nil
}

// pull fetches an oci:// reference at version.
func (o *Options) pull(ctx context.Context, ref, version string) (*Source, error) {
	c, err := registry.NewClient(o.Registry)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	res, err := c.Pull(ctx, ref, version)
	if err != nil {
		return nil, err
	}
	if o.VerifyOCI != nil {
		if err := o.VerifyOCI(ctx, c, res); err != nil {
			return nil, err
		}
	}
	d := res.Layer.Digest // verified against the archive by Pull
	if d == "" {
		d = digest.FromBytes(res.Archive)
	}
	return &Source{Kind: OCI, Ref: ref, Chart: res.Chart, Archive: res.Archive, Digest: d, Manifest: res.Manifest.Digest, Cached: res.Cached}, nil
}

// fetch fetches a repository or URL reference.
func (o *Options) fetch(ctx context.Context, ref string) (*Source, error) {
	c, err := o.repoClient()
	if err != nil {
		return nil, err
	}
	ro := o.Repository
	ro.Version = o.Version
	res, err := c.Resolve(ctx, ref, ro)
	if err != nil {
		return nil, err
	}
	if o.VerifyRepo != nil {
		if err := o.VerifyRepo(ctx, c, res); err != nil {
			return nil, err
		}
	}
	kind := Repo
	if repo.IsURL(ref) && o.Repository.RepoURL == "" {
		kind = URL
	}
	return &Source{Kind: kind, Ref: ref, Chart: res.Chart, Archive: res.Archive, Digest: res.Digest, Cached: res.Cached}, nil
}

func (o *Options) repoClient() (*repo.Client, error) {
	if o.Repo != nil {
		return o.Repo()
	}
	return repo.NewClient(repo.Options{Paths: repo.DefaultPaths(), CacheDir: o.Registry.CacheDir}), nil
}

// loadLocal loads a chart directory or archive file.
func (o *Options) loadLocal(ref string, pin digest.Digest) (*Source, error) {
	p := o.path(ref)
	s := &Source{Kind: Local, Ref: p}
	if pin != "" {
		d, err := fileDigest(p, pin.Algorithm())
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", ref, err)
		}
		s.Digest = d
	}
	load := o.Charts.Load
	if o.LoadLocal != nil {
		load = o.LoadLocal
	}
	ch, err := load(p)
	if err != nil {
		return nil, err
	}
	s.Chart = ch
	return s, nil
}

// fileDigest is the digest of the archive file p; a directory is an error.
func fileDigest(p string, alg digest.Algorithm) (digest.Digest, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return "", fmt.Errorf("%w: a chart directory has no archive to pin (package it, or drop the digest)", ErrInvalidDigest)
	}
	return alg.FromReader(f)
}

// loadPackage loads a kustomization-only directory.
func (o *Options) loadPackage(ref string, pin digest.Digest) (*Source, error) {
	p := o.path(ref)
	if pin != "" {
		return nil, fmt.Errorf("chart %s: %w: a kustomization directory has no archive to pin", ref, ErrInvalidDigest)
	}
	ov, err := overlay.LoadWithin(p, o.OverlayRoot)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	return &Source{Kind: Package, Ref: p, Overlay: ov, Name: filepath.Base(abs)}, nil
}

// checkForRender warns of a deprecated chart and checks its dependencies
// are present, fetching a local chart's with DependencyUpdate.
func (o *Options) checkForRender(ctx context.Context, s *Source) error {
	if s.Chart.Metadata.Deprecated {
		slog.Warn("this chart is deprecated")
	}
	err := chart.CheckDependencies(s.Chart)
	if err == nil {
		return nil
	}
	if !o.DependencyUpdate || s.Kind != Local {
		return fmt.Errorf("an error occurred while checking for chart dependencies. You may need to run 'lade dependency build' to fetch missing dependencies: %w", err)
	}
	if err := o.updateDependencies(ctx, s.Ref); err != nil {
		return err
	}
	if s.Chart, err = chart.Load(s.Ref); err != nil {
		return fmt.Errorf("failed reloading chart after repo update: %w", err)
	}
	return nil
}

// updateDependencies runs `dependency update` on a local chart directory.
func (o *Options) updateDependencies(ctx context.Context, dir string) error {
	c, err := registry.NewClient(o.Registry)
	if err != nil {
		return err
	}
	defer c.Close()
	rc, err := o.repoClient()
	if err != nil {
		return err
	}
	return c.UpdateDependencies(ctx, dir, registry.DependencyOptions{Out: o.Registry.Out, Repos: rc.Dependencies()})
}
