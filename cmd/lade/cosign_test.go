package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lade-dev/lade/internal/testenv"
)

// cosignRef is the reference cosign (make cosign-ref): $COSIGN_REF, else bin/cosignref/cosign.
func cosignRef(t *testing.T) string {
	t.Helper()
	p := os.Getenv("COSIGN_REF")
	if p == "" {
		p, _ = filepath.Abs(filepath.Join("..", "..", "bin", "cosignref", "cosign"))
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference cosign %s: %v (run make cosign-ref)", p, err)
	}
	return p
}

// cosignRunner runs the reference cosign in an isolated home with the key
// passphrase in COSIGN_PASSWORD; it fails the test when cosign fails.
func cosignRunner(t *testing.T) func(args ...string) string {
	bin := cosignRef(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "DOCKER_CONFIG=" + filepath.Join(home, "docker"), "TUF_ROOT=" + filepath.Join(home, "tuf"),
		"COSIGN_PASSWORD=test-only", "PATH=" + os.Getenv("PATH")}
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		cmd.Dir = home
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("cosign %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
}

// cosignKeyPair makes a key pair with the reference cosign; it returns the
// private and public key files.
func cosignKeyPair(t *testing.T, cosign func(...string) string) (string, string) {
	dir := t.TempDir()
	cosign("generate-key-pair", "--output-key-prefix", filepath.Join(dir, "cosign"))
	return filepath.Join(dir, "cosign.key"), filepath.Join(dir, "cosign.pub")
}

// A chart pushed to the test registry and signed by the reference cosign
// verifies with --cosign-key; moving the tag to an unsigned digest, or a
// signature by another key, is refused before anything is rendered.
func TestCosignSignatures(t *testing.T) {
	isolate(t)
	cosign := cosignRunner(t)
	reg := testenv.NewRegistry(t)
	conn := "--plain-http"
	work := t.TempDir()
	key, pub := cosignKeyPair(t, cosign)
	otherKey, otherPub := cosignKeyPair(t, cosign)

	mustLade(t, "package", registryFixture, "-d", work)
	r := mustLade(t, "push", filepath.Join(work, "webapp-1.2.3.tgz"), "oci://"+reg.Host+"/charts", conn)
	signed := digestLine.FindStringSubmatch(r.stdout)[1]
	repoRef := reg.Host + "/charts/webapp"
	failLade(t, "no cosign signature: no tag "+strings.Replace(signed, ":", "-", 1)+".sig beside "+signed,
		"template", "web", "oci://"+repoRef, "--version", "1.2.3", "--cosign-key", pub, conn)

	cosign("sign", "--key", key, "--tlog-upload=false", "--yes", "--allow-http-registry", repoRef+"@"+signed)
	plain := mustLade(t, "template", "web", registryFixture)
	r = mustLade(t, "template", "web", "oci://"+repoRef, "--version", "1.2.3", "--cosign-key", pub, conn)
	if r.stdout != plain.stdout {
		t.Error("template --cosign-key renders differently")
	}
	fp := regexp.MustCompile(`Verified: oci://` + regexp.QuoteMeta(repoRef) + `@` + signed + ` signed by cosign:sha256:[0-9a-f]{64} \(` + regexp.QuoteMeta(pub) + `\)\n`)
	if !fp.MatchString(r.stderr) {
		t.Errorf("template --cosign-key stderr:\n%s", r.stderr)
	}
	// Any one of several keys suffices; pull checks too.
	mustLade(t, "pull", "oci://"+repoRef, "--version", "1.2.3", "-d", t.TempDir(), "--cosign-key", otherPub, "--cosign-key", pub, conn)
	// A key that did not sign it.
	failLade(t, "no cosign signature made by the given keys on "+signed+" (signature sha256:",
		"install", "web", "oci://"+repoRef+"@"+signed, "--dry-run=client", "--cosign-key", otherPub, conn)

	// The tag moved to another (unsigned) digest: refused.
	mustLade(t, "package", registryFixture, "-d", filepath.Join(work, "moved"), "--app-version", "9.9.9")
	r = mustLade(t, "push", filepath.Join(work, "moved", "webapp-1.2.3.tgz"), "oci://"+reg.Host+"/charts", conn)
	moved := digestLine.FindStringSubmatch(r.stdout)[1]
	if moved == signed {
		t.Fatal("the moved tag has the signed digest")
	}
	r = failLade(t, "no cosign signature: no tag "+strings.Replace(moved, ":", "-", 1)+".sig beside "+moved,
		"template", "web", "oci://"+repoRef, "--version", "1.2.3", "--cosign-key", pub, conn)
	if r.stdout != "" {
		t.Errorf("a refused chart was rendered:\n%s", r.stdout)
	}
	// Signed, but with another key.
	cosign("sign", "--key", otherKey, "--tlog-upload=false", "--yes", "--allow-http-registry", repoRef+"@"+moved)
	failLade(t, "no cosign signature made by the given keys on "+moved+" (signature sha256:",
		"template", "web", "oci://"+repoRef+":1.2.3", "--cosign-key", pub, conn)
	mustLade(t, "template", "web", "oci://"+repoRef+":1.2.3", "--cosign-key", otherPub, conn)
	// The pinned, signed digest still verifies.
	mustLade(t, "template", "web", "oci://"+repoRef+"@"+signed, "--cosign-key", pub, conn)
	failLade(t, "cosign key: open ", "template", "web", "oci://"+repoRef+"@"+signed, "--cosign-key", filepath.Join(work, "nope.pub"), conn)
}
