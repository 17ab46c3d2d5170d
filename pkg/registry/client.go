package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/lade-dev/lade/internal/helmenv"
)

// Options configure a Client. The zero value talks HTTPS with the system's
// CAs, reads credentials from Docker's config.json (with Helm's registry
// config as a fallback) and caches under DefaultCacheDir.
type Options struct {
	// PlainHTTP talks HTTP instead of HTTPS.
	PlainHTTP bool
	// CAFile is a PEM bundle of CAs to trust for the registry's certificate.
	CAFile string
	// CertFile and KeyFile are a client certificate for mutual TLS.
	CertFile, KeyFile string
	// InsecureSkipTLSVerify accepts any server certificate.
	InsecureSkipTLSVerify bool
	// Username and Password, when both are set, are used for every registry
	// instead of stored credentials.
	Username, Password string
	// RegistryConfig is the credentials file (Docker's config.json format)
	// to read and to write on login. Empty: Docker's config.json
	// ($DOCKER_CONFIG/config.json or ~/.docker/config.json) for both, and Helm's
	// registry config ($HELM_REGISTRY_CONFIG or ~/.config/helm/registry/config.json)
	// as a read-only fallback, so `docker login` and `helm registry login` are reused.
	RegistryConfig string
	// CacheDir is the content cache. Empty: DefaultCacheDir().
	CacheDir string
	// Out receives what Helm prints during registry operations (Pushed:,
	// Pulled:, Digest:, warnings). Nil discards it.
	Out io.Writer
	// UserAgent is sent with every request. Empty: "lade".
	UserAgent string
	// WrapTransport, when set, wraps the HTTP transport (after TLS is set
	// up, before retries), e.g. to count or trace requests.
	WrapTransport func(http.RoundTripper) http.RoundTripper
}

// Client pushes, pulls and resolves charts. It is safe for concurrent use.
type Client struct {
	opts  Options
	out   io.Writer
	auth  *auth.Client
	store credentials.Store
	cache *Cache
	tr    *http.Transport
	// cacheErr is why there is no cache directory, if there is none.
	cacheErr error
}

// NewClient creates a client. It reads the credentials configuration but
// contacts no registry.
func NewClient(opts Options) (*Client, error) {
	c := &Client{opts: opts, out: opts.Out}
	if c.out == nil {
		c.out = io.Discard
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tlsConf, err := tlsConfig(opts)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		tr.TLSClientConfig = tlsConf
	}
	c.tr = tr
	var rt http.RoundTripper = tr
	if opts.WrapTransport != nil {
		rt = opts.WrapTransport(rt)
	}
	if c.store, err = credentialStore(opts.RegistryConfig); err != nil {
		return nil, err
	}
	c.auth = &auth.Client{
		Client: &http.Client{Transport: retry.NewTransport(rt)},
		Cache:  auth.NewCache(),
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "lade"
	}
	c.auth.SetUserAgent(ua)
	if opts.Username != "" && opts.Password != "" {
		cred := auth.Credential{Username: opts.Username, Password: opts.Password}
		c.auth.Credential = func(context.Context, string) (auth.Credential, error) { return cred, nil }
	} else {
		c.auth.Credential = credentials.Credential(c.store)
	}
	dir := opts.CacheDir
	if dir == "" {
		// Without a cache directory (no HOME, no XDG_CACHE_HOME) login and
		// push still work; pulls then fail on the cache with this error.
		if dir, err = DefaultCacheDir(); err != nil {
			c.cacheErr = err
		}
	}
	c.cache = &Cache{Dir: dir}
	return c, nil
}

// Close closes the client's idle connections. The client stays usable.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Cache is the client's content cache.
func (c *Client) Cache() *Cache { return c.cache }

func tlsConfig(opts Options) (*tls.Config, error) {
	if opts.CAFile == "" && opts.CertFile == "" && opts.KeyFile == "" && !opts.InsecureSkipTLSVerify {
		return nil, nil
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opts.InsecureSkipTLSVerify} //nolint:gosec // asked for by --insecure-skip-tls-verify
	if (opts.CertFile == "") != (opts.KeyFile == "") {
		return nil, errors.New("--cert-file and --key-file go together: give both or neither")
	}
	if opts.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(opts.CertFile, opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read --ca-file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", opts.CAFile)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

var storeOptions = credentials.StoreOptions{AllowPlaintextPut: true, DetectDefaultNativeStore: true}

// credentialStore opens the credentials file given, or Docker's with Helm's
// as a fallback.
func credentialStore(file string) (credentials.Store, error) {
	if file != "" {
		s, err := credentials.NewStore(file, storeOptions)
		if err != nil {
			return nil, fmt.Errorf("registry config %s: %w", file, err)
		}
		return s, nil
	}
	docker, err := credentials.NewStoreFromDocker(storeOptions)
	if err != nil {
		return nil, fmt.Errorf("docker config: %w", err)
	}
	helmFile := HelmRegistryConfig()
	if helmFile == "" {
		return docker, nil
	}
	if _, err := os.Stat(helmFile); err != nil {
		return docker, nil
	}
	helm, err := credentials.NewStore(helmFile, credentials.StoreOptions{})
	if err != nil {
		// An unreadable Helm file must not break Docker's credentials.
		return docker, nil //nolint:nilerr
	}
	return credentials.NewStoreWithFallbacks(docker, helm), nil
}

// HelmRegistryConfig is the file `helm registry login` writes:
// $HELM_REGISTRY_CONFIG, else registry/config.json in Helm's config home
// ($HELM_CONFIG_HOME, $XDG_CONFIG_HOME/helm, or the platform default).
func HelmRegistryConfig() string { return helmenv.RegistryConfig() }

// repository is a remote repository bound to the client's transport.
func (c *Client) repository(r Reference) (*remote.Repository, error) {
	repo, err := remote.NewRepository(r.Repo())
	if err != nil {
		return nil, fmt.Errorf("invalid OCI reference %s: %w", r.URL(), err)
	}
	repo.PlainHTTP = c.opts.PlainHTTP
	repo.Client = c.auth
	return repo, nil
}
