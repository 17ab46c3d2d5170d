package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/lade-dev/lade/internal/testenv"
)

// complete runs cobra's hidden __complete command as the shell scripts do
// and returns the completions (value and description) and the directive.
func complete(t *testing.T, args ...string) (comps []string, directive string) {
	t.Helper()
	r := lade(t, "", append([]string{"__complete"}, args...)...)
	if r.code != 0 {
		t.Fatalf("__complete %q: exit %d\n%s", args, r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, ":") {
		t.Fatalf("__complete %q: no directive line in %q", args, r.stdout)
	}
	return lines[:len(lines)-1], last
}

// names drops the descriptions of completions.
func names(comps []string) []string {
	out := make([]string, len(comps))
	for i, c := range comps {
		out[i], _, _ = strings.Cut(c, "\t")
	}
	return out
}

const (
	dirNoFile      = ":4"  // ShellCompDirectiveNoFileComp
	dirNoFileOrder = ":36" // NoFileComp | KeepOrder
	dirError       = ":1"  // ShellCompDirectiveError
	dirDefault     = ":0"  // the shell's file completion
)

// Completion against the test cluster: release names by prefix (with their
// chart and status), revisions of the release named before, namespaces,
// and the names already given left out.
func TestCompletionFromCluster(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	cleanEnv(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	chartDir := "../../testdata/charts/release/app"
	for _, name := range []string{"web", "worker", "db"} {
		mustLade(t, append([]string{"install", name, chartDir}, kc...)...)
	}
	mustLade(t, append([]string{"upgrade", "web", chartDir, "--set", "data=second"}, kc...)...)

	for _, c := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"status", "w"}, []string{"web\tapp-0.1.0 -> deployed", "worker\tapp-0.1.0 -> deployed"}, dirNoFile},
		{[]string{"history", ""}, []string{"db\tapp-0.1.0 -> deployed", "web\tapp-0.1.0 -> deployed", "worker\tapp-0.1.0 -> deployed"}, dirNoFile},
		{[]string{"get", "values", "d"}, []string{"db\tapp-0.1.0 -> deployed"}, dirNoFile},
		{[]string{"upgrade", "x"}, nil, dirNoFile},
		{[]string{"uninstall", "web", ""}, []string{"db\tapp-0.1.0 -> deployed", "worker\tapp-0.1.0 -> deployed"}, dirNoFile},
		{[]string{"rollback", "web", ""}, []string{"1\tApp: 1.0, Chart: app-0.1.0", "2\tApp: 1.0, Chart: app-0.1.0"}, dirNoFileOrder},
		{[]string{"rollback", "web", "2"}, []string{"2\tApp: 1.0, Chart: app-0.1.0"}, dirNoFileOrder},
		{[]string{"rollback", "web", "1", ""}, nil, dirNoFile},
		{[]string{"diff", "revision", "web", "1", ""}, []string{"1\tApp: 1.0, Chart: app-0.1.0", "2\tApp: 1.0, Chart: app-0.1.0"}, dirNoFileOrder},
		{[]string{"get", "manifest", "web", "--revision", ""}, []string{"1\tApp: 1.0, Chart: app-0.1.0", "2\tApp: 1.0, Chart: app-0.1.0"}, dirNoFileOrder},
		{[]string{"status", "web", "--revision", "1"}, []string{"1\tApp: 1.0, Chart: app-0.1.0"}, dirNoFileOrder},
		{[]string{"status", "web", ""}, nil, dirNoFile},
		{[]string{"upgrade", "web", ""}, nil, dirDefault}, // the chart: files
	} {
		// The cluster flags go right after the command's name, before
		// its arguments and any flag whose value is being completed.
		words := 1
		if c.args[0] == "get" || c.args[0] == "diff" {
			words = 2
		}
		args := append(append(slices.Clone(c.args[:words]), kc...), c.args[words:]...)
		got, dir := complete(t, args...)
		if !slices.Equal(got, c.want) || dir != c.directive {
			t.Errorf("lade %s<TAB>: %q %s, want %q %s", strings.Join(c.args, " "), got, dir, c.want, c.directive)
		}
	}

	// A record Helm wrote carries no summary annotations: its status
	// describes it (the record itself is not read).
	sec, err := env.Clientset().CoreV1().Secrets(ns).Get(context.Background(), "sh.helm.release.v1.db.v1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sec.Annotations = nil
	if _, err := env.Clientset().CoreV1().Secrets(ns).Update(context.Background(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := complete(t, append(append([]string{"status"}, kc...), "d")...); !slices.Equal(got, []string{"db\tdeployed"}) {
		t.Errorf("release written by Helm: %q", got)
	}
	if got, _ := complete(t, append(append([]string{"rollback"}, kc...), "db", "")...); !slices.Equal(got, []string{"1\tdeployed"}) {
		t.Errorf("revision written by Helm: %q", got)
	}

	// Release names come from the namespace the command line names.
	if got, _ := complete(t, "status", "--kubeconfig", env.KubeconfigPath, "-n", "default", "w"); len(got) != 0 {
		t.Errorf("releases of namespace default: %q", got)
	}
	// Namespaces, by prefix.
	got, dir := complete(t, "list", "--kubeconfig", env.KubeconfigPath, "-n", "")
	if !slices.Contains(got, ns) || !slices.Contains(got, "kube-system") || dir != dirNoFile {
		t.Errorf("-n<TAB>: %q %s", got, dir)
	}
	if got, _ = complete(t, "list", "--kubeconfig", env.KubeconfigPath, "-n", "kube-sy"); !slices.Equal(got, []string{"kube-system"}) {
		t.Errorf("-n kube-sy<TAB>: %q", got)
	}
}

// Contexts come from the kubeconfig named by --kubeconfig (or KUBECONFIG),
// without a cluster; a cluster that is not there completes nothing, at
// once, and never fails the shell.
func TestCompletionWithoutCluster(t *testing.T) {
	home := cleanEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "https://" + l.Addr().String()
	l.Close() // nothing listens there any more
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["prod-cluster"] = &clientcmdapi.Cluster{Server: dead}
	cfg.Clusters["dev-cluster"] = &clientcmdapi.Cluster{Server: dead}
	cfg.AuthInfos["me"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["prod"] = &clientcmdapi.Context{Cluster: "prod-cluster", AuthInfo: "me"}
	cfg.Contexts["dev"] = &clientcmdapi.Context{Cluster: "dev-cluster", AuthInfo: "me"}
	cfg.Contexts["prod-eu"] = &clientcmdapi.Context{Cluster: "prod-cluster", AuthInfo: "me"}
	cfg.CurrentContext = "prod"
	kubeconfig := filepath.Join(home, "config")
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		t.Fatal(err)
	}

	got, dir := complete(t, "status", "--kubeconfig", kubeconfig, "--kube-context", "")
	if want := []string{"dev\tdev-cluster", "prod\tprod-cluster", "prod-eu\tprod-cluster"}; !slices.Equal(got, want) || dir != dirNoFile {
		t.Errorf("--kube-context<TAB>: %q %s, want %q", got, dir, want)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	if got, _ = complete(t, "diff", "drift", "--kube-context", "prod"); !slices.Equal(names(got), []string{"prod", "prod-eu"}) {
		t.Errorf("--kube-context prod<TAB> from KUBECONFIG: %q", got)
	}

	for _, args := range [][]string{
		{"status", ""},
		{"rollback", "web", ""},
		{"get", "values", "web", "--revision", ""},
		{"list", "-n", ""},
	} {
		start := time.Now()
		got, dir := complete(t, args...)
		if len(got) != 0 || dir != dirError {
			t.Errorf("%q against a missing cluster: %q %s", args, got, dir)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q against a missing cluster took %v", args, d)
		}
	}
	// No kubeconfig at all.
	t.Setenv("KUBECONFIG", filepath.Join(home, "missing"))
	if got, dir := complete(t, "status", ""); len(got) != 0 || dir != dirError {
		t.Errorf("without a kubeconfig: %q %s", got, dir)
	}
}

// --version of an oci:// chart completes to the repository's versions,
// highest first, through the command's registry flags.
func TestCompletionChartVersions(t *testing.T) {
	isolate(t)
	reg := testenv.NewRegistry(t)
	work := t.TempDir()
	for _, v := range []string{"1.0.0", "1.2.3", "2.0.0-rc.1"} {
		mustLade(t, "package", registryFixture, "--version", v, "-d", work)
		mustLade(t, "push", filepath.Join(work, "webapp-"+v+".tgz"), "oci://"+reg.Host+"/charts", "--plain-http")
	}
	ref := "oci://" + reg.Host + "/charts/webapp"
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"pull", ref, "--plain-http", "--version", ""}, []string{"2.0.0-rc.1", "1.2.3", "1.0.0"}},
		{[]string{"install", "web", ref, "--plain-http", "--version", "1."}, []string{"1.2.3", "1.0.0"}},
		{[]string{"template", ref, "--plain-http", "--version", "2"}, []string{"2.0.0-rc.1"}},
		{[]string{"show", "values", ref, "--plain-http", "--version", ""}, []string{"2.0.0-rc.1", "1.2.3", "1.0.0"}},
		{[]string{"diff", "upgrade", "web", ref, "--plain-http", "--version", "1.0"}, []string{"1.0.0"}},
		{[]string{"install", "web", "./local", "--version", ""}, nil},
	} {
		got, dir := complete(t, c.args...)
		if !slices.Equal(got, c.want) {
			t.Errorf("lade %s<TAB>: %q %s, want %q", strings.Join(c.args, " "), got, dir, c.want)
		}
	}
	// Without --plain-http the registry cannot be reached over HTTPS: nothing.
	if got, dir := complete(t, "pull", ref, "--version", ""); len(got) != 0 || dir != dirError {
		t.Errorf("registry error: %q %s", got, dir)
	}
}

// Every command the completion tables name exists: a renamed command
// would otherwise silently lose its completion.
func TestCompletionTablesNameCommands(t *testing.T) {
	root := newRootCmd()
	paths := slices.Clone(chartCommands)
	for p := range positionals {
		paths = append(paths, p)
	}
	for _, p := range paths {
		cmd, rest, err := root.Find(strings.Fields(p))
		if err != nil || len(rest) != 0 || cmd == root {
			t.Errorf("completion table names %q, which is not a command", p)
		}
	}
	for _, p := range chartCommands {
		cmd, _, _ := root.Find(strings.Fields(p))
		if _, ok := cmd.GetFlagCompletionFunc("version"); !ok {
			t.Errorf("lade %s --version has no completion", p)
		}
	}
}

// The scripts: bash's parses (bash -n), each shell's names lade's
// completion function, and --no-descriptions asks for none.
func TestCompletionScripts(t *testing.T) {
	for _, c := range []struct{ shell, want string }{
		{"bash", "__start_lade"},
		{"zsh", "compdef _lade lade"},
		{"fish", "complete -c lade"},
		{"powershell", "Register-ArgumentCompleter"},
	} {
		r := mustLade(t, "completion", c.shell)
		if !strings.Contains(r.stdout, c.want) {
			t.Errorf("completion %s lacks %q", c.shell, c.want)
		}
		nd := mustLade(t, "completion", c.shell, "--no-descriptions")
		if nd.stdout == r.stdout {
			t.Errorf("completion %s --no-descriptions is the same script", c.shell)
		}
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for _, args := range [][]string{{"completion", "bash"}, {"completion", "bash", "--no-descriptions"}} {
		script := filepath.Join(t.TempDir(), "lade.bash")
		if err := os.WriteFile(script, []byte(mustLade(t, args...).stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bash, "-n", script).CombinedOutput(); err != nil {
			t.Errorf("bash -n of %q: %v\n%s", args, err, out)
		}
		// Sourced, it registers the completion of lade.
		out, err := exec.Command(bash, "-c", "source "+script+" && complete -p lade").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "__start_lade") {
			t.Errorf("sourcing %q: %v\n%s", args, err, out)
		}
	}
}
