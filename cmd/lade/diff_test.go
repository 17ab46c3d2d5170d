package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
)

// ladeExit runs the CLI as main does and returns its exit code.
func ladeExit(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestDiffCommands(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := "../../testdata/charts/diff/app"
	expect := func(code int, args ...string) (string, string) {
		t.Helper()
		got, out, errs := ladeExit(append(args, kc...)...)
		if got != code {
			t.Fatalf("lade %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, out, errs)
		}
		return out, errs
	}
	expect(0, "install", "web", chartDir)

	// Exit codes: 0 without changes, 2 with changes, 1 on error.
	if out, _ := expect(0, "diff", "upgrade", "web", chartDir, "--detailed-exitcode"); out != "" {
		t.Fatalf("no-op diff printed:\n%s", out)
	}
	out, _ := expect(2, "diff", "upgrade", "web", chartDir, "--set", "data=two", "--set", "extra=true", "--detailed-exitcode", "-C", "1")
	for _, want := range []string{
		"ConfigMap " + ns + "/web-cm (update)\n--- live\n+++ upgrade of web to revision 2\n@@ ",
		"-  value: one\n+  value: two\n",
		"ConfigMap " + ns + "/web-extra (create)\n--- /dev/null\n",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("diff lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Fatalf("colour without a terminal:\n%s", out)
	}
	expect(0, "diff", "upgrade", "web", chartDir, "--set", "data=two")
	expect(1, "diff", "upgrade", "nosuch", chartDir, "--detailed-exitcode")
	expect(1, "diff", "upgrade", "web", chartDir, "-o", "yaml")

	out, _ = expect(0, "diff", "upgrade", "web", chartDir, "--set", "data=two", "--color", "always")
	if !strings.Contains(out, "\x1b[31m-  value: one\x1b[0m") || !strings.Contains(out, "\x1b[32m+  value: two\x1b[0m") {
		t.Fatalf("--color always:\n%q", out)
	}
	t.Setenv("NO_COLOR", "1")
	if out, _ = expect(0, "diff", "upgrade", "web", chartDir, "--set", "data=two", "--color", "auto"); strings.Contains(out, "\x1b[") {
		t.Fatal("NO_COLOR ignored")
	}

	// An overlay shows as part of the upgrade it would be applied with.
	ovDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(ovDir, "kustomization.yaml"), []byte("commonAnnotations:\n  team: platform\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = expect(0, "diff", "upgrade", "web", chartDir, "--overlay", ovDir, "-C", "0")
	if !strings.Contains(out, "ConfigMap "+ns+"/web-cm (update)") || !strings.Contains(out, "+    team: platform") {
		t.Fatalf("overlay change not in the diff:\n%s", out)
	}

	out, _ = expect(0, "diff", "upgrade", "web", chartDir, "--set", "data=two", "--set", "old=false", "-o", "summary")
	want := "~ ConfigMap " + ns + "/web-cm\n~ Deployment " + ns + "/web-web\n- ConfigMap " + ns + "/web-old\n0 to create, 2 to update, 1 to delete, 2 unchanged\n"
	if out != want {
		t.Fatalf("summary:\n%s\nwant:\n%s", out, want)
	}

	out, _ = expect(0, "diff", "upgrade", "web", chartDir, "--set", "password=changed", "-o", "json")
	var doc struct {
		From    string `json:"from"`
		To      string `json:"to"`
		Changes []struct {
			Kind, Namespace, Name, Change string
			Fields                        []struct {
				Path     string
				Old, New any
			}
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Changes) != 1 || doc.Changes[0].Kind != "Secret" || doc.Changes[0].Change != "update" ||
		doc.Changes[0].Fields[0].Path != ".data.password" || doc.Changes[0].Fields[0].New != "*** (after)" || doc.Summary["update"] != 1 {
		t.Fatalf("json:\n%s", out)
	}
	if strings.Contains(out, "Y2hhbmdlZA") {
		t.Fatal("json reveals the secret")
	}

	// upgrade --diff --dry-run is a plan: nothing applied, no revision.
	out, _ = expect(0, "upgrade", "web", chartDir, "--set", "data=three", "--diff", "--dry-run=server")
	if !strings.Contains(out, "+  value: three") || !strings.Contains(out, "0 to create, 2 to update") {
		t.Fatalf("plan:\n%s", out)
	}
	cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), "web-cm", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "one" {
		t.Fatalf("the plan changed the cluster: %v %v", err, cm.Data)
	}
	// upgrade --diff prints the diff, then upgrades.
	out, _ = expect(0, "upgrade", "web", chartDir, "--set", "data=three", "--diff")
	if !strings.Contains(out, "+  value: three") || !strings.Contains(out, `Release "web" has been upgraded`) {
		t.Fatalf("upgrade --diff:\n%s", out)
	}

	// Drift: a manual edit.
	cm, _ = env.Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), "web-cm", metav1.GetOptions{})
	cm.Data["value"] = "by-hand"
	if _, err := env.Clientset().CoreV1().ConfigMaps(ns).Update(context.Background(), cm, metav1.UpdateOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	out, _ = expect(2, "diff", "drift", "web", "--detailed-exitcode")
	if !strings.Contains(out, "-  value: by-hand\n+  value: three") || !strings.Contains(out, `field manager "kubectl-edit" owns .data.value`) {
		t.Fatalf("drift:\n%s", out)
	}

	// Revisions and rollback.
	out, _ = expect(0, "diff", "revision", "web", "1", "2", "-o", "summary")
	if !strings.Contains(out, "~ ConfigMap "+ns+"/web-cm") {
		t.Fatalf("revision:\n%s", out)
	}
	out, _ = expect(2, "diff", "rollback", "web", "--detailed-exitcode")
	if !strings.Contains(out, "+++ rollback of web to revision 1") || !strings.Contains(out, "+  value: one") {
		t.Fatalf("rollback:\n%s", out)
	}
}

// TestUpgradeDiffIsTheUpgrade: `lade diff upgrade`, `lade upgrade --diff
// --dry-run` and `lade upgrade --diff` print the same plan, and the upgrade
// applies what it printed (the live objects are the predicted ones after).
func TestUpgradeDiffIsTheUpgrade(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := "../../testdata/charts/diff/app"
	expect := func(args ...string) string {
		t.Helper()
		got, out, errs := ladeExit(append(args, kc...)...)
		if got != 0 {
			t.Fatalf("lade %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, out, errs)
		}
		return out
	}
	expect("install", "web", chartDir)
	change := []string{"web", chartDir, "--set", "data=two", "--set", "extra=true"}
	diffed := expect(append([]string{"diff", "upgrade"}, change...)...)
	planned := expect(append([]string{"upgrade", "--diff", "--dry-run=server"}, change...)...)
	if !strings.Contains(diffed, "+  value: two") || !strings.HasPrefix(planned, diffed) || !strings.Contains(planned, "1 to create, 2 to update") {
		t.Fatalf("lade diff upgrade:\n%s\nlade upgrade --diff --dry-run:\n%s", diffed, planned)
	}
	upgraded := expect(append([]string{"upgrade", "--diff"}, change...)...)
	if !strings.HasPrefix(upgraded, planned) || !strings.Contains(upgraded, `Release "web" has been upgraded`) {
		t.Fatalf("lade upgrade --diff does not print the diff first:\n%s\nwant first:\n%s", upgraded, planned)
	}
	// What was predicted is what is live now: nothing left to change.
	if out := expect("diff", "upgrade", "web", chartDir, "--reuse-values"); out != "" {
		t.Fatalf("after the upgrade, the same plan still changes:\n%s", out)
	}
	cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), "web-extra", metav1.GetOptions{})
	if err != nil || !strings.Contains(diffed, "ConfigMap "+ns+"/web-extra (create)") {
		t.Fatalf("the predicted create of web-extra: %v %v", err, cm)
	}
}
