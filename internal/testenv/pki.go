package testenv

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// pkiFiles are the certificates and keys of one control plane.
type pkiFiles struct {
	caPEM                                     []byte
	caFile, caKeyFile                         string
	apiserverCert, apiserverKey               string
	frontProxyCAFile                          string
	frontProxyClientCert, frontProxyClientKey string
	saKey, saPub                              string
	admin, kcm, scheduler                     *keyPair
}

// writePKI generates the cluster CA, the apiserver serving certificate, client
// certificates (admin in system:masters, controller-manager, scheduler), the
// front-proxy CA and client, and the service-account signing key, into dir.
func writePKI(dir string) (*pkiFiles, error) {
	f := &pkiFiles{}
	ca, err := newCA("lade-testenv-ca")
	if err != nil {
		return nil, err
	}
	if f.caFile, f.caKeyFile, err = ca.write(dir, "ca"); err != nil {
		return nil, err
	}
	f.caPEM = ca.CertPEM

	spec := loopbackServerSpec("kube-apiserver",
		"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local")
	spec.IPs = append(spec.IPs, net.IPv4(10, 96, 0, 1)) // first address of ServiceCIDR: the kubernetes Service
	apiserver, err := ca.issue(spec)
	if err != nil {
		return nil, err
	}
	if f.apiserverCert, f.apiserverKey, err = apiserver.write(dir, "apiserver"); err != nil {
		return nil, err
	}

	if f.admin, err = ca.issue(certSpec{CommonName: "lade-testenv-admin", Organization: []string{"system:masters"}, Client: true}); err != nil {
		return nil, err
	}
	if f.kcm, err = ca.issue(certSpec{CommonName: "system:kube-controller-manager", Client: true}); err != nil {
		return nil, err
	}
	if f.scheduler, err = ca.issue(certSpec{CommonName: "system:kube-scheduler", Client: true}); err != nil {
		return nil, err
	}
	for name, kp := range map[string]*keyPair{"admin": f.admin, "kube-controller-manager": f.kcm, "kube-scheduler": f.scheduler} {
		if _, _, err := kp.write(dir, name); err != nil {
			return nil, err
		}
	}

	fpca, err := newCA("lade-testenv-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	if f.frontProxyCAFile, _, err = fpca.write(dir, "front-proxy-ca"); err != nil {
		return nil, err
	}
	fpc, err := fpca.issue(certSpec{CommonName: "front-proxy-client", Client: true})
	if err != nil {
		return nil, err
	}
	if f.frontProxyClientCert, f.frontProxyClientKey, err = fpc.write(dir, "front-proxy-client"); err != nil {
		return nil, err
	}

	// service-account token signing key (ES256)
	sa, err := newKey()
	if err != nil {
		return nil, err
	}
	saKeyPEM, err := encodeKey(sa)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(sa.Public())
	if err != nil {
		return nil, err
	}
	f.saKey, f.saPub = filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := os.WriteFile(f.saKey, saKeyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(f.saPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return nil, err
	}
	return f, nil
}

// insecureLoopbackClient checks the controllers' /healthz, served with
// self-signed certificates they generate themselves on 127.0.0.1.
func insecureLoopbackClient() *http.Client {
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback health check only
			Proxy:           nil,
		},
	}
}
