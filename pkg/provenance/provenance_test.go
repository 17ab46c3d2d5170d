package provenance

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/lade-dev/lade/pkg/chart"
)

// newKey makes a throwaway signing key (never written outside the test's
// temporary directory).
func newKey(t *testing.T, name string) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity(name, "lade test key", strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.test",
		&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// writeKeyring writes the public (or, with secret, the secret) keys of es,
// armoured or binary, and returns the file.
func writeKeyring(t *testing.T, secret, armoured bool, es ...*openpgp.Entity) string {
	t.Helper()
	var buf bytes.Buffer
	for _, e := range es {
		var w io.Writer = &buf
		var a io.WriteCloser
		if armoured {
			typ := openpgp.PublicKeyType
			if secret {
				typ = openpgp.PrivateKeyType
			}
			var err error
			if a, err = armor.Encode(&buf, typ, nil); err != nil {
				t.Fatal(err)
			}
			w = a
		}
		var err error
		if secret {
			err = e.SerializePrivateWithoutSigning(w, nil)
		} else {
			err = e.Serialize(w)
		}
		if err != nil {
			t.Fatal(err)
		}
		if a != nil {
			a.Close()
			buf.WriteString("\n")
		}
	}
	p := filepath.Join(t.TempDir(), "keyring")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var testMeta = &chart.Metadata{APIVersion: "v2", Name: "web", Version: "1.2.3", Description: "a chart", AppVersion: "4.5"}

func TestSignVerify(t *testing.T) {
	alice, bob := newKey(t, "Alice Signer"), newKey(t, "Bob Other")
	archive := []byte("not really a tgz, but bytes all the same")
	prov, err := Sign(alice, archive, "web-1.2.3.tgz", testMeta)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\napiVersion: v2\nappVersion: \"4.5\"\n",
		"name: web\nversion: 1.2.3\n\n...\nfiles:\n  web-1.2.3.tgz: sha256:", "-----BEGIN PGP SIGNATURE-----"} {
		if !strings.Contains(string(prov), want) {
			t.Fatalf("provenance file lacks %q:\n%s", want, prov)
		}
	}

	for _, armoured := range []bool{false, true} {
		ring, err := LoadKeyring(writeKeyring(t, false, armoured, bob, alice))
		if err != nil {
			t.Fatal(err)
		}
		v, err := Verify(ring, archive, prov, "web-1.2.3.tgz")
		if err != nil {
			t.Fatalf("armoured=%v: %v", armoured, err)
		}
		if v.FileHash != Digest(archive) || !strings.Contains(v.Text(), "Signed by: Alice Signer (lade test key) <alice.signer@example.test>\n") {
			t.Fatalf("verification: %+v\n%s", v, v.Text())
		}
	}

	bobOnly, _ := LoadKeyring(writeKeyring(t, false, false, bob))
	_, err = Verify(bobOnly, archive, prov, "web-1.2.3.tgz")
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), "key ID ") {
		t.Fatalf("wrong key: %v", err)
	}

	ring, _ := LoadKeyring(writeKeyring(t, false, false, alice))
	_, err = Verify(ring, append([]byte("x"), archive...), prov, "web-1.2.3.tgz")
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), "web-1.2.3.tgz has sum sha256:") {
		t.Fatalf("tampered archive: %v", err)
	}
	_, err = Verify(ring, archive, prov, "web-9.9.9.tgz")
	if !errors.Is(err, ErrDigestMismatch) || !strings.Contains(err.Error(), `no file named "web-9.9.9.tgz" (it names web-1.2.3.tgz)`) {
		t.Fatalf("other name: %v", err)
	}
	forged := bytes.Replace(prov, []byte("version: 1.2.3"), []byte("version: 1.2.4"), 1)
	if _, err = Verify(ring, archive, forged, "web-1.2.3.tgz"); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("altered message: %v", err)
	}
	if _, err = Verify(ring, archive, []byte("hello"), "web-1.2.3.tgz"); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("no signature: %v", err)
	}
}

func TestFindKeyAndUnlock(t *testing.T) {
	alice, bob := newKey(t, "Alice Signer"), newKey(t, "Bob Other")
	if err := alice.EncryptPrivateKeys([]byte("s3cret"), nil); err != nil {
		t.Fatal(err)
	}
	ring, err := LoadKeyring(writeKeyring(t, true, true, alice, bob))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FindKey(ring, "Signer"); err != nil {
		t.Fatal(err)
	}
	if _, err := FindKey(ring, "example.test"); !errors.Is(err, ErrNoKey) || !strings.Contains(err.Error(), "more than one") {
		t.Fatalf("vague name: %v", err)
	}
	if _, err := FindKey(ring, "Carol"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("unknown name: %v", err)
	}
	e, err := FindKey(ring, "Alice Signer (lade test key) <alice.signer@example.test>")
	if err != nil {
		t.Fatal(err)
	}
	if byFP, err := FindKey(ring, strings.ToLower((&Verification{SignedBy: e}).Fingerprint()[24:])); err != nil || byFP != e {
		t.Fatalf("by key ID: %v", err)
	}
	if _, err := Sign(e, []byte("a"), "a.tgz", testMeta); err == nil {
		t.Fatal("a locked key signed")
	}
	bad := func(string) ([]byte, error) { return []byte("wrong"), nil }
	if err := Unlock(e, bad); err == nil {
		t.Fatal("a wrong passphrase unlocked the key")
	}
	var asked string
	if err := Unlock(e, func(n string) ([]byte, error) { asked = n; return []byte("s3cret"), nil }); err != nil {
		t.Fatal(err)
	}
	if asked != "Alice Signer (lade test key) <alice.signer@example.test>" {
		t.Fatalf("passphrase asked for %q", asked)
	}
	if _, err := Sign(e, []byte("a"), "a.tgz", testMeta); err != nil {
		t.Fatal(err)
	}
	pub, _ := LoadKeyring(writeKeyring(t, false, false, bob))
	if err := Unlock(pub[0], bad); !errors.Is(err, ErrNoKey) {
		t.Fatalf("public key only: %v", err)
	}
}

func TestKeyringErrors(t *testing.T) {
	if _, err := LoadKeyring(filepath.Join(t.TempDir(), "nope")); err == nil || !strings.Contains(err.Error(), "keyring: open ") {
		t.Fatalf("missing: %v", err)
	}
	kbx := append([]byte{0, 0, 0, 32, 1, 1, 0, 0}, []byte("KBXf")...)
	if _, err := ParseKeyring(kbx); err == nil || !strings.Contains(err.Error(), "gpg --export") {
		t.Fatalf("keybox: %v", err)
	}
	if _, err := ParseKeyring([]byte("-----BEGIN PGP MESSAGE-----\n\nAAAA\n=AAAA\n-----END PGP MESSAGE-----\n")); err == nil {
		t.Fatal("a message read as a keyring")
	}
}
