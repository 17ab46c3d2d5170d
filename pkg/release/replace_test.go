package release_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/release"
)

// Replace re-uses the name of an uninstalled (history kept) or failed
// release, as Helm's --replace; without it the name is refused.
func TestReplace(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if _, err := f.install("rp", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "rp", KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	_, err := f.install("rp", nil, release.CommonOptions{})
	if err == nil || !strings.Contains(err.Error(), "cannot re-use a name that is still in use") || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("install over an uninstalled release without Replace: %v", err)
	}
	in := func(name string, vals map[string]any, o release.CommonOptions) (*release.Release, error) {
		return f.cfg.Install(ctx, release.InstallOptions{CommonOptions: o, Name: name, Chart: loadApp(t), Values: vals, Replace: true})
	}
	r, err := in("rp", nil, release.CommonOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 || f.cm("rp-cm") == nil {
		t.Fatalf("replace: revision %d, cm %v", r.Version, f.cm("rp-cm"))
	}
	if got := f.statuses("rp"); got != "superseded,deployed" {
		t.Fatalf("statuses %s", got)
	}
	// A failed install: refused without Replace, replaced with it (the
	// failed revision keeps its status, as in Helm).
	if _, err := f.install("rf", map[string]any{"hook": true, "hookFail": true}, release.CommonOptions{Timeout: 30 * time.Second}); err == nil {
		t.Fatal("install with a failing hook succeeded")
	}
	if _, err := f.install("rf", nil, release.CommonOptions{}); err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("install over a failed release without Replace: %v", err)
	}
	if _, err := in("rf", nil, release.CommonOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses("rf"); got != "failed,deployed" {
		t.Fatalf("statuses %s", got)
	}
	// Replace never takes a name still in use.
	if _, err := in("rf", nil, release.CommonOptions{}); err == nil || !strings.Contains(err.Error(), "still in use") {
		t.Fatalf("replace of a deployed release: %v", err)
	}
	// upgrade --install over an uninstalled release replaces it, as Helm's.
	if _, err := f.cfg.Uninstall(ctx, release.UninstallOptions{Name: "rp", KeepHistory: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{Install: true, InstallOptions: release.InstallOptions{Name: "rp", Chart: loadApp(t)}}); err != nil {
		t.Fatal(err)
	}
	if got := f.statuses("rp"); got != "superseded,superseded,deployed" {
		t.Fatalf("statuses after upgrade --install %s", got)
	}
}

// secretChart is a chart with a ConfigMap and a Secret.
func secretChart(t *testing.T) *chart.Chart {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: sec\nversion: 0.1.0\n",
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  shown: visible-value\n",
		"templates/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-secret\nstringData:\n  password: hunter2-secret\n",
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := chart.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// HideSecret leaves Secrets out of a dry run's manifest (client and server
// dry runs, install and upgrade) and is refused without a dry run.
func TestHideSecret(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	check := func(what string, r *release.Release, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if strings.Contains(r.Manifest, "hunter2") || !strings.Contains(r.Manifest, "# Source: sec/templates/secret.yaml\n# HIDDEN: The Secret output has been suppressed\n") || !strings.Contains(r.Manifest, "visible-value") {
			t.Fatalf("%s manifest:\n%s", what, r.Manifest)
		}
	}
	o := func(dry release.DryRun) release.InstallOptions {
		return release.InstallOptions{Name: "hs", Chart: secretChart(t), HideSecret: true, CommonOptions: release.CommonOptions{DryRun: dry}}
	}
	r, err := f.cfg.Install(ctx, o("client"))
	check("client dry-run install", r, err)
	r, err = f.cfg.Install(ctx, o("server"))
	check("server dry-run install", r, err)
	if _, err := f.cfg.Install(ctx, o("")); !errors.Is(err, release.ErrHideSecretNeedsDryRun) || err.Error() != "hiding Kubernetes secrets requires a dry-run mode" {
		t.Fatalf("install --hide-secret without --dry-run: %v", err)
	}
	plain := o("")
	plain.HideSecret = false
	r, err = f.cfg.Install(ctx, plain)
	if err != nil || !strings.Contains(r.Manifest, "hunter2") {
		t.Fatalf("install without HideSecret: %v\n%v", err, r)
	}
	r, err = f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: o("server")})
	check("server dry-run upgrade", r, err)
	if _, err := f.cfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: o("")}); !errors.Is(err, release.ErrHideSecretNeedsDryRun) {
		t.Fatalf("upgrade --hide-secret without --dry-run: %v", err)
	}
}
