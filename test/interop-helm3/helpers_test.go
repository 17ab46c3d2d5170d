package interop

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	helmkube "helm.sh/helm/v3/pkg/kube"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/lade-dev/lade/internal/testenv"
	ladekube "github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

func TestMain(m *testing.M) {
	// Helm 3's field manager is its program name: "helm" for the CLI, the
	// test binary's name here unless set.
	helmkube.ManagedFieldsManager = ladekube.HelmFieldManager
	testenv.Main(m)
}

const (
	appChart      = "../../testdata/charts/release/app"
	apiv1Chart    = "../../testdata/charts/golden/apiv1"
	takeoverChart = "../../testdata/charts/takeover"
)

// setup returns Helm 3's action configuration and lade's for a new namespace.
func setup(t *testing.T) (*action.Configuration, *release.Config, string) {
	t.Helper()
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc, err := ladekube.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	return helmConfig(t, ns), &release.Config{Kube: kc, Namespace: ns}, ns
}

// helmConfig is Helm 3's action configuration for namespace ns (Secret
// storage). A client-only install replaces its storage with memory: give
// such an install one of its own.
func helmConfig(t *testing.T, ns string) *action.Configuration {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(false)
	kcp := testenv.Shared(t).KubeconfigPath
	flags.KubeConfig = &kcp
	flags.Namespace = &ns
	hcfg := new(action.Configuration)
	if err := hcfg.Init(flags, ns, "secret", t.Logf); err != nil {
		t.Fatal(err)
	}
	return hcfg
}

// helmInstall installs dir as release name with Helm 3's code, with the
// record labels (--labels) labels.
func helmInstall(t *testing.T, hcfg *action.Configuration, ns, name, dir string, vals map[string]any, labels ...string) {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(hcfg)
	in.ReleaseName, in.Namespace, in.Timeout = name, ns, 30*time.Second
	if len(labels) > 0 {
		in.Labels = map[string]string{}
		for i := 0; i+1 < len(labels); i += 2 {
			in.Labels[labels[i]] = labels[i+1]
		}
	}
	if _, err := in.Run(ch, vals); err != nil {
		t.Fatalf("helm3 install %s: %v", name, err)
	}
}

// helmUpgrade upgrades release name to dir with Helm 3's code.
func helmUpgrade(t *testing.T, hcfg *action.Configuration, ns, name, dir string, vals map[string]any) {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	up := action.NewUpgrade(hcfg)
	up.Namespace, up.Timeout = ns, 30*time.Second
	if _, err := up.Run(name, ch, vals); err != nil {
		t.Fatalf("helm3 upgrade %s: %v", name, err)
	}
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
	buildOut  []byte
)

// ladeBinary is lade built from this tree (once per test binary): a
// bin/lade left by `make build` may predate the code under test.
func ladeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lade-interop-helm3-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "lade")
		buildOut, buildErr = exec.Command("go", "build", "-o", buildPath, "github.com/lade-dev/lade/cmd/lade").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("build lade: %v\n%s", buildErr, buildOut)
	}
	return buildPath
}

// lade runs lade's binary against the test cluster in namespace ns and
// returns its standard output; a non-zero exit fails the test unless
// failOK, and then the error comes back with stderr in it.
func lade(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := ladeRun(t, ns, args...)
	if err != nil {
		t.Fatalf("lade %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func ladeRun(t *testing.T, ns string, args ...string) (string, error) {
	t.Helper()
	env := testenv.Shared(t)
	full := append(append([]string{}, args...), "--kubeconfig", env.KubeconfigPath, "-n", ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, ladeBinary(t), full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &runError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type runError struct {
	err    error
	stderr string
}

func (e *runError) Error() string { return e.err.Error() + ": " + e.stderr }
