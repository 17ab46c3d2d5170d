package interop

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	helmaction "helm.sh/helm/v4/pkg/action"
	helmdownloader "helm.sh/helm/v4/pkg/downloader"
	helmprovenance "helm.sh/helm/v4/pkg/provenance"
	helmregistry "helm.sh/helm/v4/pkg/registry"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/provenance"
	"github.com/lade-dev/lade/pkg/registry"
)

// signingKey is a throwaway key made by the test, in keyring files under a
// temporary directory: secret (passphrase-protected) and public.
type signingKey struct {
	entity         *openpgp.Entity
	secret, public string
}

const passphrase = "test only"

func newSigningKey(t *testing.T, name string, algo packet.PublicKeyAlgorithm) signingKey {
	t.Helper()
	e, err := openpgp.NewEntity(name, "interop test", "signer@example.test", &packet.Config{Algorithm: algo, RSABits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := signingKey{entity: e, secret: filepath.Join(dir, "secring.gpg"), public: filepath.Join(dir, "pubring.gpg")}
	var pub, sec bytes.Buffer
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	locked, _ := openpgp.ReadEntity(packet.NewReader(bytes.NewReader(mustSerializePrivate(t, e))))
	if err := locked.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
		t.Fatal(err)
	}
	if err := locked.SerializePrivateWithoutSigning(&sec, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(k.public, pub.Bytes(), 0o644)
	os.WriteFile(k.secret, sec.Bytes(), 0o600)
	return k
}

func mustSerializePrivate(t *testing.T, e *openpgp.Entity) []byte {
	var b bytes.Buffer
	if err := e.SerializePrivate(&b, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ladeSign signs an archive file the way `lade package --sign` does.
func ladeSign(t *testing.T, k signingKey, tgz string) []byte {
	t.Helper()
	ring, err := provenance.LoadKeyring(k.secret)
	if err != nil {
		t.Fatal(err)
	}
	e, err := provenance.FindKey(ring, "Signer")
	if err != nil {
		t.Fatal(err)
	}
	if err := provenance.Unlock(e, func(string) ([]byte, error) { return []byte(passphrase), nil }); err != nil {
		t.Fatal(err)
	}
	archive, _ := os.ReadFile(tgz)
	ch, err := chart.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	prov, err := provenance.Sign(e, archive, filepath.Base(tgz), ch.Metadata)
	if err != nil {
		t.Fatal(err)
	}
	return prov
}

// Charts signed by lade verify with Helm's provenance code (helm verify's
// and --verify's), and the signed text is byte for byte the one Helm signs
// for the same archive; charts signed by Helm's `package --sign` verify
// with lade. Both refuse a tampered archive and a key not in the keyring.
func TestProvenanceInterop(t *testing.T) {
	isolate(t)
	for _, algo := range []struct {
		name string
		algo packet.PublicKeyAlgorithm
	}{{"rsa", packet.PubKeyAlgoRSA}, {"ed25519", packet.PubKeyAlgoEdDSA}} {
		t.Run(algo.name, func(t *testing.T) {
			key := newSigningKey(t, "Interop Signer", algo.algo)
			other := newSigningKey(t, "Someone Else", algo.algo)
			dir := t.TempDir()

			// lade signs, Helm verifies.
			tgz, err := chart.Package(fixture, dir, chart.PackageOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ladeProv := ladeSign(t, key, tgz)
			os.WriteFile(tgz+".prov", ladeProv, 0o644)
			ver, err := helmdownloader.VerifyChart(tgz, tgz+".prov", key.public)
			if err != nil {
				t.Fatalf("Helm does not verify lade's signature: %v", err)
			}
			if ver.FileName != "webapp-1.2.3.tgz" || ver.FileHash != provenance.Digest(mustRead(t, tgz)) {
				t.Errorf("Helm verified %+v", ver)
			}
			if _, err := helmdownloader.VerifyChart(tgz, tgz+".prov", other.public); err == nil {
				t.Error("Helm verified lade's signature with another key")
			}
			// Helm signs the same archive: the signed text is the same.
			helmPkg := helmaction.NewPackage()
			helmPkg.Sign, helmPkg.Key, helmPkg.Keyring = true, "Interop Signer", key.secret
			passFile := filepath.Join(t.TempDir(), "pass")
			os.WriteFile(passFile, []byte(passphrase+"\n"), 0o600)
			helmPkg.PassphraseFile = passFile
			helmCopy := filepath.Join(t.TempDir(), "webapp-1.2.3.tgz")
			os.WriteFile(helmCopy, mustRead(t, tgz), 0o644)
			if err := helmPkg.Clearsign(helmCopy); err != nil {
				t.Fatal(err)
			}
			helmProv := mustRead(t, helmCopy+".prov")
			lb, _ := clearsign.Decode(ladeProv)
			hb, _ := clearsign.Decode(helmProv)
			if lb == nil || hb == nil || !bytes.Equal(lb.Plaintext, hb.Plaintext) || lb.Headers.Get("Hash") != hb.Headers.Get("Hash") {
				t.Fatalf("signed text differs:\nlade:\n%s\nhelm:\n%s", ladeProv, helmProv)
			}

			// Helm signs its own package (helm package --sign), lade verifies.
			helmDir := t.TempDir()
			helmPkg.Destination = helmDir
			helmTgz, err := helmPkg.Run(fixture, nil)
			if err != nil {
				t.Fatal(err)
			}
			ring, _ := provenance.LoadKeyring(key.public)
			lver, err := provenance.Verify(ring, mustRead(t, helmTgz), mustRead(t, helmTgz+".prov"), filepath.Base(helmTgz))
			if err != nil {
				t.Fatalf("lade does not verify Helm's signature: %v", err)
			}
			if lver.FileHash != provenance.Digest(mustRead(t, helmTgz)) || !strings.Contains(lver.Text(), "Signed by: Interop Signer (interop test) <signer@example.test>\n") {
				t.Errorf("lade verified %+v", lver.Text())
			}
			// Both refuse another key and a tampered archive alike.
			otherRing, _ := provenance.LoadKeyring(other.public)
			if _, err := provenance.Verify(otherRing, mustRead(t, helmTgz), mustRead(t, helmTgz+".prov"), filepath.Base(helmTgz)); !errors.Is(err, provenance.ErrUnknownKey) {
				t.Errorf("lade with another key: %v", err)
			}
			tampered := append(mustRead(t, helmTgz), 0)
			if _, err := provenance.Verify(ring, tampered, mustRead(t, helmTgz+".prov"), filepath.Base(helmTgz)); !errors.Is(err, provenance.ErrDigestMismatch) {
				t.Errorf("lade with a tampered archive: %v", err)
			}
			os.WriteFile(helmTgz, tampered, 0o644)
			if _, err := helmdownloader.VerifyChart(helmTgz, helmTgz+".prov", key.public); err == nil || !strings.Contains(err.Error(), "sha256 sum does not match") {
				t.Errorf("Helm with a tampered archive: %v", err)
			}
		})
	}
}

// Helm pushes a signed chart with its provenance layer; lade pulls the layer
// and verifies it. lade pushes a signed chart; Helm pulls the provenance.
func TestProvenanceLayerInterop(t *testing.T) {
	isolate(t)
	key := newSigningKey(t, "Interop Signer", packet.PubKeyAlgoEdDSA)
	reg := testenv.NewRegistry(t)
	tgz, err := chart.Package(fixture, t.TempDir(), chart.PackageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	archive, prov := mustRead(t, tgz), ladeSign(t, key, tgz)

	hc := helmClient(t, reg, io.Discard)
	if _, err := hc.Push(archive, reg.Host+"/helm/webapp:1.2.3", helmregistry.PushOptProvData(prov), helmregistry.PushOptCreationTime(created)); err != nil {
		t.Fatal(err)
	}
	lc := ladeClient(t, reg, io.Discard, nil)
	res, err := lc.Pull(context.Background(), "oci://"+reg.Host+"/helm/webapp:1.2.3", "")
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := lc.Provenance(context.Background(), res)
	if err != nil || !found || !bytes.Equal(got, prov) {
		t.Fatalf("lade's provenance of Helm's push: found=%v err=%v", found, err)
	}
	ring, _ := provenance.LoadKeyring(key.public)
	if _, err := provenance.Verify(ring, res.Archive, got, res.FileName()); err != nil {
		t.Fatal(err)
	}

	if _, err := lc.Push(context.Background(), archive, "oci://"+reg.Host+"/lade", registry.PushOptions{Prov: prov}); err != nil {
		t.Fatal(err)
	}
	hres, err := hc.Pull(reg.Host+"/lade/webapp:1.2.3", helmregistry.PullOptWithProv(true))
	if err != nil {
		t.Fatal(err)
	}
	if hres.Prov == nil || !bytes.Equal(hres.Prov.Data, prov) {
		t.Fatal("Helm pulled no provenance from lade's push")
	}
	hs, _ := helmprovenance.NewFromKeyring(key.public, "")
	if _, err := hs.Verify(hres.Chart.Data, hres.Prov.Data, "webapp-1.2.3.tgz"); err != nil {
		t.Fatalf("Helm does not verify what lade pushed: %v", err)
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
