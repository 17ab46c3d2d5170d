package render

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"text/template"
)

// keySource hands out fresh RSA keys to sprig's certificate functions.
// Generating a key is a search for random primes whose time varies widely
// (50-700 ms for 2,048 bits on a small machine). When a key is wanted and
// none is ready, one search per CPU runs and the first to finish serves the
// call; the others serve later calls (a CA and its signed certificate are
// usually wanted one after the other). Every key is handed out once.
type keySource struct {
	bits     int
	mu       sync.Mutex
	inFlight int
	ready    chan keyResult
}

type keyResult struct {
	key *rsa.PrivateKey
	err error
}

func newKeySource(bits int) *keySource {
	return &keySource{bits: bits, ready: make(chan keyResult, max(1, runtime.GOMAXPROCS(0)))}
}

// get returns a key no one else has been given.
func (s *keySource) get() (*rsa.PrivateKey, error) {
	select {
	case r := <-s.ready:
		return r.key, r.err
	default:
	}
	s.mu.Lock()
	// inFlight+len(ready) never exceeds the buffer, so searches never block.
	for s.inFlight+len(s.ready) < cap(s.ready) {
		s.inFlight++
		go s.search()
	}
	s.mu.Unlock()
	r := <-s.ready
	return r.key, r.err
}

func (s *keySource) search() {
	k, err := rsa.GenerateKey(rand.Reader, s.bits)
	s.mu.Lock()
	s.inFlight--
	s.ready <- keyResult{k, err}
	s.mu.Unlock()
}

var (
	rsa2048 = newKeySource(2048) // sprig's certificates
	rsa4096 = newKeySource(4096) // sprig's genPrivateKey "rsa"
)

func rsaKeyPEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// withKeySource replaces sprig's genCA, genSelfSignedCert and genSignedCert
// (each generates a 2,048-bit key and builds the certificate) by their
// *WithKey twins fed from rsa2048, with the same signatures, so arguments
// convert and errors read as before; and genPrivateKey's RSA case by
// rsa4096 in sprig's PEM format.
func withKeySource(f template.FuncMap) {
	for name, twin := range map[string]string{
		"genCA": "genCAWithKey", "genSelfSignedCert": "genSelfSignedCertWithKey", "genSignedCert": "genSignedCertWithKey",
	} {
		typ := reflect.TypeOf(f[name])
		withKey := reflect.ValueOf(f[twin])
		f[name] = reflect.MakeFunc(typ, func(args []reflect.Value) []reflect.Value {
			k, err := rsa2048.get()
			if err != nil {
				err = fmt.Errorf("error generating rsa key: %s", err)
				return []reflect.Value{reflect.Zero(typ.Out(0)), reflect.ValueOf(&err).Elem()}
			}
			return withKey.Call(append(args, reflect.ValueOf(rsaKeyPEM(k))))
		}).Interface()
	}
	genPrivateKey := f["genPrivateKey"].(func(string) string)
	f["genPrivateKey"] = func(typ string) string {
		if typ != "" && typ != "rsa" {
			return genPrivateKey(typ)
		}
		k, err := rsa4096.get()
		if err != nil {
			return fmt.Sprintf("failed to generate private key: %s", err)
		}
		return rsaKeyPEM(k)
	}
}
