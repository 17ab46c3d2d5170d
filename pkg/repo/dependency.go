package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"
	"sync"

	"github.com/lade-dev/lade/pkg/chart"
)

// managerPrefix names the cache entries of repositories that dependencies
// name by URL without their being added (Helm's "helm-manager-" names).
const managerPrefix = "helm-manager-"

// Dependencies resolves chart dependencies in chart repositories, for
// `dependency update/build` (registry.ChartRepositories). Repositories are
// found as Helm finds them: @NAME and alias:NAME name added repositories;
// a URL is an added repository with that URL, or else an unmanaged one
// whose index is cached as helm-manager-SHA256(URL).
type Dependencies struct {
	c     *Client
	mu    sync.Mutex
	byURL map[string]*Entry
}

// Dependencies returns the dependency resolver of c.
func (c *Client) Dependencies() *Dependencies {
	return &Dependencies{c: c, byURL: map[string]*Entry{}}
}

// normURL is a repository URL without its trailing slash (Helm compares
// URLs that way).
func normURL(u string) string { return strings.TrimSuffix(u, "/") }

// Prepare rewrites @NAME and alias:NAME in place to the repositories'
// URLs and, with refresh, downloads the indexes the dependencies need
// (conditionally: unchanged ones cost a 304).
func (d *Dependencies) Prepare(ctx context.Context, deps []*chart.Dependency, refresh bool, out io.Writer) error {
	f, err := LoadFile(d.c.opts.Paths.Config)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var missing []string
	var managed, unmanaged []*Entry
	seen := map[string]bool{}
	for _, dep := range deps {
		r := dep.Repository
		if r == "" || strings.HasPrefix(r, "file://") || strings.HasPrefix(r, "oci://") {
			continue
		}
		var e *Entry
		if name, ok := strings.CutPrefix(r, "@"); ok {
			e = f.Get(name)
		} else if name, ok := strings.CutPrefix(r, "alias:"); ok {
			e = f.Get(name)
		} else {
			for _, x := range f.Repositories {
				if normURL(x.URL) == normURL(r) {
					e = x
					break
				}
			}
			if e == nil {
				u, perr := url.ParseRequestURI(r)
				if perr != nil || (u.Scheme != "http" && u.Scheme != "https") {
					missing = append(missing, r)
					continue
				}
				sum := sha256.Sum256([]byte(r))
				e = &Entry{Name: managerPrefix + hex.EncodeToString(sum[:]), URL: r}
				if !seen[e.Name] {
					unmanaged = append(unmanaged, e)
				}
				seen[e.Name] = true
			} else if !seen[e.Name] {
				managed = append(managed, e)
				seen[e.Name] = true
			}
		}
		if e == nil {
			missing = append(missing, r)
			continue
		}
		if strings.HasPrefix(r, "@") || strings.HasPrefix(r, "alias:") {
			dep.Repository = e.URL
			if !seen[e.Name] {
				managed = append(managed, e)
				seen[e.Name] = true
			}
		}
		d.mu.Lock()
		d.byURL[normURL(e.URL)] = e
		d.mu.Unlock()
	}
	if len(missing) > 0 {
		return fmt.Errorf("no repository definition for %s. Please add them via 'lade repo add' (repositories are URLs, @NAME or alias:NAME)", strings.Join(missing, ", "))
	}
	if !refresh {
		return nil
	}
	update := func(title string, entries []*Entry, label func(*Entry) string) error {
		if len(entries) == 0 {
			return nil
		}
		fmt.Fprintln(out, title)
		var failed []string
		for _, e := range entries {
			res, err := d.c.DownloadIndex(ctx, e, true)
			switch {
			case err != nil:
				fmt.Fprintf(out, "...Unable to get an update from the %q chart repository (%s):\n\t%s\n", label(e), e.URL, err)
				failed = append(failed, e.URL)
			case res == IndexUnchanged:
				fmt.Fprintf(out, "...The %q chart repository is unchanged (304 Not Modified)\n", label(e))
			default:
				fmt.Fprintf(out, "...Successfully got an update from the %q chart repository\n", label(e))
			}
		}
		if len(failed) > 0 {
			return fmt.Errorf("failed to update the following repositories: %v", failed)
		}
		return nil
	}
	if err := update("Getting updates for unmanaged Helm repositories...", unmanaged, func(e *Entry) string { return e.URL }); err != nil {
		return err
	}
	if err := update("Hang tight while we grab the latest from your chart repositories...", managed, func(e *Entry) string { return e.Name }); err != nil {
		return err
	}
	if len(managed) > 0 {
		fmt.Fprintln(out, "Update Complete. ⎈Happy Helming!⎈")
	}
	return nil
}

// entry is the repository Prepare found for repoURL.
func (d *Dependencies) entry(repoURL string) (*Entry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.byURL[normURL(repoURL)]
	if e == nil {
		return nil, fmt.Errorf("no repository definition for %s", repoURL)
	}
	return e, nil
}

// Versions lists chart name's versions with archive URLs, newest first.
func (d *Dependencies) Versions(_ context.Context, repoURL, name string) ([]string, error) {
	e, err := d.entry(repoURL)
	if err != nil {
		return nil, err
	}
	cp, err := d.c.LoadCompact(e.Name)
	if err != nil {
		return nil, fmt.Errorf("no cached repository for %s found. (try 'lade repo update'): %w", e.Name, err)
	}
	vs, ok := cp.chart(name)
	if !ok {
		return nil, fmt.Errorf("%s chart not found in repo %s", name, repoURL)
	}
	var out []string
	for _, v := range vs {
		if len(v.URLs) > 0 {
			out = append(out, v.Version)
		}
	}
	return out, nil
}

// Fetch returns chart name at exactly version, verified against the
// index's digest and through the content cache.
func (d *Dependencies) Fetch(ctx context.Context, repoURL, name, version string) ([]byte, *chart.Chart, error) {
	e, err := d.entry(repoURL)
	if err != nil {
		return nil, nil, err
	}
	cp, err := d.c.LoadCompact(e.Name)
	if err != nil {
		return nil, nil, err
	}
	vs, ok := cp.chart(name)
	if !ok {
		return nil, nil, fmt.Errorf("%s chart not found in repo %s", name, repoURL)
	}
	for i := range vs {
		if vs[i].Version == version && len(vs[i].URLs) > 0 {
			res, err := d.c.fetchVersion(ctx, e, e.Name, &vs[i], name)
			if err != nil {
				return nil, nil, err
			}
			return res.Archive, res.Chart, nil
		}
	}
	return nil, nil, fmt.Errorf("%w: %s version %s not found in %s", ErrChartNotFound, name, version, repoURL)
}

// FetchProvenance fetches the provenance file of chart name at exactly
// version from the repository at repoURL (registry.ProvenanceFetcher).
func (d *Dependencies) FetchProvenance(ctx context.Context, repoURL, name, version string) ([]byte, error) {
	e, err := d.entry(repoURL)
	if err != nil {
		return nil, err
	}
	cp, err := d.c.LoadCompact(e.Name)
	if err != nil {
		return nil, err
	}
	vs, _ := cp.chart(name)
	for i := range vs {
		if vs[i].Version == version && len(vs[i].URLs) > 0 {
			target, err := ResolveURL(e.URL, vs[i].URLs[0])
			if err != nil {
				return nil, err
			}
			return d.c.Provenance(ctx, &Resolved{URL: target, entry: e})
		}
	}
	return nil, fmt.Errorf("%w: %s version %s not found in %s", ErrChartNotFound, name, version, repoURL)
}
