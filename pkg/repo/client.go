package repo

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/lade-dev/lade/pkg/chart"
)

// Options configure a Client.
type Options struct {
	// Paths are repositories.yaml and the index cache (see ResolvePaths).
	Paths Paths
	// MaxIndexSize bounds index files (0: DefaultMaxIndexSize).
	MaxIndexSize int64
	// CacheDir is lade's content-addressed chart cache, shared with OCI
	// pulls (empty: registry.DefaultCacheDir).
	CacheDir string
	// Warn receives warnings (skipped index entries, stale caches).
	Warn Warner
	// Timeout bounds each HTTP request (0: two minutes).
	Timeout time.Duration
	// Transport overrides the base HTTP transport (tests).
	Transport *http.Transport
}

// Client works on chart repositories and Helm's repository files.
type Client struct {
	opts Options
	mu   sync.Mutex
}

// NewClient makes a Client; it does no I/O.
func NewClient(opts Options) *Client {
	if opts.MaxIndexSize <= 0 {
		opts.MaxIndexSize = DefaultMaxIndexSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Minute
	}
	if opts.Warn == nil {
		opts.Warn = func(string) {}
	}
	return &Client{opts: opts}
}

// Paths are the client's repository files.
func (c *Client) Paths() Paths { return c.opts.Paths }

// maxArchiveSize bounds a chart archive download: an archive that
// decompresses to at most chart.MaxChartSize cannot be much larger.
const maxArchiveSize = 2 * chart.MaxChartSize

// ErrHTTP marks a response that is not 200 (or 304 where asked for).
var ErrHTTP = errors.New("unexpected HTTP status")

// httpClient is an HTTP client with the entry's TLS settings.
func (c *Client) httpClient(e *Entry) (*http.Client, error) {
	var tr *http.Transport
	if c.opts.Transport != nil {
		tr = c.opts.Transport.Clone()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: e.InsecureSkipTLSVerify} //nolint:gosec // the user asked for it
	if tr.TLSClientConfig != nil {
		cfg = tr.TLSClientConfig.Clone()
		cfg.InsecureSkipVerify = cfg.InsecureSkipVerify || e.InsecureSkipTLSVerify
	}
	if e.CAFile != "" {
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("repository %s: CA file: %w", e.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("repository %s: CA file %s holds no PEM certificate", e.Name, e.CAFile)
		}
		cfg.RootCAs = pool
	}
	if e.CertFile != "" || e.KeyFile != "" {
		if e.CertFile == "" || e.KeyFile == "" {
			return nil, fmt.Errorf("repository %s: --cert-file and --key-file go together", e.Name)
		}
		cert, err := tls.LoadX509KeyPair(e.CertFile, e.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("repository %s: client certificate: %w", e.Name, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr, Timeout: c.opts.Timeout}, nil
}

// sameOrigin reports whether a and b have the same scheme and host.
func sameOrigin(a, b string) bool {
	ua, err := url.Parse(a)
	if err != nil {
		return false
	}
	ub, err := url.Parse(b)
	if err != nil {
		return false
	}
	return ua.Scheme == ub.Scheme && ua.Host == ub.Host
}

// newRequest is a GET of target with the entry's credentials, which go
// only to the repository's own scheme and host unless PassCredentialsAll.
func newRequest(ctx context.Context, e *Entry, target string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "lade")
	if (e.Username != "" || e.Password != "") && (e.PassCredentialsAll || sameOrigin(e.URL, target)) {
		req.SetBasicAuth(e.Username, e.Password)
	}
	return req, nil
}

// get sends a GET of target with e's credentials and TLS settings
// (prepare, when set, adds headers). Closing the response's body also
// closes the idle connections of the client made for the request.
func (c *Client) get(ctx context.Context, e *Entry, target string, prepare func(*http.Request)) (*http.Response, error) {
	hc, err := c.httpClient(e)
	if err != nil {
		return nil, err
	}
	req, err := newRequest(ctx, e, target)
	if err != nil {
		hc.CloseIdleConnections()
		return nil, err
	}
	if prepare != nil {
		prepare(req)
	}
	resp, err := hc.Do(req)
	if err != nil {
		hc.CloseIdleConnections()
		return nil, err
	}
	resp.Body = closeIdle{resp.Body, hc}
	return resp, nil
}

// closeIdle is a response body whose Close also closes the idle
// connections of the client that fetched it.
type closeIdle struct {
	io.ReadCloser
	hc *http.Client
}

func (b closeIdle) Close() error {
	err := b.ReadCloser.Close()
	b.hc.CloseIdleConnections()
	return err
}

// readBody reads at most max bytes of a response body.
func readBody(r io.Reader, max int64, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %w: more than the %d bytes allowed", what, ErrIndexTooLarge, max)
	}
	return data, nil
}

// statusError describes a failed response as Helm does.
func statusError(target string, resp *http.Response) error {
	return fmt.Errorf("%w: failed to fetch %s : %s", ErrHTTP, target, resp.Status)
}

// IndexResult is what an index download did.
type IndexResult int

const (
	// IndexUpdated means a new index was downloaded and cached.
	IndexUpdated IndexResult = iota
	// IndexUnchanged means the server answered 304 Not Modified.
	IndexUnchanged
)

// fetchIndex downloads e's index. With prev (a fresh compact form of the
// same URL) the request is conditional; a 304 returns (nil, nil).
func (c *Client) fetchIndex(ctx context.Context, e *Entry, prev *Compact) (*IndexFile, []byte, *http.Response, error) {
	target, err := ResolveURL(e.URL, "index.yaml")
	if err != nil {
		return nil, nil, nil, fmt.Errorf("repository URL %q: %w", e.URL, err)
	}
	resp, err := c.get(ctx, e, target, func(req *http.Request) {
		if prev == nil {
			return
		}
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	})
	if err != nil {
		return nil, nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified && prev != nil {
		return nil, nil, resp, nil
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, nil, statusError(target, resp)
	}
	if resp.ContentLength > c.opts.MaxIndexSize {
		return nil, nil, nil, fmt.Errorf("%s: %w: %d bytes, more than the %d allowed", target, ErrIndexTooLarge, resp.ContentLength, c.opts.MaxIndexSize)
	}
	data, err := readBody(resp.Body, c.opts.MaxIndexSize, target)
	if err != nil {
		return nil, nil, nil, err
	}
	idx, err := LoadIndex(data, e.URL, c.opts.MaxIndexSize, c.opts.Warn)
	if err != nil {
		return nil, nil, nil, err
	}
	return idx, data, resp, nil
}

// DownloadIndex downloads e's index into the cache: Helm's NAME-index.yaml
// (the bytes as served) and NAME-charts.txt, and lade's compact form. When
// conditional, a cached index of the same URL is revalidated with
// If-None-Match/If-Modified-Since and kept on 304. Nothing is written
// unless the whole index parses.
func (c *Client) DownloadIndex(ctx context.Context, e *Entry, conditional bool) (IndexResult, error) {
	if err := ValidateName(e.Name); err != nil {
		return 0, err
	}
	p := c.opts.Paths
	var prev *Compact
	if conditional {
		if cp, err := readCompact(p.CompactFile(e.Name), p.IndexFile(e.Name)); err == nil && cp.URL == e.URL {
			prev = cp
		}
	}
	idx, data, resp, err := c.fetchIndex(ctx, e, prev)
	if err != nil {
		return 0, err
	}
	if idx == nil {
		return IndexUnchanged, nil
	}
	cp := NewCompact(idx)
	cp.URL = e.URL
	cp.ETag = resp.Header.Get("ETag")
	cp.LastModified = resp.Header.Get("Last-Modified")
	if err := c.storeIndex(e.Name, data, cp); err != nil {
		return 0, err
	}
	return IndexUpdated, nil
}

// storeIndex writes the three cache files of repository name.
func (c *Client) storeIndex(name string, data []byte, cp *Compact) error {
	p := c.opts.Paths
	if err := atomicWrite(p.ChartsFile(name), chartsList(cp), 0o644); err != nil {
		return err
	}
	if err := atomicWrite(p.IndexFile(name), data, 0o644); err != nil {
		return err
	}
	fi, err := os.Stat(p.IndexFile(name))
	if err != nil {
		return err
	}
	cp.IndexSize, cp.IndexModTime = fi.Size(), fi.ModTime().UnixNano()
	return writeCompact(p.CompactFile(name), cp)
}

// LoadCompact returns the cached index of repository name in compact form.
// A compact form older than Helm's index file (Helm updated it) is rebuilt
// from the index file.
func (c *Client) LoadCompact(name string) (*Compact, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	p := c.opts.Paths
	cp, err := readCompact(p.CompactFile(name), p.IndexFile(name))
	if err == nil {
		return cp, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(p.IndexFile(name)); serr != nil {
			return nil, fmt.Errorf("no cached index for repository %q (run 'lade repo update %s'): %w", name, name, serr)
		}
	}
	idx, err := LoadIndexFile(p.IndexFile(name), c.opts.MaxIndexSize, c.opts.Warn)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(p.IndexFile(name))
	if err != nil {
		return nil, err
	}
	cp = NewCompact(idx)
	if f, ferr := LoadFile(p.Config); ferr == nil {
		if e := f.Get(name); e != nil {
			cp.URL = e.URL
		}
	}
	cp.IndexSize, cp.IndexModTime = fi.Size(), fi.ModTime().UnixNano()
	// Best effort: a cache that cannot be written is only slower.
	_ = writeCompact(p.CompactFile(name), cp)
	return cp, nil
}
