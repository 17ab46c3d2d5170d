package render

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"sync/atomic"
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

// TestRSAKey: the keys rsaKey builds are sound RSA keys of the asked size:
// two distinct large primes, exponent 65537, and they sign and decrypt.
func TestRSAKey(t *testing.T) {
	for _, size := range []int{1024, 2048} {
		k, err := rsaKey(size)
		if err != nil {
			t.Fatal(err)
		}
		if k.N.BitLen() != size || k.E != 65537 || len(k.Primes) != 2 {
			t.Fatalf("%d: modulus of %d bits, e %d, %d primes", size, k.N.BitLen(), k.E, len(k.Primes))
		}
		p, q := k.Primes[0], k.Primes[1]
		if p.Cmp(q) == 0 || !p.ProbablyPrime(20) || !q.ProbablyPrime(20) || p.BitLen() != size/2 || q.BitLen() != size/2 {
			t.Fatalf("%d: primes %v and %v", size, p, q)
		}
		if err := k.Validate(); err != nil {
			t.Fatal(err)
		}
		msg := []byte("lade")
		ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &k.PublicKey, msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pt, err := rsa.DecryptOAEP(sha256.New(), rand.Reader, k, ct, nil); err != nil || string(pt) != "lade" {
			t.Fatalf("%d: decrypt: %q, %v", size, pt, err)
		}
		digest := sha256.Sum256(msg)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		if err != nil || rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, digest[:], sig) != nil {
			t.Fatalf("%d: sign: %v", size, err)
		}
	}
}

// TestSieve: a window's marks are exactly the candidates with an odd prime
// factor below 2^16.
func TestSieve(t *testing.T) {
	buf := make([]byte, 64)
	for range 3 {
		if _, err := rand.Read(buf); err != nil {
			t.Fatal(err)
		}
		buf[0] |= 0x80
		buf[len(buf)-1] |= 1
		x := new(big.Int).SetBytes(buf)
		var composite [sieveWidth]bool
		sieve(x, &composite)
		var rems, primes []uint64 // x mod p, computed by math/big
		for _, g := range smallPrimeGroups() {
			for _, p := range g.primes {
				primes = append(primes, p)
				rems = append(rems, new(big.Int).Mod(x, new(big.Int).SetUint64(p)).Uint64())
			}
		}
		for i, marked := range composite {
			small := false
			for j, p := range primes {
				if (rems[j]+uint64(2*i))%p == 0 {
					small = true
				}
			}
			if marked != small {
				t.Fatalf("x+%d: marked %v, has a small factor %v", 2*i, marked, small)
			}
		}
	}
	groups := smallPrimeGroups()
	if last := groups[len(groups)-1].primes; last[len(last)-1] != 65521 {
		t.Fatalf("largest sieving prime %d, want 65521", last[len(last)-1])
	}
}

// BenchmarkRSAKey2048 compares rsaKey with Go's rsa.GenerateKey (what sprig
// and Helm use) on all CPUs.
func BenchmarkRSAKey2048(b *testing.B) {
	b.Run("rsaKey", func(b *testing.B) {
		for b.Loop() {
			if _, err := rsaKey(2048); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("rsa.GenerateKey", func(b *testing.B) {
		for b.Loop() {
			if _, err := rsa.GenerateKey(rand.Reader, 2048); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestRerunTemplateKeepsItsKeys: a template that generates certificates and
// then changes the shared root object (opentelemetry-operator's webhook:
// genCA, genSignedCert, then `merge $ ...`) runs concurrently, is stopped at
// the change and runs again alone; the second run reuses the keys of the
// first, so a render searches for two keys, as Helm does, not four.
func TestRerunTemplateKeepsItsKeys(t *testing.T) {
	var searches atomic.Int32
	generateKey = func(size int) (*rsa.PrivateKey, error) {
		searches.Add(1)
		return rsaKey(size)
	}
	defer func() { generateKey = rsaKey }()
	c := newChart("c", map[string]string{
		"templates/webhook.yaml": `{{- $ca := genCA "ca" 365 }}{{- $c := genSignedCert "svc" nil nil 365 $ca }}
{{- $_ := merge $ (dict "caBundle" ($ca.Cert | b64enc)) -}}
ca: {{ $ca.Cert | b64enc }}
bundle: {{ $.caBundle }}
key: {{ $c.Key | b64enc }}`,
		"templates/a.yaml": `a: 1`,
		"templates/b.yaml": `b: 1`,
	})
	out, err := renderTop(t, &Engine{Parallelism: 4}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := searches.Load(); n != 2 {
		t.Fatalf("%d key searches, want 2", n)
	}
	lines := strings.Split(out["c/templates/webhook.yaml"], "\n")
	if len(lines) != 3 || strings.TrimPrefix(lines[0], "ca: ") != strings.TrimPrefix(lines[1], "bundle: ") {
		t.Fatalf("output: %q", lines)
	}
	// Two renders never share keys.
	again, err := renderTop(t, &Engine{Parallelism: 4}, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again["c/templates/webhook.yaml"] == out["c/templates/webhook.yaml"] || searches.Load() != 4 {
		t.Fatalf("second render: %d searches, same output %v", searches.Load(), again["c/templates/webhook.yaml"] == out["c/templates/webhook.yaml"])
	}
}
