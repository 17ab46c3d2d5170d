package testenv

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ChartRepoConfig configures a static chart repository server.
type ChartRepoConfig struct {
	// Dir is the directory served (index.yaml and archives). Required.
	Dir string
	// TLS serves HTTPS with a certificate for 127.0.0.1/localhost issued by
	// a freshly generated CA (ChartRepo.CAFile).
	TLS bool
	// Username and Password, when set, require HTTP basic auth.
	Username, Password string
	// ClientCert (implies TLS) requires a client certificate issued by the
	// same CA (ChartRepo.ClientCertFile, ClientKeyFile).
	ClientCert bool
}

// ChartRepo serves a directory as static hosting does (GitHub Pages, S3):
// net/http's file server with Last-Modified, plus a strong ETag (the
// SHA-256 of the file) so If-None-Match and If-Modified-Since are honoured
// with 304 Not Modified. It counts the bytes it sends and receives on its
// connections and logs every request.
type ChartRepo struct {
	// URL is http://127.0.0.1:PORT or https://...
	URL string
	// Host is 127.0.0.1:PORT.
	Host string
	// CAFile is the CA that signed the serving certificate (TLS only).
	CAFile string
	// Username and Password are the basic-auth credentials (empty without auth).
	Username, Password string
	// ClientCertFile and ClientKeyFile are the client certificate the
	// server requires (ClientCert only).
	ClientCertFile, ClientKeyFile string

	dir     string
	certDir string
	server  *http.Server
	written atomic.Int64
	read    atomic.Int64
	mu      sync.Mutex
	reqs    []RepoRequest
	once    sync.Once
}

// RepoRequest is one request the server saw.
type RepoRequest struct {
	Path string
	// Auth is true when the request carried an Authorization header.
	Auth   bool
	Status int
	Header http.Header
}

// StartChartRepo starts a chart repository server; Close stops it.
func StartChartRepo(cfg ChartRepoConfig) (*ChartRepo, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("testenv: chart repository needs a directory")
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		return nil, fmt.Errorf("testenv: chart repository auth needs both Username and Password")
	}
	r := &ChartRepo{dir: cfg.Dir, Username: cfg.Username, Password: cfg.Password}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.Host = ln.Addr().String()
	r.URL = "http://" + r.Host
	ln = &countingListener{Listener: ln, r: r}
	if cfg.TLS || cfg.ClientCert {
		tl, err := r.setupTLS(cfg.ClientCert)
		if err != nil {
			ln.Close()
			os.RemoveAll(r.certDir)
			return nil, err
		}
		ln = tls.NewListener(ln, tl)
		r.URL = "https://" + r.Host
	}
	r.server = &http.Server{Handler: r, ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = r.server.Serve(ln) }()
	return r, nil
}

// setupTLS makes a CA, the serving certificate and, with clientCert, a
// client certificate the server then requires.
func (r *ChartRepo) setupTLS(clientCert bool) (*tls.Config, error) {
	var err error
	if r.certDir, err = os.MkdirTemp("", "lade-chartrepo-"); err != nil {
		return nil, err
	}
	ca, err := newCA("lade-testenv-chartrepo-ca")
	if err != nil {
		return nil, err
	}
	leaf, err := ca.issue(loopbackServerSpec("lade-testenv-chartrepo"))
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		return nil, err
	}
	if r.CAFile, _, err = ca.write(r.certDir, "ca"); err != nil {
		return nil, err
	}
	_ = os.Remove(filepath.Join(r.certDir, "ca.key"))
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCert {
		client, err := ca.issue(certSpec{CommonName: "lade-testenv-chartrepo-client", Client: true})
		if err != nil {
			return nil, err
		}
		if r.ClientCertFile, r.ClientKeyFile, err = client.write(r.certDir, "client"); err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca.Cert)
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// NewChartRepo starts a repository server for this test.
func NewChartRepo(t testing.TB, cfg ChartRepoConfig) *ChartRepo {
	t.Helper()
	r, err := StartChartRepo(cfg)
	if err != nil {
		t.Fatalf("testenv: start chart repository: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// ServeHTTP serves files of the directory, with ETag and basic auth.
func (r *ChartRepo) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: 200}
	defer func() {
		r.mu.Lock()
		r.reqs = append(r.reqs, RepoRequest{Path: req.URL.Path, Auth: req.Header.Get("Authorization") != "", Status: rec.status, Header: req.Header.Clone()})
		r.mu.Unlock()
	}()
	if r.Username != "" {
		u, p, ok := req.BasicAuth()
		if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(r.Username)) != 1 || subtle.ConstantTimeCompare([]byte(p), []byte(r.Password)) != 1 {
			rec.Header().Set("WWW-Authenticate", `Basic realm="lade-testenv"`)
			http.Error(rec, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	name := filepath.Join(r.dir, filepath.FromSlash(path.Clean("/"+req.URL.Path)))
	if data, err := os.ReadFile(name); err == nil {
		sum := sha256.Sum256(data)
		rec.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	}
	http.FileServer(http.Dir(r.dir)).ServeHTTP(rec, req)
}

// Requests are the requests served so far.
func (r *ChartRepo) Requests() []RepoRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]RepoRequest(nil), r.reqs...)
}

// Bytes are the bytes sent and received on the server's connections so
// far (headers, bodies and TLS records included).
func (r *ChartRepo) Bytes() (sent, received int64) { return r.written.Load(), r.read.Load() }

// ResetCounters forgets requests and byte counts.
func (r *ChartRepo) ResetCounters() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
	r.written.Store(0)
	r.read.Store(0)
}

// Close stops the server.
func (r *ChartRepo) Close() error {
	var err error
	r.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.server.Shutdown(ctx)
		if r.certDir != "" {
			_ = os.RemoveAll(r.certDir)
		}
	})
	return err
}

// String is the URL.
func (r *ChartRepo) String() string { return strings.TrimSuffix(r.URL, "/") }

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

type countingListener struct {
	net.Listener
	r *ChartRepo
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, r: l.r}, nil
}

type countingConn struct {
	net.Conn
	r *ChartRepo
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.r.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.r.written.Add(int64(n))
	return n, err
}
