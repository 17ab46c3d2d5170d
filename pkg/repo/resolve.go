package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencontainers/go-digest"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
)

// ErrDigestMismatch is returned when an archive does not match the digest
// its index names.
var ErrDigestMismatch = errors.New("chart archive digest mismatch")

// ResolveOptions say how a chart reference is resolved.
type ResolveOptions struct {
	// Version is an exact version or a SemVer constraint; empty means the
	// newest release (callers turn --devel into ">0.0.0-0").
	Version string
	// RepoURL (--repo) is a repository to find the chart in without adding it.
	RepoURL string
	// Credentials and TLS for RepoURL and plain archive URLs.
	Username, Password    string
	PassCredentials       bool
	CAFile                string
	CertFile, KeyFile     string
	InsecureSkipTLSVerify bool
}

// Resolved is a chart fetched from a repository (or from the cache).
type Resolved struct {
	// URL is the archive's URL; Repo the repository name ("" for --repo
	// and plain URLs).
	URL  string
	Repo string
	// Digest is the archive's SHA-256 digest.
	Digest digest.Digest
	// Archive is the chart archive and Chart the archive loaded by the
	// chart loader (all its safety rules applied).
	Archive []byte
	Chart   *chart.Chart
	// Cached is true when the archive came from the content cache.
	Cached bool
	// entry is the repository the archive came from (credentials, TLS),
	// for fetching its provenance file.
	entry *Entry
}

// IsURL reports whether ref is an http(s) URL (a plain archive reference).
func IsURL(ref string) bool {
	return strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://")
}

// IsReference reports whether ref, which is not an existing local path,
// is a repository reference: REPO/CHART or an http(s) URL.
func IsReference(ref string) bool {
	if IsURL(ref) {
		return true
	}
	if strings.Contains(ref, "://") || filepath.IsAbs(ref) || strings.HasPrefix(ref, ".") {
		return false
	}
	name, ch, ok := strings.Cut(ref, "/")
	return ok && name != "" && ch != "" && !strings.Contains(ch, "/") && !strings.HasSuffix(ch, ".tgz")
}

// Resolve finds and fetches the chart ref: REPO/CHART from a configured
// repository's cached index, CHART in opts.RepoURL, or a plain http(s)
// archive URL. The archive is checked against the index's digest, loaded
// through the chart loader's safety rules, and kept in the content cache
// shared with OCI pulls (an archive whose digest is cached is not fetched).
func (c *Client) Resolve(ctx context.Context, ref string, opts ResolveOptions) (*Resolved, error) {
	adhoc := &Entry{
		Username: opts.Username, Password: opts.Password, PassCredentialsAll: opts.PassCredentials,
		CAFile: opts.CAFile, CertFile: opts.CertFile, KeyFile: opts.KeyFile,
		InsecureSkipTLSVerify: opts.InsecureSkipTLSVerify,
	}
	switch {
	case opts.RepoURL != "":
		adhoc.Name, adhoc.URL = "--repo", opts.RepoURL
		idx, _, _, err := c.fetchIndex(ctx, adhoc, nil)
		if err != nil {
			return nil, fmt.Errorf("looks like %q is not a valid chart repository or cannot be reached: %w", opts.RepoURL, err)
		}
		v, err := NewCompact(idx).Get(ref, opts.Version)
		if err != nil {
			return nil, fmt.Errorf("chart %q%s not found in %s repository: %w", ref, versionText(opts.Version), opts.RepoURL, err)
		}
		return c.fetchVersion(ctx, adhoc, "", v, ref)
	case IsURL(ref):
		if opts.Version != "" {
			return nil, fmt.Errorf("--version %q cannot be used with the archive URL %s", opts.Version, ref)
		}
		adhoc.URL = ref
		return c.fetchArchive(ctx, adhoc, ref, "", "")
	}
	repoName, chartName, ok := strings.Cut(ref, "/")
	if !ok || !IsReference(ref) {
		return nil, fmt.Errorf("%q is not a chart reference (want REPO/CHART, a directory, an archive, or an oci:// or https:// reference)", ref)
	}
	e, err := c.Entry(repoName)
	if err != nil {
		return nil, err
	}
	cp, err := c.LoadCompact(repoName)
	if err != nil {
		return nil, err
	}
	v, err := cp.Get(chartName, opts.Version)
	if err != nil {
		return nil, fmt.Errorf("chart %q%s not found in repository %q (try 'lade repo update %s'): %w", chartName, versionText(opts.Version), repoName, repoName, err)
	}
	return c.fetchVersion(ctx, e, repoName, v, chartName)
}

// versionText is " version V" for messages, or "".
func versionText(v string) string {
	if v == "" {
		return ""
	}
	return fmt.Sprintf(" version %q", v)
}

// fetchVersion fetches the archive of an index entry.
func (c *Client) fetchVersion(ctx context.Context, e *Entry, repoName string, v *CompactVersion, name string) (*Resolved, error) {
	if len(v.URLs) == 0 {
		return nil, fmt.Errorf("chart %q version %q has no downloadable URLs", name, v.Version)
	}
	target, err := ResolveURL(e.URL, v.URLs[0])
	if err != nil {
		return nil, fmt.Errorf("chart %q version %q: %w", name, v.Version, err)
	}
	return c.fetchArchive(ctx, e, target, v.Digest, repoName)
}

// contentCache is lade's content-addressed chart cache.
func (c *Client) contentCache() (*registry.Cache, error) {
	dir := c.opts.CacheDir
	if dir == "" {
		d, err := registry.DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &registry.Cache{Dir: dir}, nil
}

// fetchArchive gets target (from the cache when wantHex names a cached
// digest), verifies it against wantHex and loads it.
func (c *Client) fetchArchive(ctx context.Context, e *Entry, target, wantHex, repoName string) (*Resolved, error) {
	cache, err := c.contentCache()
	if err != nil {
		return nil, err
	}
	res := &Resolved{URL: target, Repo: repoName, entry: e}
	var want digest.Digest
	if wantHex != "" {
		want = digest.NewDigestFromEncoded(digest.SHA256, strings.ToLower(wantHex))
		if data, err := cache.Get(want, maxArchiveSize); err == nil {
			if ch, err := chart.LoadArchive(bytes.NewReader(data)); err == nil {
				res.Digest, res.Archive, res.Chart, res.Cached = want, data, ch, true
				return res, nil
			}
		}
	}
	data, err := c.download(ctx, e, target)
	if err != nil {
		return nil, err
	}
	got := digest.FromBytes(data)
	if want != "" && got != want {
		return nil, fmt.Errorf("%w: %s has digest %s, the index says %s", ErrDigestMismatch, redact(target), got.Encoded(), want.Encoded())
	}
	ch, err := chart.LoadArchive(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("chart %s fails the chart loader's safety rules: %w", redact(target), err)
	}
	if err := cache.Put(got, data); err != nil {
		c.opts.Warn(fmt.Sprintf("chart cache: %v", err))
	}
	res.Digest, res.Archive, res.Chart = got, data, ch
	return res, nil
}

// download GETs an archive of at most maxArchiveSize bytes.
func (c *Client) download(ctx context.Context, e *Entry, target string) ([]byte, error) {
	resp, err := c.get(ctx, e, target, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, statusError(redact(target), resp)
	}
	if resp.ContentLength > maxArchiveSize {
		return nil, fmt.Errorf("chart archive %s is %d bytes, more than the %d allowed", redact(target), resp.ContentLength, maxArchiveSize)
	}
	data, err := readBody(resp.Body, maxArchiveSize, "chart archive "+redact(target))
	if err != nil {
		return nil, err
	}
	return data, nil
}

// redact drops user information from a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}

// SaveArchive writes the archive as DIR/NAME-VERSION.tgz.
func (r *Resolved) SaveArchive(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, r.Chart.Metadata.Name+"-"+r.Chart.Metadata.Version+".tgz")
	return p, atomicWrite(p, r.Archive, 0o644)
}
