package testenv

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd" // registers the htpasswd access controller
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // registers the inmemory driver
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
)

// RegistryConfig configures an in-process OCI registry.
type RegistryConfig struct {
	// TLS serves HTTPS with a certificate for 127.0.0.1/localhost issued by a
	// freshly generated CA (Registry.CAPEM, Registry.CAFile).
	TLS bool
	// Username and Password, when set, require HTTP basic auth (htpasswd file,
	// bcrypt). Requests without valid credentials get 401.
	Username, Password string
	// Verbose keeps the registry's request logs and TLS handshake errors.
	Verbose bool
}

// Registry is a github.com/distribution/distribution/v3 registry served
// in-process on 127.0.0.1 with in-memory storage.
type Registry struct {
	// Host is host:port, e.g. 127.0.0.1:41234 (what goes into image references).
	Host string
	// URL is http://Host or https://Host.
	URL string
	// CAPEM and CAFile are the CA that signed the serving certificate (TLS only).
	CAPEM  []byte
	CAFile string
	// Username and Password are the basic-auth credentials (empty without auth).
	Username, Password string
	// HtpasswdFile is the htpasswd file the registry authenticates against.
	HtpasswdFile string
	// Dir holds the CA and htpasswd files; removed by Close.
	Dir string

	server *http.Server
	app    *handlers.App
	once   sync.Once
}

var quietRegistryLogs sync.Once

// StartRegistry starts a registry; Close stops it.
func StartRegistry(cfg RegistryConfig) (reg *Registry, err error) {
	if !cfg.Verbose {
		// distribution logs every request (info) and every refused one (warning)
		// through logrus' standard logger
		quietRegistryLogs.Do(func() {
			if logrus.GetLevel() == logrus.InfoLevel {
				logrus.SetLevel(logrus.ErrorLevel)
			}
		})
	}
	dir, err := os.MkdirTemp("", "lade-registry-")
	if err != nil {
		return nil, err
	}
	r := &Registry{Dir: dir, Username: cfg.Username, Password: cfg.Password}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(dir)
		}
	}()

	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	conf := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory":    configuration.Parameters{},
			"delete":      configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{"enabled": false}},
		},
	}
	conf.HTTP.Secret = hex.EncodeToString(secret)
	if cfg.Username != "" || cfg.Password != "" {
		if cfg.Username == "" || cfg.Password == "" {
			return nil, errors.New("testenv: registry auth needs both Username and Password")
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(cfg.Password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		r.HtpasswdFile = filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(r.HtpasswdFile, []byte(cfg.Username+":"+string(hash)+"\n"), 0o600); err != nil {
			return nil, err
		}
		conf.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "lade-testenv", "path": r.HtpasswdFile}}
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.Host = ln.Addr().String()
	r.URL = "http://" + r.Host
	if cfg.TLS {
		ca, err := newCA("lade-testenv-registry-ca")
		if err != nil {
			ln.Close()
			return nil, err
		}
		leaf, err := ca.issue(loopbackServerSpec("lade-testenv-registry"))
		if err != nil {
			ln.Close()
			return nil, err
		}
		cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
		if err != nil {
			ln.Close()
			return nil, err
		}
		if r.CAFile, _, err = ca.write(dir, "ca"); err != nil {
			ln.Close()
			return nil, err
		}
		_ = os.Remove(filepath.Join(dir, "ca.key")) // nobody needs the CA key on disk
		r.CAPEM = ca.CertPEM
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		r.URL = "https://" + r.Host
	}

	// NewApp panics on configuration errors.
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("testenv: registry: %v", p)
			}
		}()
		r.app = handlers.NewApp(context.Background(), conf)
	}()
	if err != nil {
		ln.Close()
		return nil, err
	}
	r.server = &http.Server{Handler: r.app, ReadHeaderTimeout: 30 * time.Second}
	if !cfg.Verbose {
		r.server.ErrorLog = log.New(io.Discard, "", 0) // TLS handshake errors of tests probing untrusted clients
	}
	go func() { _ = r.server.Serve(ln) }()
	return r, nil
}

// NewRegistry starts a plain-HTTP registry without auth for this test.
func NewRegistry(t testing.TB) *Registry {
	t.Helper()
	return newRegistryT(t, RegistryConfig{})
}

// NewSecureRegistry starts a registry for this test with TLS (generated CA) and
// basic auth (user "lade", generated password).
func NewSecureRegistry(t testing.TB) *Registry {
	t.Helper()
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		t.Fatal(err)
	}
	return newRegistryT(t, RegistryConfig{TLS: true, Username: "lade", Password: hex.EncodeToString(pw)})
}

func newRegistryT(t testing.TB, cfg RegistryConfig) *Registry {
	t.Helper()
	r, err := StartRegistry(cfg)
	if err != nil {
		t.Fatalf("testenv: start registry: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// CertPool trusts the registry's CA (and nothing else); nil without TLS.
func (r *Registry) CertPool() *x509.CertPool {
	if r.CAPEM == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(r.CAPEM)
	return pool
}

// Client returns an HTTP client that trusts the registry's CA. It sends no
// credentials: use req.SetBasicAuth(r.Username, r.Password).
func (r *Registry) Client() *http.Client {
	tr := &http.Transport{Proxy: nil, ForceAttemptHTTP2: true}
	if r.CAPEM != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: r.CertPool(), MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Close stops the registry and removes its files.
func (r *Registry) Close() error {
	var err error
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.server.Shutdown(ctx)
		_ = r.app.Shutdown()
		if rmErr := os.RemoveAll(r.Dir); err == nil {
			err = rmErr
		}
	})
	return err
}
