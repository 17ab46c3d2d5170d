package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/lade-dev/lade/internal/testenv"
)

// testKey is a throwaway OpenPGP key made by the test, with keyring files in
// a temporary directory: secret (passphrase-protected when pass is set) and public.
type testKey struct {
	entity          *openpgp.Entity
	secret, public  string
	fingerprint, id string
}

func newTestKey(t testing.TB, name, pass string) testKey {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test only", strings.ToLower(strings.Fields(name)[0])+"@example.test",
		&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := testKey{entity: e, secret: filepath.Join(dir, "secring.gpg"), public: filepath.Join(dir, "pubring.gpg"),
		fingerprint: fmt.Sprintf("%X", e.PrimaryKey.Fingerprint)}
	for id := range e.Identities {
		k.id = id
	}
	pub, _ := os.Create(k.public)
	if err := e.Serialize(pub); err != nil {
		t.Fatal(err)
	}
	pub.Close()
	if pass != "" {
		if err := e.EncryptPrivateKeys([]byte(pass), nil); err != nil {
			t.Fatal(err)
		}
	}
	sec, _ := os.Create(k.secret)
	if err := e.SerializePrivateWithoutSigning(sec, nil); err != nil {
		t.Fatal(err)
	}
	sec.Close()
	return k
}

func sha256File(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// A chart signed with `lade package --sign` verifies with `lade verify` and
// with --verify on template, install, pull, from a file, an OCI registry
// and a chart repository; a tampered archive, a missing signature and a
// key not in the keyring are refused, saying which.
func TestSignAndVerify(t *testing.T) {
	isolate(t)
	t.Setenv("GNUPGHOME", t.TempDir()) // no default keyring of the user's
	alice := newTestKey(t, "Alice Release", "open sesame")
	bob := newTestKey(t, "Bob Other", "")
	work := t.TempDir()
	pass := filepath.Join(work, "pass")
	os.WriteFile(pass, []byte("open sesame\n"), 0o600)

	// A wrong passphrase writes nothing.
	out := filepath.Join(work, "bad")
	os.WriteFile(filepath.Join(work, "wrong"), []byte("nope\n"), 0o600)
	failLade(t, `unlock key "Alice Release (test only) <alice@example.test>"`, "package", registryFixture, "-d", out,
		"--sign", "--key", "Alice", "--keyring", alice.secret, "--passphrase-file", filepath.Join(work, "wrong"))
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed signing left files")
	}
	failLade(t, `is protected by a passphrase: give --passphrase-file`, "package", registryFixture, "-d", out, "--sign", "--key", "Alice", "--keyring", alice.secret)
	failLade(t, `no key in the keyring has a user ID containing "Carol"`, "package", registryFixture, "-d", out, "--sign", "--key", "Carol", "--keyring", alice.secret)
	failLade(t, `has no private part`, "package", registryFixture, "-d", out, "--sign", "--key", "Alice", "--keyring", alice.public)

	r := lade(t, "open sesame\n", "package", registryFixture, "-d", work, "--sign", "--key", "Alice", "--keyring", alice.secret, "--passphrase-file", "-")
	tgz := filepath.Join(work, "webapp-1.2.3.tgz")
	if r.code != 0 || r.stdout != "Successfully packaged chart and saved it to: "+tgz+"\n" {
		t.Fatalf("package --sign: %+v", r)
	}
	prov, err := os.ReadFile(tgz + ".prov")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(prov), "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nannotations:\n") ||
		!strings.Contains(string(prov), "\n...\nfiles:\n  webapp-1.2.3.tgz: "+sha256File(t, tgz)+"\n\n-----BEGIN PGP SIGNATURE-----\n") {
		t.Fatalf("provenance file:\n%s", prov)
	}

	want := "Signed by: " + alice.id + "\nUsing Key With Fingerprint: " + alice.fingerprint + "\nChart Hash Verified: " + sha256File(t, tgz) + "\n"
	if r := mustLade(t, "verify", tgz, "--keyring", alice.public); r.stdout != want {
		t.Errorf("verify printed\n%s\nwant\n%s", r.stdout, want)
	}
	failLade(t, "--verify: "+tgz+".prov (keyring "+bob.public+"): signed by a key that is not in the keyring (key ID "+alice.fingerprint[24:]+")",
		"verify", tgz, "--keyring", bob.public)
	failLade(t, "keyring: open "+filepath.Join(os.Getenv("GNUPGHOME"), "pubring.gpg"), "verify", tgz)

	// Tampered: other bytes under the signed name.
	tampered := filepath.Join(t.TempDir(), "webapp-1.2.3.tgz")
	data, _ := os.ReadFile(tgz)
	os.WriteFile(tampered, append(data, 0), 0o644)
	os.WriteFile(tampered+".prov", prov, 0o644)
	failLade(t, "chart archive does not match its provenance file: webapp-1.2.3.tgz has sum "+sha256File(t, tampered)+", the signed sum is "+sha256File(t, tgz),
		"verify", tampered, "--keyring", alice.public)
	failLade(t, "does not match its provenance file", "template", "web", tampered, "--verify", "--keyring", alice.public)

	// --verify on a local archive and directory.
	plain := mustLade(t, "template", "web", tgz)
	if r := mustLade(t, "template", "web", tgz, "--verify", "--keyring", alice.public); r.stdout != plain.stdout {
		t.Error("template --verify renders differently")
	}
	failLade(t, "unpacked charts cannot be verified", "template", "web", registryFixture, "--verify", "--keyring", alice.public)
	failLade(t, "is a kustomization: only signed chart archives can be verified", "template", "kp", overlayData+"package", "--verify", "--keyring", alice.public)
	if r := mustLade(t, "show", "chart", tgz, "--verify", "--keyring", alice.public); !strings.Contains(r.stdout, "name: webapp\n") {
		t.Errorf("show chart --verify:\n%s", r.stdout)
	}
	failLade(t, "does not match its provenance file", "show", "values", tampered, "--verify", "--keyring", alice.public)
	unsigned := filepath.Join(t.TempDir(), "webapp-1.2.3.tgz")
	os.WriteFile(unsigned, data, 0o644)
	failLade(t, "no provenance file: sign the chart", "install", "web", unsigned, "--dry-run=client", "--verify", "--keyring", alice.public)

	t.Run("oci", func(t *testing.T) {
		reg := testenv.NewRegistry(t)
		conn := "--plain-http"
		mustLade(t, "push", tgz, "oci://"+reg.Host+"/charts", conn)
		ref := "oci://" + reg.Host + "/charts/webapp"
		dest := t.TempDir()
		r := mustLade(t, "pull", ref, "--version", "1.2.3", "-d", dest, "--verify", "--keyring", alice.public, conn)
		if !strings.HasSuffix(r.stdout, want) || !strings.HasPrefix(r.stdout, "Pulled: "+reg.Host+"/charts/webapp:1.2.3\n") {
			t.Errorf("pull --verify printed\n%s", r.stdout)
		}
		if got, _ := os.ReadFile(filepath.Join(dest, "webapp-1.2.3.tgz.prov")); string(got) != string(prov) {
			t.Error("pull --verify did not keep the provenance file beside the archive")
		}
		mustLade(t, "verify", filepath.Join(dest, "webapp-1.2.3.tgz"), "--keyring", alice.public)
		if r := mustLade(t, "template", "web", ref, "--version", "1.2.3", "--verify", "--keyring", alice.public, conn); r.stdout != plain.stdout {
			t.Error("template --verify from the registry renders differently")
		}
		mustLade(t, "install", "web", ref, "--version", "1.2.3", "--dry-run=client", "--verify", "--keyring", alice.public, conn)
		failLade(t, "the provenance layer of oci://"+reg.Host+"/charts/webapp:1.2.3@sha256:", "template", "web", ref, "--version", "1.2.3", "--verify", "--keyring", bob.public, conn)

		// The same chart pushed without its .prov (another version) has no provenance.
		mustLade(t, "package", registryFixture, "-d", dest, "--version", "1.2.4")
		mustLade(t, "push", filepath.Join(dest, "webapp-1.2.4.tgz"), "oci://"+reg.Host+"/charts", conn)
		failLade(t, "no provenance: the manifest has no application/vnd.cncf.helm.chart.provenance.v1.prov layer",
			"upgrade", "web", ref, "--version", "1.2.4", "--install", "--dry-run=client", "--verify", "--keyring", alice.public, conn)
		mustLade(t, "template", "web", ref, "--version", "1.2.4", conn) // without --verify nothing is checked

		// dependency update/build --verify check each oci:// dependency.
		parent := filepath.Join(t.TempDir(), "parent")
		writeFiles(t, parent, map[string]string{"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n" +
			"- name: webapp\n  version: 1.2.3\n  repository: oci://" + reg.Host + "/charts\n"})
		mustLade(t, "dependency", "update", parent, "--verify", "--keyring", alice.public, conn)
		mustLade(t, "dependency", "build", parent, "--verify", "--keyring", alice.public, conn)
		failLade(t, "dependency webapp 1.2.3: --verify: the provenance of webapp-1.2.3.tgz (keyring "+bob.public+"): signed by a key that is not in the keyring",
			"dependency", "build", parent, "--verify", "--keyring", bob.public, conn)
		writeFiles(t, parent, map[string]string{"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n" +
			"- name: webapp\n  version: 1.2.4\n  repository: oci://" + reg.Host + "/charts\n"})
		failLade(t, "has no provenance layer", "dependency", "update", parent, "--verify", "--keyring", alice.public, conn)
		if _, err := os.Stat(filepath.Join(parent, "charts", "webapp-1.2.4.tgz")); err == nil {
			t.Error("an unverified dependency was written to charts/")
		}
	})

	t.Run("repository", func(t *testing.T) {
		repoHome(t)
		t.Setenv("GNUPGHOME", t.TempDir())
		pub := t.TempDir()
		for _, f := range []string{"webapp-1.2.3.tgz", "webapp-1.2.3.tgz.prov"} {
			b, _ := os.ReadFile(filepath.Join(work, f))
			os.WriteFile(filepath.Join(pub, f), b, 0o644)
		}
		mustLade(t, "package", registryFixture, "-d", pub, "--version", "1.2.4")
		mustLade(t, "repo", "index", pub)
		srv := testenv.NewChartRepo(t, testenv.ChartRepoConfig{Dir: pub})
		mustLade(t, "repo", "add", "signed", srv.URL)
		dest := t.TempDir()
		r := mustLade(t, "pull", "signed/webapp", "--version", "1.2.3", "-d", dest, "--verify", "--keyring", alice.public)
		if r.stdout != want {
			t.Errorf("pull --verify printed\n%s", r.stdout)
		}
		if r := mustLade(t, "template", "web", "webapp", "--repo", srv.URL, "--version", "1.2.3", "--verify", "--keyring", alice.public); r.stdout != plain.stdout {
			t.Error("template --verify from the repository renders differently")
		}
		failLade(t, "--verify: "+srv.URL+"/webapp-1.2.4.tgz.prov: no provenance file: "+srv.URL+"/webapp-1.2.4.tgz.prov answered 404 Not Found",
			"template", "web", "signed/webapp", "--version", "1.2.4", "--verify", "--keyring", alice.public)
		failLade(t, "signed by a key that is not in the keyring", "template", "web", "signed/webapp", "--version", "1.2.3", "--verify", "--keyring", bob.public)

		// dependency update/build --verify check each repository dependency.
		parent := filepath.Join(t.TempDir(), "parent")
		writeFiles(t, parent, map[string]string{"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n" +
			"- name: webapp\n  version: 1.2.3\n  repository: '@signed'\n"})
		mustLade(t, "dependency", "update", parent, "--verify", "--keyring", alice.public)
		mustLade(t, "dependency", "build", parent, "--verify", "--keyring", alice.public)
		failLade(t, "signed by a key that is not in the keyring", "dependency", "build", parent, "--verify", "--keyring", bob.public)
		writeFiles(t, parent, map[string]string{"Chart.yaml": "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n" +
			"- name: webapp\n  version: 1.2.4\n  repository: " + srv.URL + "\n"})
		failLade(t, "webapp-1.2.4.tgz.prov answered 404 Not Found", "dependency", "update", parent, "--verify", "--keyring", alice.public)
	})
}

// Keys made by GnuPG itself (the commands of docs/signing.md) sign with
// lade package --sign, and GnuPG finds the signature good.
func TestSignWithGnuPGKeys(t *testing.T) {
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		t.Skip("gpg not installed")
	}
	isolate(t)
	home := t.TempDir()
	gnupg := filepath.Join(home, "gnupg")
	os.Mkdir(gnupg, 0o700)
	t.Cleanup(func() { // gpg starts an agent for the home: stop it
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = append(os.Environ(), "GNUPGHOME="+gnupg)
		kill.Run()
	})
	run := func(stdout string, args ...string) {
		t.Helper()
		cmd := exec.Command(gpg, append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", "pw"}, args...)...)
		cmd.Env = append(os.Environ(), "GNUPGHOME="+gnupg)
		var out []byte
		if out, err = cmd.CombinedOutput(); err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, out)
		}
		if stdout != "" {
			if err := os.WriteFile(stdout, out, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	run("", "--quick-generate-key", "Acme Charts <charts@acme.example>", "ed25519", "sign", "2y")
	secring, pubring := filepath.Join(home, "ci-secring.gpg"), filepath.Join(home, "acme-charts.asc")
	run("", "--output", secring, "--export-secret-keys", "Acme Charts")
	run("", "--output", pubring, "--export", "--armor", "Acme Charts")
	pass := filepath.Join(home, "pass")
	os.WriteFile(pass, []byte("pw\n"), 0o600)
	work := t.TempDir()
	mustLade(t, "package", registryFixture, "-d", work, "--sign", "--key", "Acme Charts", "--keyring", secring, "--passphrase-file", pass)
	tgz := filepath.Join(work, "webapp-1.2.3.tgz")
	if r := mustLade(t, "verify", tgz, "--keyring", pubring); !strings.HasPrefix(r.stdout, "Signed by: Acme Charts <charts@acme.example>\n") {
		t.Errorf("verify: %s", r.stdout)
	}
	cmd := exec.Command(gpg, "--batch", "--verify", tgz+".prov")
	cmd.Env = append(os.Environ(), "GNUPGHOME="+gnupg)
	out, _ := cmd.CombinedOutput() // exit 2: like Helm's, the file ends without a newline after the armour
	if !strings.Contains(string(out), `Good signature from "Acme Charts <charts@acme.example>"`) {
		t.Errorf("gpg --verify:\n%s", out)
	}
}
