package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/fsutil"
	"github.com/lade-dev/lade/pkg/chart"
)

// LockFile is Chart.lock (requirements.lock for apiVersion v1 charts) in
// Helm's format, with the manifest digest of each oci:// dependency added.
// Helm reads such a file unchanged (it ignores the extra field), and the
// lock's own digest is computed as Helm computes it.
type LockFile struct {
	Generated    time.Time           `json:"generated"`
	Digest       string              `json:"digest"`
	Dependencies []*LockedDependency `json:"dependencies"`
}

// LockedDependency is one resolved dependency.
type LockedDependency struct {
	chart.Dependency
	// Digest is the manifest digest of an oci:// dependency.
	Digest string `json:"digest,omitempty"`
}

// HashRequirements is Helm's Chart.lock digest: sha256 of the JSON of the
// Chart.yaml dependencies and the locked ones (without lade's digests).
func HashRequirements(req []*chart.Dependency, locked []*LockedDependency) (string, error) {
	var plain []*chart.Dependency
	if locked != nil {
		plain = make([]*chart.Dependency, len(locked))
	}
	for i, l := range locked {
		if l == nil {
			return "", fmt.Errorf("dependencies[%d] is empty", i)
		}
		d := l.Dependency
		plain[i] = &d
	}
	data, err := json.Marshal([2][]*chart.Dependency{req, plain})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// DependencyOptions tune UpdateDependencies and BuildDependencies.
type DependencyOptions struct {
	// Out receives Helm's progress lines. Nil discards them.
	Out io.Writer
	// Now is the lock's generated time. Zero: SOURCE_DATE_EPOCH when set, else now.
	Now time.Time
	// SkipRefresh does not refresh chart repository indexes (--skip-refresh).
	SkipRefresh bool
	// Repos resolves dependencies in classic chart repositories (http(s)://
	// URLs, @NAME and alias:NAME). Nil: such dependencies are refused.
	Repos ChartRepositories
	// Verify, when set, checks each downloaded oci:// or chart repository
	// dependency before anything is written to charts/ (--verify): archive
	// is named filename (NAME-VERSION.tgz) and prov fetches its provenance
	// file (the OCI provenance layer, or the repository's ARCHIVE.prov).
	Verify func(filename string, archive []byte, prov func() ([]byte, error)) error
}

// ProvenanceFetcher is implemented by ChartRepositories that fetch the
// provenance file of a chart version (for DependencyOptions.Verify).
type ProvenanceFetcher interface {
	FetchProvenance(ctx context.Context, repoURL, name, version string) ([]byte, error)
}

// ChartRepositories resolves dependencies whose repository is a classic
// chart repository (an index.yaml beside archives); pkg/repo implements it.
type ChartRepositories interface {
	// Prepare runs once before resolution: it rewrites @NAME and
	// alias:NAME repositories to their URLs in place (as Helm does, so the
	// lock names URLs) and refreshes the indexes the dependencies need.
	Prepare(ctx context.Context, deps []*chart.Dependency, refresh bool, out io.Writer) error
	// Versions are the versions of chart name in the repository at repoURL,
	// newest first, that have an archive URL.
	Versions(ctx context.Context, repoURL, name string) ([]string, error)
	// Fetch returns the verified, loaded archive of chart name at exactly
	// version from the repository at repoURL.
	Fetch(ctx context.Context, repoURL, name, version string) ([]byte, *chart.Chart, error)
}

// IsChartRepository reports whether a dependency's repository is a classic
// chart repository reference: an http(s) URL, @NAME or alias:NAME.
func IsChartRepository(repo string) bool {
	return strings.HasPrefix(repo, "https://") || strings.HasPrefix(repo, "http://") ||
		strings.HasPrefix(repo, "@") || strings.HasPrefix(repo, "alias:")
}

// UpdateDependencies resolves the dependencies of the chart directory dir
// (oci:// repositories by tag listing and SemVer constraints, file://
// directories, and charts already under charts/), downloads them into
// charts/ and writes Chart.lock with their digests, as `helm dependency
// update` does. The charts are fetched into a temporary directory first; a
// failure leaves charts/ and Chart.lock as they were.
func (c *Client) UpdateDependencies(ctx context.Context, dir string, opts DependencyOptions) error {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	ch, err := loadChartDir(dir)
	if err != nil {
		return err
	}
	reqs := ch.Metadata.Dependencies
	if len(reqs) == 0 {
		return nil
	}
	if err := prepareRepos(ctx, reqs, opts, out); err != nil {
		return err
	}
	lock := &LockFile{}
	var missing []string
	for _, d := range reqs {
		l, err := c.resolveDependency(ctx, dir, d, opts.Repos)
		if err != nil {
			if errors.Is(err, errNoMatch) {
				missing = append(missing, fmt.Sprintf("%q (repository %q, version %q)", d.Name, d.Repository, d.Version))
				continue
			}
			return err
		}
		lock.Dependencies = append(lock.Dependencies, l)
	}
	if len(missing) > 0 {
		return fmt.Errorf("can't get a valid version for %d subchart(s): %s. Make sure a matching chart version exists in the repo, or change the version constraint in Chart.yaml",
			len(missing), strings.Join(missing, ", "))
	}
	if err := c.downloadAll(ctx, dir, lock.Dependencies, opts, out); err != nil {
		return err
	}
	if lock.Digest, err = HashRequirements(reqs, lock.Dependencies); err != nil {
		return err
	}
	name := lockFileName(ch)
	if old, err := ReadLockFile(filepath.Join(dir, name)); err == nil && old.Digest == lock.Digest &&
		reflect.DeepEqual(old.Dependencies, lock.Dependencies) {
		return nil
	}
	if lock.Generated = opts.Now; lock.Generated.IsZero() {
		t, ok, err := chart.SourceDateEpoch()
		if err != nil {
			return err
		}
		if lock.Generated = time.Now(); ok {
			lock.Generated = t
		}
	}
	return writeLockFile(filepath.Join(dir, name), lock)
}

// BuildDependencies fetches the dependencies pinned in the chart's
// Chart.lock into charts/, as `helm dependency build` does: oci://
// dependencies by their locked digest (from the cache when it has them, so a
// rebuild sends no request), file:// ones packaged again. Without a lock file
// it runs UpdateDependencies.
func (c *Client) BuildDependencies(ctx context.Context, dir string, opts DependencyOptions) error {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	ch, err := loadChartDir(dir)
	if err != nil {
		return err
	}
	name := lockFileName(ch)
	lock, err := ReadLockFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return c.UpdateDependencies(ctx, dir, opts)
	}
	if err != nil {
		return err
	}
	if err := prepareRepos(ctx, ch.Metadata.Dependencies, opts, out); err != nil {
		return err
	}
	sum, err := HashRequirements(ch.Metadata.Dependencies, lock.Dependencies)
	if err != nil || sum != lock.Digest {
		if name == "requirements.lock" {
			return errors.New("the lock file (requirements.lock) is out of sync with the dependencies file (requirements.yaml). Please update the dependencies")
		}
		return errors.New("the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml). Please update the dependencies with 'lade dependency update'")
	}
	return c.downloadAll(ctx, dir, lock.Dependencies, opts, out)
}

// prepareRepos lets opts.Repos rewrite aliases and refresh indexes when a
// dependency names a chart repository.
func prepareRepos(ctx context.Context, deps []*chart.Dependency, opts DependencyOptions, out io.Writer) error {
	if opts.Repos == nil {
		return nil
	}
	for _, d := range deps {
		if IsChartRepository(d.Repository) {
			return opts.Repos.Prepare(ctx, deps, !opts.SkipRefresh, out)
		}
	}
	return nil
}

// errNoMatch marks a dependency whose constraint no available version meets.
var errNoMatch = errors.New("no matching version")

func (c *Client) resolveDependency(ctx context.Context, dir string, d *chart.Dependency, repos ChartRepositories) (*LockedDependency, error) {
	l := &LockedDependency{Dependency: chart.Dependency{Name: d.Name, Repository: d.Repository, Version: d.Version}}
	constraint, err := semver.NewConstraint(d.Version)
	if err != nil {
		return nil, fmt.Errorf("dependency %q has an invalid version/constraint format: %w", d.Name, err)
	}
	switch {
	case d.Repository == "":
		if _, err := localPath(filepath.Join("charts", d.Name), dir); err != nil {
			return nil, err
		}
		return l, nil
	case strings.HasPrefix(d.Repository, "file://"):
		p, err := localPath(d.Repository, dir)
		if err != nil {
			return nil, err
		}
		sub, err := chart.LoadDir(p)
		if err != nil {
			return nil, err
		}
		v, err := semver.NewVersion(sub.Metadata.Version)
		if err != nil || !constraint.Check(v) {
			return nil, errNoMatch
		}
		l.Version = sub.Metadata.Version
		return l, nil
	case IsOCI(d.Repository):
		ref := strings.TrimSuffix(d.Repository, "/") + "/" + d.Name
		version := d.Version
		if !isExactVersion(version) {
			versions, err := c.Versions(ctx, ref)
			if err != nil {
				return nil, fmt.Errorf("could not retrieve list of tags for repository %s: %w", d.Repository, err)
			}
			if version, err = MatchVersion(versions, d.Version); err != nil {
				return nil, errNoMatch
			}
		}
		l.Version = version
		return l, nil
	case repos != nil && IsChartRepository(d.Repository):
		versions, err := repos.Versions(ctx, d.Repository, d.Name)
		if err != nil {
			return nil, err
		}
		// Newest first: the first that meets the constraint, as Helm.
		for _, s := range versions {
			if v, err := semver.NewVersion(s); err == nil && constraint.Check(v) {
				l.Version = v.Original()
				return l, nil
			}
		}
		return nil, errNoMatch
	case IsChartRepository(d.Repository):
		return nil, fmt.Errorf("dependency %q: repository %q is a chart repository, and no chart repository resolver was given (DependencyOptions.Repos)", d.Name, d.Repository)
	}
	return nil, fmt.Errorf("dependency %q: repository %q is not supported: lade resolves oci:// registries, http(s):// chart repositories, @NAME/alias:NAME of added repositories, file:// directories and charts/",
		d.Name, d.Repository)
}

// downloadAll fetches the locked dependencies into a temporary directory,
// then moves them into charts/ and removes older archives of the same charts.
func (c *Client) downloadAll(ctx context.Context, dir string, deps []*LockedDependency, opts DependencyOptions, out io.Writer) error {
	repos := opts.Repos
	chartsDir := filepath.Join(dir, "charts")
	if fi, err := os.Stat(chartsDir); err == nil && !fi.IsDir() {
		return fmt.Errorf("%q is not a directory", chartsDir)
	}
	tmp, err := os.MkdirTemp(dir, "tmpcharts-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintf(out, "Saving %d charts\n", len(deps))
	managed := map[string]bool{}
	for _, d := range deps {
		switch {
		case d.Repository == "":
			fmt.Fprintf(out, "Dependency %s did not declare a repository. Assuming it exists in the charts directory\n", d.Name)
			sub, err := chart.LoadDir(filepath.Join(chartsDir, d.Name))
			if err != nil {
				return fmt.Errorf("unable to load chart '%s': %w", filepath.Join(chartsDir, d.Name), err)
			}
			constraint, err := semver.NewConstraint(d.Version)
			if err != nil {
				return fmt.Errorf("dependency %s has an invalid version/constraint format: %w", d.Name, err)
			}
			v, err := semver.NewVersion(sub.Metadata.Version)
			if err != nil || !constraint.Check(v) {
				return fmt.Errorf("dependency %s at version %s does not satisfy the constraint %s", d.Name, sub.Metadata.Version, d.Version)
			}
		case strings.HasPrefix(d.Repository, "file://"):
			p, err := localPath(d.Repository, dir)
			if err != nil {
				return err
			}
			if _, err := chart.Package(p, tmp, chart.PackageOptions{}); err != nil {
				return fmt.Errorf("could not package dependency %s from %s: %w", d.Name, d.Repository, err)
			}
			managed[d.Name] = true
		case IsOCI(d.Repository):
			ref := strings.TrimSuffix(d.Repository, "/") + "/" + d.Name
			fmt.Fprintf(out, "Downloading %s from repo %s\n", d.Name, d.Repository)
			pullRef, version := ref+":"+TagForVersion(d.Version), ""
			if d.Digest != "" {
				pullRef = ref + "@" + d.Digest
			}
			res, err := c.Pull(ctx, pullRef, version)
			if err != nil {
				return fmt.Errorf("could not download %s: %w", ref, err)
			}
			if got := res.Chart.Metadata.Version; got != d.Version || res.Chart.Metadata.Name != d.Name {
				return newKindError(ErrDigestMismatch, nil, "%s: locked as %s %s but %s holds %s %s",
					ref, d.Name, d.Version, res.Manifest.Digest, res.Chart.Metadata.Name, got)
			}
			d.Digest = res.Manifest.Digest.String()
			if opts.Verify != nil {
				err := opts.Verify(res.FileName(), res.Archive, func() ([]byte, error) {
					prov, found, err := c.Provenance(ctx, res)
					if err == nil && !found {
						err = fmt.Errorf("%s@%s has no provenance layer", ref, res.Manifest.Digest)
					}
					return prov, err
				})
				if err != nil {
					return fmt.Errorf("dependency %s %s: %w", d.Name, d.Version, err)
				}
			}
			if _, err := res.SaveArchive(tmp); err != nil {
				return err
			}
			managed[d.Name] = true
		case repos != nil && IsChartRepository(d.Repository):
			fmt.Fprintf(out, "Downloading %s from repo %s\n", d.Name, d.Repository)
			archive, ch, err := repos.Fetch(ctx, d.Repository, d.Name, d.Version)
			if err != nil {
				return fmt.Errorf("could not download %s from %s: %w", d.Name, d.Repository, err)
			}
			if ch.Metadata.Name != d.Name {
				return fmt.Errorf("%s: the archive of %s %s holds chart %q", d.Repository, d.Name, d.Version, ch.Metadata.Name)
			}
			res := &PullResult{Archive: archive, Chart: ch}
			if opts.Verify != nil {
				pf, ok := repos.(ProvenanceFetcher)
				if !ok {
					return fmt.Errorf("dependency %s: cannot fetch provenance files from %s", d.Name, d.Repository)
				}
				err := opts.Verify(res.FileName(), archive, func() ([]byte, error) {
					return pf.FetchProvenance(ctx, d.Repository, d.Name, d.Version)
				})
				if err != nil {
					return fmt.Errorf("dependency %s %s: %w", d.Name, d.Version, err)
				}
			}
			if _, err := res.SaveArchive(tmp); err != nil {
				return err
			}
			managed[d.Name] = true
		default:
			return fmt.Errorf("dependency %q: repository %q is not supported", d.Name, d.Repository)
		}
	}

	if err := os.MkdirAll(chartsDir, 0o755); err != nil {
		return err
	}
	fetched, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, f := range fetched {
		keep[f.Name()] = true
		if err := os.Rename(filepath.Join(tmp, f.Name()), filepath.Join(chartsDir, f.Name())); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "Deleting outdated charts")
	existing, err := os.ReadDir(chartsDir)
	if err != nil {
		return err
	}
	for _, f := range existing {
		if f.IsDir() || keep[f.Name()] || !strings.HasSuffix(f.Name(), ".tgz") {
			continue
		}
		p := filepath.Join(chartsDir, f.Name())
		old, err := chart.Load(p)
		if err != nil || !managed[old.Name()] {
			continue // not an older copy of a dependency lade manages
		}
		if err := os.Remove(p); err != nil {
			fmt.Fprintf(out, "Could not delete %s: %s (Skipping)\n", p, err)
		}
	}
	return nil
}

// ReadLockFile reads a Chart.lock or requirements.lock.
func ReadLockFile(name string) (*LockFile, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	lock := &LockFile{}
	if err := yaml.Unmarshal(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), lock); err != nil {
		return nil, fmt.Errorf("cannot load %s: %w", filepath.Base(name), err)
	}
	for i, d := range lock.Dependencies {
		if d == nil {
			return nil, fmt.Errorf("cannot load %s: dependencies[%d] is empty", filepath.Base(name), i)
		}
	}
	return lock, nil
}

// writeLockFile writes the lock as Helm does (YAML of the JSON form, keys
// sorted), refusing to follow a symlink, through a temporary file.
func writeLockFile(name string, lock *LockFile) error {
	data, err := yaml.Marshal(lock)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		link, _ := os.Readlink(name)
		return fmt.Errorf("the %s file is a symlink to %q", filepath.Base(name), link)
	}
	return fsutil.WriteFileAtomic(name, data, time.Time{})
}

func lockFileName(ch *chart.Chart) string {
	if ch.Metadata.APIVersion == chart.APIVersionV1 {
		return "requirements.lock"
	}
	return "Chart.lock"
}

func loadChartDir(dir string) (*chart.Chart, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("could not find %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, errors.New("only unpacked charts can be updated")
	}
	return chart.LoadDir(dir)
}

// localPath resolves a file:// repository (or charts/NAME) against the chart directory.
func localPath(repo, chartDir string) (string, error) {
	p := strings.TrimPrefix(repo, "file://")
	if !filepath.IsAbs(p) {
		p = filepath.Join(chartDir, p)
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("directory %s not found", p)
	} else if err != nil {
		return "", err
	}
	return p, nil
}
