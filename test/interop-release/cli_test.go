package interop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	helmcmd "helm.sh/helm/v4/pkg/cmd"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/release"
)

// deployedLine is the deploy time a dry run prints.
var deployedLine = regexp.MustCompile(`(?m)^LAST DEPLOYED: .*\n`)

// ladeBinary is lade built by `make build` (../../bin/lade), else built here.
func ladeBinary(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs("../../bin/lade"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p := filepath.Join(t.TempDir(), "lade")
	if out, err := exec.Command("go", "build", "-o", p, "github.com/lade-dev/lade/cmd/lade").CombinedOutput(); err != nil {
		t.Fatalf("build lade: %v\n%s", err, out)
	}
	return p
}

// helmCLI runs Helm's own command line in-process and returns its output.
func helmCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd, err := helmcmd.NewRootCmd(&out, args, func(bool) {})
	if err != nil {
		t.Fatal(err)
	}
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("helm %v: %v\n%s", args, err, out.String())
	}
	return out.String()
}

// TestReadCommandsMatchHelm: `lade list`, `lade history` and `lade get`
// print what Helm's commands print (tables, JSON and YAML, paging, sorting,
// time formats, the rollback column, metadata, values), for releases
// written by both tools.
func TestReadCommandsMatchHelm(t *testing.T) {
	hcfg, lcfg, ns := setup(t)
	ctx := context.Background()
	for _, name := range []string{"beta", "alpha"} {
		if _, err := lcfg.Install(ctx, release.InstallOptions{Name: name, Chart: ladeChart(t), Values: map[string]any{"data": name}}); err != nil {
			t.Fatal(err)
		}
	}
	helmInstall(t, hcfg, ns, "gamma", map[string]any{"data": "g"})
	time.Sleep(1100 * time.Millisecond) // --date sorts by the second
	if _, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "beta", Chart: ladeChart(t), Values: map[string]any{"data": "b2"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := lcfg.Rollback(ctx, release.RollbackOptions{Name: "beta", Version: 1}); err != nil {
		t.Fatal(err)
	}

	// Failed waits record multi-line descriptions (no pod ever becomes
	// ready: this control plane runs no controllers); a description may
	// also hold newlines and wide runes of its own.
	if _, err := lcfg.Install(ctx, release.InstallOptions{Name: "epsilon", Chart: ladeChart(t), CommonOptions: release.CommonOptions{Description: "Installed\nby CI: 版本 1.2"}}); err != nil {
		t.Fatal(err)
	}
	for _, vals := range []map[string]any{{"deploy": true}, {"deploy": true, "many": 2}} {
		_, err := lcfg.Upgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "epsilon", Chart: ladeChart(t), Values: vals,
			CommonOptions: release.CommonOptions{Wait: true, Timeout: 2 * time.Second}}})
		if err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("want a failed wait, got %v", err)
		}
	}

	lade := ladeBinary(t)
	env := testenv.Shared(t)
	common := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	cases := [][]string{
		{"list"}, {"list", "-o", "json"}, {"list", "-o", "yaml"}, {"list", "--no-headers"},
		{"list", "-d"}, {"list", "-d", "-r"}, {"list", "-r"}, {"list", "-m", "1", "--offset", "1"},
		{"list", "--offset", "5"}, {"list", "-q"}, {"list", "--superseded"},
		{"list", "--time-format", "2006-01-02T15:04:05Z07:00"},
		{"history", "beta"}, {"history", "beta", "--show-rollback-revision"}, {"history", "beta", "-o", "json"},
		{"history", "beta", "-o", "yaml"}, {"history", "beta", "--max", "2"}, {"history", "gamma"},
		{"history", "epsilon"}, {"history", "epsilon", "--show-rollback-revision"}, {"history", "epsilon", "-o", "json"},
		{"history", "epsilon", "-o", "yaml"}, {"list", "--failed"},
	}
	for _, name := range []string{"beta", "gamma"} {
		cases = append(cases,
			[]string{"get", "metadata", name}, []string{"get", "metadata", name, "-o", "json"},
			[]string{"get", "metadata", name, "-o", "yaml"}, []string{"get", "metadata", name, "--revision", "1"},
			[]string{"get", "all", name}, []string{"get", "all", name, "--revision", "1"},
			[]string{"get", "values", name}, []string{"get", "values", name, "--all"}, []string{"get", "values", name, "-o", "json"},
			[]string{"get", "manifest", name}, []string{"get", "hooks", name}, []string{"get", "notes", name})
	}
	// Dry runs print the release with its hooks, manifest and notes
	// (deploy times differ: they are left out of the comparison).
	for _, c := range [][]string{
		{"install", "delta", chartDir, "--dry-run=server"}, {"install", "delta", chartDir, "--dry-run"},
		{"install", "delta", chartDir, "--dry-run=server", "--hide-notes"}, {"upgrade", "beta", chartDir, "--dry-run=server"},
	} {
		cases = append(cases, c)
	}
	for _, c := range cases {
		args := append(append([]string{}, c...), common...)
		want := helmCLI(t, args...)
		cmd := exec.Command(lade, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("lade %v: %v\n%s", c, err, stderr.String())
		}
		if c[0] == "install" || c[0] == "upgrade" {
			got, want = deployedLine.ReplaceAll(got, nil), deployedLine.ReplaceAllString(want, "")
			// The one deliberate difference: lade does not say "Happy Helming!".
			want = strings.Replace(want, " Happy Helming!\n", "\n", 1)
		}
		if string(got) != want {
			t.Errorf("lade %v prints\n%s\nhelm prints\n%s", c, got, want)
		}
	}
}
