package render

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

func execWith(t *testing.T, funcs template.FuncMap, text string) (string, error) {
	t.Helper()
	tpl, err := template.New("t").Funcs(funcs).Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	err = tpl.Execute(&b, nil)
	return b.String(), err
}

func parsePEM(t *testing.T, s, typ string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != typ {
		t.Fatalf("want a %s PEM block, got %q", typ, s)
	}
	return b.Bytes
}

func TestCertificateFunctionsUseFreshKeys(t *testing.T) {
	out, err := execWith(t, baseFuncs(), `{{ $ca := genCA "my-ca" 365 -}}
{{ $c := genSignedCert "svc" (list "10.0.0.1") (list "svc.ns.svc") 30 $ca -}}
{{ $s := genSelfSignedCert "self" nil (list "self.local") 10 -}}
{{ $ca.Cert }}|{{ $ca.Key }}|{{ $c.Cert }}|{{ $c.Key }}|{{ $s.Cert }}|{{ $s.Key }}`)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(out, "|")
	if len(parts) != 6 {
		t.Fatalf("output: %q", out)
	}
	certs := make([]*x509.Certificate, 3)
	keys := make([]*rsa.PrivateKey, 3)
	for i := range 3 {
		if certs[i], err = x509.ParseCertificate(parsePEM(t, parts[2*i], "CERTIFICATE")); err != nil {
			t.Fatal(err)
		}
		if keys[i], err = x509.ParsePKCS1PrivateKey(parsePEM(t, parts[2*i+1], "RSA PRIVATE KEY")); err != nil {
			t.Fatal(err)
		}
		if keys[i].N.BitLen() != 2048 || !keys[i].PublicKey.Equal(certs[i].PublicKey) {
			t.Fatalf("certificate %d: key of %d bits, matches certificate: %v", i, keys[i].N.BitLen(), keys[i].PublicKey.Equal(certs[i].PublicKey))
		}
	}
	if keys[0].Equal(keys[1]) || keys[0].Equal(keys[2]) || keys[1].Equal(keys[2]) {
		t.Fatal("a key was handed out twice")
	}
	if !certs[0].IsCA || certs[0].Subject.CommonName != "my-ca" {
		t.Fatalf("CA: %+v", certs[0].Subject)
	}
	pool := x509.NewCertPool()
	pool.AddCert(certs[0])
	if _, err := certs[1].Verify(x509.VerifyOptions{Roots: pool, DNSName: "svc.ns.svc"}); err != nil {
		t.Fatalf("signed certificate does not verify against the CA: %v", err)
	}
	if certs[2].Subject.CommonName != "self" || certs[2].DNSNames[0] != "self.local" {
		t.Fatalf("self-signed: %+v %v", certs[2].Subject, certs[2].DNSNames)
	}
}

func TestGenPrivateKey(t *testing.T) {
	out, err := execWith(t, baseFuncs(), `{{ genPrivateKey "rsa" }}|{{ genPrivateKey "ecdsa" }}|{{ genPrivateKey "nope" }}`)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(out, "|")
	k, err := x509.ParsePKCS1PrivateKey(parsePEM(t, parts[0], "RSA PRIVATE KEY"))
	if err != nil || k.N.BitLen() != 4096 {
		t.Fatalf("rsa key: %v", err)
	}
	parsePEM(t, parts[1], "EC PRIVATE KEY")
	if parts[2] != "Unknown type nope" {
		t.Fatalf("unknown type: %q", parts[2])
	}
}

// TestCertificateFunctionErrorsAsSprig: the replacements keep sprig's
// signatures, so bad arguments fail with the same message.
func TestCertificateFunctionErrorsAsSprig(t *testing.T) {
	for _, text := range []string{
		`{{ genCA "x" "y" }}`, `{{ genCA "x" }}`, `{{ genSignedCert "x" nil nil 1 "notacert" }}`,
		`{{ genSelfSignedCert "x" "notalist" nil 1 }}`, `{{ genPrivateKey 5 }}`,
	} {
		_, got := execWith(t, baseFuncs(), text)
		_, want := execWith(t, sprig.TxtFuncMap(), text)
		if got == nil || want == nil || got.Error() != want.Error() {
			t.Errorf("%s: error %v, sprig's %v", text, got, want)
		}
	}
}
