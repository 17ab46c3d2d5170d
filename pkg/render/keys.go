package render

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"text/template"
)

// RSA keys for sprig's certificate functions. A key is two random primes,
// and finding one is a search whose length varies widely. Go's
// rsa.GenerateKey searches on one CPU; here every CPU searches for the same
// prime from its own random start and the first to find one wins, which
// divides the expected wait by the number of CPUs (the search is close to
// memoryless). Candidates are sieved by every odd prime below 2^16 before the
// Miller-Rabin rounds (Go's own search sieves by primes below 1,621), so
// fewer composites reach the costly test. A prime passes five Miller-Rabin
// rounds, as many as Go's rsa.GenerateKey uses at 1,024 bits, and the Lucas
// test (big.Int.ProbablyPrime(4)).

// rsaKey returns a new RSA key of the given size with public exponent 65537.
func rsaKey(size int) (*rsa.PrivateKey, error) {
	workers := max(1, runtime.GOMAXPROCS(0))
	e := big.NewInt(65537)
	one := big.NewInt(1)
	for {
		p, err := racePrime(size-size/2, workers)
		if err != nil {
			return nil, err
		}
		q, err := racePrime(size/2, workers)
		if err != nil {
			return nil, err
		}
		n := new(big.Int).Mul(p, q)
		// |p-q| must not be small (FIPS 186-5 asks for 2^(size/2-100)).
		if n.BitLen() != size || new(big.Int).Sub(p, q).BitLen() <= size/2-100 {
			continue
		}
		pm, qm := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		gcd := new(big.Int).GCD(nil, nil, pm, qm)
		lambda := new(big.Int).Mul(pm, qm)
		lambda.Quo(lambda, gcd)
		d := new(big.Int).ModInverse(e, lambda)
		if d == nil { // 65537 divides p-1 or q-1
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("generated key is invalid: %w", err)
		}
		k.Precompute()
		return k, nil
	}
}

var errSearchStopped = errors.New("prime search stopped")

// racePrime runs one prime search per worker and returns the first prime
// found; the other searches stop at their next candidate.
func racePrime(size, workers int) (*big.Int, error) {
	type result struct {
		p   *big.Int
		err error
	}
	var stop atomic.Bool
	found := make(chan result, workers) // buffered: losers never block
	for range workers {
		go func() {
			p, err := searchPrime(size, &stop)
			found <- result{p, err}
		}()
	}
	r := <-found
	stop.Store(true)
	return r.p, r.err
}

// sieveWidth is how many odd candidates follow each random start. About one
// in 355 odd numbers of 1,024 bits is prime, so a window holds one with
// probability 1-e^(-5.8) ≈ 0.997; otherwise a new start is drawn.
const sieveWidth = 2048

// searchPrime draws random odd numbers of exactly size bits, the top two bits
// set (so that the product of two has exactly twice the size), and returns
// the first prime in the window of sieveWidth odd numbers after one.
func searchPrime(size int, stop *atomic.Bool) (*big.Int, error) {
	buf := make([]byte, (size+7)/8)
	excess := uint(len(buf)*8 - size)
	var composite [sieveWidth]bool
	x, c, step := new(big.Int), new(big.Int), new(big.Int)
	for !stop.Load() {
		if _, err := rand.Read(buf); err != nil {
			return nil, fmt.Errorf("read random bytes: %w", err)
		}
		buf[0] &= 0xff >> excess
		if excess < 7 {
			buf[0] |= 0xc0 >> excess
		} else {
			buf[0] |= 0x01
			buf[1] |= 0x80
		}
		buf[len(buf)-1] |= 1
		x.SetBytes(buf)
		sieve(x, &composite)
		for i := range composite {
			if composite[i] {
				continue
			}
			if stop.Load() {
				return nil, errSearchStopped
			}
			c.Add(x, step.SetUint64(uint64(2*i)))
			if c.BitLen() != size {
				break
			}
			if c.ProbablyPrime(4) {
				return c, nil
			}
		}
	}
	return nil, errSearchStopped
}

// sieve marks composite[i] when x+2i has an odd prime factor below 2^16
// (x odd and larger than 2^16).
func sieve(x *big.Int, composite *[sieveWidth]bool) {
	clear(composite[:])
	words := x.Bits()
	for _, g := range smallPrimeGroups() {
		var r uint64 // x mod g.product, word by word from the top
		for i := len(words) - 1; i >= 0; i-- {
			r = bits.Rem64(r, uint64(words[i]), g.product)
		}
		for _, p := range g.primes {
			// x+2i ≡ 0 (mod p) ⇔ i ≡ (p - x mod p)·(p+1)/2 (mod p)
			i := (p - r%p) % p * ((p + 1) / 2) % p
			for ; i < sieveWidth; i += p {
				composite[i] = true
			}
		}
	}
}

// primeGroup is a few small primes whose product fits in 64 bits, so one
// pass over x's words yields x modulo each of them.
type primeGroup struct {
	product uint64
	primes  []uint64
}

// smallPrimeGroups returns the odd primes below 2^16, four to a group;
// built on first use, so commands that make no keys do not pay for it.
var smallPrimeGroups = sync.OnceValue(func() []primeGroup {
	const limit = 1 << 16
	var composite [limit]bool
	primes := make([]uint64, 0, 6542)
	for n := uint64(3); n < limit; n += 2 {
		if composite[n] {
			continue
		}
		for m := n * n; m < limit; m += 2 * n {
			composite[m] = true
		}
		primes = append(primes, n)
	}
	groups := make([]primeGroup, 0, (len(primes)+3)/4)
	for i := 0; i < len(primes); i += 4 {
		g := primeGroup{product: 1, primes: primes[i:min(i+4, len(primes))]}
		for _, p := range g.primes {
			g.product *= p
		}
		groups = append(groups, g)
	}
	return groups
})

func rsaKeyPEM(k *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

// certFuncs returns sprig's genCA, genSelfSignedCert and genSignedCert
// (each generates a 2,048-bit key and builds the certificate) as calls of
// their *WithKey twins in sprigFuncs with a key from key, keeping their
// signatures so arguments convert and errors read as in sprig; and
// genPrivateKey with its RSA case (4,096 bits) from key, in sprig's PEM
// format.
func certFuncs(sprigFuncs template.FuncMap, key func(size int) (*rsa.PrivateKey, error)) template.FuncMap {
	f := template.FuncMap{}
	for name, twin := range map[string]string{
		"genCA": "genCAWithKey", "genSelfSignedCert": "genSelfSignedCertWithKey", "genSignedCert": "genSignedCertWithKey",
	} {
		typ := reflect.TypeOf(sprigFuncs[name])
		withKey := reflect.ValueOf(sprigFuncs[twin])
		f[name] = reflect.MakeFunc(typ, func(args []reflect.Value) []reflect.Value {
			k, err := key(2048)
			if err != nil {
				err = fmt.Errorf("error generating rsa key: %s", err)
				return []reflect.Value{reflect.Zero(typ.Out(0)), reflect.ValueOf(&err).Elem()}
			}
			return withKey.Call(append(args, reflect.ValueOf(rsaKeyPEM(k))))
		}).Interface()
	}
	genPrivateKey := sprigFuncs["genPrivateKey"].(func(string) string)
	f["genPrivateKey"] = func(typ string) string {
		if typ != "" && typ != "rsa" {
			return genPrivateKey(typ)
		}
		k, err := key(4096)
		if err != nil {
			return fmt.Sprintf("failed to generate private key: %s", err)
		}
		return rsaKeyPEM(k)
	}
	return f
}

// keyReplay keeps the keys each template was given during one render. A
// template whose concurrent run was voided (it, or one before it, changed
// objects other templates share; see execute) runs again, and gets the same
// keys in the same order: the voided output was discarded, so those keys
// never left lade, and the template costs one key search per key, as in
// Helm, instead of two.
type keyReplay struct {
	mu    sync.Mutex
	given map[string][]*rsa.PrivateKey // by template name
}

// generateKey is rsaKey; tests count its calls.
var generateKey = rsaKey

func newKeyReplay() *keyReplay { return &keyReplay{given: map[string][]*rsa.PrivateKey{}} }

// key returns the n-th key of template name: the one its earlier run got, or
// a new one.
func (k *keyReplay) key(name string, n, size int) (*rsa.PrivateKey, error) {
	k.mu.Lock()
	if keys := k.given[name]; n < len(keys) && keys[n].N.BitLen() == size {
		k.mu.Unlock()
		return keys[n], nil
	}
	k.mu.Unlock()
	key, err := generateKey(size)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if keys := k.given[name]; n == len(keys) {
		k.given[name] = append(keys, key)
	} else if n < len(keys) {
		keys[n] = key
	}
	k.mu.Unlock()
	return key, nil
}
