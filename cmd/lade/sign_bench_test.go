package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/lade-dev/lade/internal/testenv"
)

// BenchmarkVerifiedInstall installs an OCI chart pinned by digest with a warm
// cache, without verification and with each kind (issue 23: verification adds
// under 50 ms): --verify (the Helm provenance layer, cached), --cosign-key
// (two small registry requests: the signature manifest and its payload), and
// a policy file requiring both. "dry" is a client dry-run (load, verify,
// render), "cluster" a real install into the test cluster. Run:
// go test ./cmd/lade -run '^$' -bench VerifiedInstall -benchtime 20x
func BenchmarkVerifiedInstall(b *testing.B) {
	home := b.TempDir()
	for k, v := range map[string]string{"HOME": home, "XDG_CACHE_HOME": home + "/cache", "XDG_CONFIG_HOME": home + "/config",
		"DOCKER_CONFIG": home + "/docker", "HELM_CONFIG_HOME": home + "/hc", "HELM_CACHE_HOME": home + "/hk", "GNUPGHOME": home + "/gnupg"} {
		b.Setenv(k, v)
	}
	cosign := cosignRunner(b)
	logrus.SetLevel(logrus.PanicLevel) // the registry logs cosign's probes for missing blobs
	env := testenv.Shared(b)
	ns := env.NewNamespace(b)
	reg := testenv.NewRegistry(b)
	run := func(args ...string) string {
		var out writerBuffer
		cmd := newRootCmd()
		cmd.SetArgs(args)
		cmd.SetOut(&out)
		cmd.SetErr(io.Discard)
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			b.Fatalf("lade %v: %v", args, err)
		}
		return string(out)
	}
	pgp := newTestKey(b, "Bench Signer", "")
	key, pub := cosignKeyPair(b, cosign)
	work := b.TempDir()
	run("package", "../../testdata/charts/release/app", "-d", work, "--sign", "--key", "Bench", "--keyring", pgp.secret)
	out := run("push", filepath.Join(work, "app-0.1.0.tgz"), "oci://"+reg.Host+"/charts", "--plain-http")
	dgst := digestLine.FindStringSubmatch(out)[1]
	cosign("sign", "--key", key, "--tlog-upload=false", "--yes", "--allow-http-registry", reg.Host+"/charts/app@"+dgst)
	policy := filepath.Join(work, "policy.yaml")
	os.WriteFile(policy, []byte("apiVersion: lade.dev/v1alpha1\nkind: VerificationPolicy\nrules:\n- source: oci://"+reg.Host+"/charts/*\n  mode: enforce\n  cosign: {keys: ["+pub+"]}\n  provenance: {keyring: "+pgp.public+"}\n"), 0o644)
	ref := "oci://" + reg.Host + "/charts/app@" + dgst
	run("template", "x", ref, "--plain-http") // warm the content cache

	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns, "--plain-http"}
	n := 0
	for _, mode := range []string{"dry", "cluster"} {
		for _, v := range []struct {
			name  string
			flags []string
		}{
			{"none", nil},
			{"provenance", []string{"--verify", "--keyring", pgp.public}},
			{"cosign", []string{"--cosign-key", pub}},
			{"policy", []string{"--verify-policy", policy}},
		} {
			b.Run(mode+"/"+v.name, func(b *testing.B) {
				for b.Loop() {
					n++
					args := append([]string{"install", fmt.Sprintf("r%d", n), ref}, kc...)
					if mode == "dry" {
						args = append(args, "--dry-run=client")
					}
					run(append(args, v.flags...)...)
				}
			})
		}
	}
}

// writerBuffer collects output.
type writerBuffer []byte

func (w *writerBuffer) Write(p []byte) (int, error) { *w = append(*w, p...); return len(p), nil }
