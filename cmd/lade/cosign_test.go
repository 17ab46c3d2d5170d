package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lade-dev/lade/internal/testenv"
)

// cosignRef is the reference cosign (make cosign-ref): $COSIGN_REF, else bin/cosignref/cosign.
func cosignRef(t testing.TB) string {
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
func cosignRunner(t testing.TB) func(args ...string) string {
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
func cosignKeyPair(t testing.TB, cosign func(...string) string) (string, string) {
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

// A team's verification policy: enforce refuses unsigned charts from the
// sources it names before anything is installed, warn installs them with a
// warning, and the verified digest and signer are recorded in the release
// (get metadata) on the real test cluster.
func TestVerificationPolicy(t *testing.T) {
	isolate(t)
	t.Setenv("GNUPGHOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	cosign := cosignRunner(t)
	reg := testenv.NewRegistry(t)
	conn := "--plain-http"
	work := t.TempDir()
	key, pub := cosignKeyPair(t, cosign)
	pgp := newTestKey(t, "Policy Signer", "")

	// signed/: cosign-signed; pgp/: pushed with lade package --sign's .prov;
	// dev/ and signed/other: unsigned.
	const app = "../../testdata/charts/release/app"
	r := mustLade(t, "package", app, "-d", work, "--version", "1.2.3", "--sign", "--key", "Policy", "--keyring", pgp.secret)
	tgz := filepath.Join(work, "app-1.2.3.tgz")
	mustLade(t, "push", tgz, "oci://"+reg.Host+"/pgp", conn)
	os.Remove(tgz + ".prov")
	r = mustLade(t, "push", tgz, "oci://"+reg.Host+"/signed", conn)
	signed := digestLine.FindStringSubmatch(r.stdout)[1]
	cosign("sign", "--key", key, "--tlog-upload=false", "--yes", "--allow-http-registry", reg.Host+"/signed/app@"+signed)
	mustLade(t, "push", tgz, "oci://"+reg.Host+"/dev", conn)
	mustLade(t, "package", app, "-d", work, "--version", "1.2.4")
	mustLade(t, "push", filepath.Join(work, "app-1.2.4.tgz"), "oci://"+reg.Host+"/signed", conn)

	policyDir := t.TempDir()
	pubData, _ := os.ReadFile(pub)
	os.WriteFile(filepath.Join(policyDir, "team-cosign.pub"), pubData, 0o644)
	policy := filepath.Join(policyDir, "policy.yaml")
	os.WriteFile(policy, []byte(`apiVersion: lade.dev/v1alpha1
kind: VerificationPolicy
rules:
- source: oci://`+reg.Host+`/signed/*
  mode: enforce
  cosign:
    keys: [team-cosign.pub]
- source: oci://`+reg.Host+`/pgp/**
  mode: enforce
  provenance:
    keyring: `+pgp.public+`
- source: oci://`+reg.Host+`/dev/**
  mode: warn
  cosign:
    keys: [team-cosign.pub]
`), 0o644)
	run := func(args ...string) result {
		return mustLade(t, append(append(args, kc...), conn, "--verify-policy", policy)...)
	}
	annotations := func(name string) map[string]any {
		t.Helper()
		var m struct{ Annotations map[string]any }
		if err := json.Unmarshal([]byte(mustLade(t, append([]string{"get", "metadata", name, "-o", "json"}, kc...)...).stdout), &m); err != nil {
			t.Fatal(err)
		}
		return m.Annotations
	}

	// enforce, signed: installed, digest and signer recorded.
	run("install", "good", "oci://"+reg.Host+"/signed/app", "--version", "1.2.3")
	a := annotations("good")
	if a["lade.dev/chart-digest"] != signed || !strings.HasPrefix(a["lade.dev/verified-by"].(string), "cosign:sha256:") || a["lade.dev/verification"] != "verified" {
		t.Errorf("recorded annotations: %v", a)
	}
	if r := mustLade(t, append([]string{"get", "metadata", "good"}, kc...)...); !strings.Contains(r.stdout, "lade.dev/chart-digest="+signed) {
		t.Errorf("get metadata:\n%s", r.stdout)
	}
	// enforce, unsigned: refused before anything is installed.
	r = failLade(t, "refused by the verification policy: chart oci://"+reg.Host+"/signed/app ("+policy+": rule 1 (source \"oci://"+reg.Host+"/signed/*\", mode enforce)): cosign: no cosign signature",
		append(append([]string{"upgrade", "good", "oci://" + reg.Host + "/signed/app", "--version", "1.2.4"}, kc...), conn, "--verify-policy", policy)...)
	if r := mustLade(t, append([]string{"history", "good", "-o", "json"}, kc...)...); strings.Count(r.stdout, `"revision"`) != 1 {
		t.Errorf("a refused upgrade left a revision:\n%s", r.stdout)
	}
	// enforce, Helm provenance layer.
	run("install", "prov", "oci://"+reg.Host+"/pgp/app", "--version", "1.2.3")
	if a := annotations("prov"); a["lade.dev/verified-by"] != "pgp:"+pgp.fingerprint+" ("+pgp.id+")" {
		t.Errorf("provenance-verified annotations: %v", a)
	}
	// warn, unsigned: installed with a warning, recorded as unverified.
	r = run("install", "dev", "oci://"+reg.Host+"/dev/app", "--version", "1.2.3")
	if !strings.Contains(r.stderr, "WARNING: chart oci://"+reg.Host+"/dev/app is not verified ("+policy+": rule 3") {
		t.Errorf("warn mode stderr:\n%s", r.stderr)
	}
	if a := annotations("dev"); !strings.HasPrefix(a["lade.dev/verification"].(string), "unverified (warn): cosign: no cosign signature") || a["lade.dev/verified-by"] != nil {
		t.Errorf("warn annotations: %v", a)
	}
	// No rule matches a local chart: nothing checked, nothing recorded.
	run("install", "local", app)
	if a := annotations("local"); a["lade.dev/verification"] != nil {
		t.Errorf("local chart annotations: %v", a)
	}

	// The default policy file applies without the flag.
	def := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "lade", "verify-policy.yaml")
	os.MkdirAll(filepath.Dir(def), 0o755)
	data, _ := os.ReadFile(policy)
	os.WriteFile(def, []byte(strings.ReplaceAll(string(data), "[team-cosign.pub]", "["+filepath.Join(policyDir, "team-cosign.pub")+"]")), 0o644)
	failLade(t, "refused by the verification policy", "template", "x", "oci://"+reg.Host+"/signed/app", "--version", "1.2.4", conn)
	mustLade(t, "template", "x", "oci://"+reg.Host+"/signed/app", "--version", "1.2.3", conn)

	// A bad policy names the file and the rule.
	os.WriteFile(def, []byte("apiVersion: lade.dev/v1alpha1\nkind: VerificationPolicy\nrules:\n- source: oci://x/*\n  mode: enforced\n"), 0o644)
	failLade(t, def+": invalid verification policy: rules[0]: mode \"enforced\" is not enforce, warn or off", "template", "x", "oci://"+reg.Host+"/signed/app", conn)
	os.WriteFile(def, []byte("apiVersion: lade.dev/v1alpha1\nkind: VerificationPolicy\nrules:\n- source: oci://x/*\n  mode: warn\n  cosgin: {}\n"), 0o644)
	failLade(t, "line 6: field cosgin not found", "template", "x", "oci://"+reg.Host+"/signed/app", conn)
}
