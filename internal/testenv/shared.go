package testenv

import (
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The control plane shared by the tests of one package (see Main).
var shared struct {
	mu         sync.Mutex
	mainCalled bool
	opts       []Option
	env        *Env
	err        error
}

// SkipRequested reports whether LADE_SKIP_CLUSTER_TESTS=1 is set.
func SkipRequested() bool { return os.Getenv(EnvSkip) == "1" }

// Main is the TestMain of a package with cluster tests:
//
//	func TestMain(m *testing.M) { testenv.Main(m, testenv.WithWorkloads()) }
//
// The control plane is started with opts on the first Shared / NewNamespace
// call (tests filtered out by -run cost nothing) and stopped after all tests ran.
// If tests failed, its logs are kept and their location printed. Main exits.
// With LADE_SKIP_CLUSTER_TESTS=1 the package's examples are skipped too
// (-test.skip): an example cannot skip itself (see SharedForExample).
func Main(m *testing.M, opts ...Option) {
	flag.Parse()
	if SkipRequested() {
		skip := "^Example"
		if f := flag.Lookup("test.skip"); f != nil && f.Value.String() != "" {
			skip = f.Value.String() + "|" + skip
		}
		_ = flag.Set("test.skip", skip)
	}
	shared.mu.Lock()
	shared.mainCalled = true
	shared.opts = opts
	shared.mu.Unlock()

	code := m.Run()

	shared.mu.Lock()
	env := shared.env
	shared.env = nil
	shared.mu.Unlock()
	if env != nil {
		if code != 0 {
			env.KeepDir()
			fmt.Fprintf(os.Stderr, "testenv: tests failed; control-plane logs kept in %s/logs\n", env.Dir)
		}
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testenv: stop: %v\n", err)
		}
	}
	os.Exit(code)
}

// Shared returns the package's control plane, starting it on first use. It fails
// the test when the environment cannot start (for instance because the binaries
// are not built: the message says how to build them), and skips it only when
// LADE_SKIP_CLUSTER_TESTS=1. The package's TestMain must call Main.
func Shared(t testing.TB) *Env {
	t.Helper()
	if SkipRequested() {
		t.Skipf("cluster test skipped: %s=1", EnvSkip)
	}
	env, started, err := sharedEnv()
	if err != nil {
		t.Fatal(err)
	}
	if started {
		t.Logf("testenv: control plane (kubernetes %s) up in %s at %s, state in %s",
			KubernetesVersion, env.StartupTime.Round(100*time.Millisecond), env.Server, env.Dir)
	}
	return env
}

// SharedForExample is Shared for a package's examples, which have no
// testing.TB: the package's control plane, started on first use. Main skips
// the examples when LADE_SKIP_CLUSTER_TESTS=1.
func SharedForExample() (*Env, error) {
	env, _, err := sharedEnv()
	return env, err
}

// sharedEnv returns the package's control plane, starting it (started) if
// this is the first call.
func sharedEnv() (env *Env, started bool, err error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.mainCalled {
		return nil, false, fmt.Errorf("testenv.Shared needs the package's TestMain to call testenv.Main(m, ...) so the control plane is stopped after the tests")
	}
	if shared.env == nil && shared.err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		shared.env, shared.err = Start(ctx, shared.opts...)
		started = shared.env != nil
	}
	if shared.err != nil {
		return nil, false, fmt.Errorf("testenv: cannot start the control plane: %w", shared.err)
	}
	return shared.env, started, nil
}

// NewNamespace creates a namespace for this test in the package's control plane
// and deletes it when the test ends. See Env.NewNamespace.
func NewNamespace(t testing.TB) string {
	t.Helper()
	return Shared(t).NewNamespace(t)
}

// StartT starts a control plane private to this test (or benchmark) and stops it
// at cleanup. Prefer Main + Shared: one control plane per package is much cheaper.
func StartT(t testing.TB, opts ...Option) *Env {
	t.Helper()
	if SkipRequested() {
		t.Skipf("cluster test skipped: %s=1", EnvSkip)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := Start(ctx, opts...)
	if err != nil {
		t.Fatalf("testenv: cannot start the control plane: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			env.KeepDir()
			t.Logf("testenv: control-plane logs kept in %s/logs", env.Dir)
		}
		if err := env.Stop(); err != nil {
			t.Errorf("testenv: stop: %v", err)
		}
	})
	return env
}

var nsUnsafe = regexp.MustCompile(`[^a-z0-9-]+`)

// NewNamespace creates a namespace named after the test (plus a random suffix)
// and deletes it at cleanup without waiting. With the controllers running it
// waits until the namespace's "default" ServiceAccount exists, so pods can be
// created right away.
func (e *Env) NewNamespace(t testing.TB) string {
	t.Helper()
	prefix := nsUnsafe.ReplaceAllString(strings.ToLower(t.Name()), "-")
	prefix = strings.Trim(prefix, "-")
	if len(prefix) > 40 {
		prefix = strings.Trim(prefix[:40], "-")
	}
	if prefix == "" {
		prefix = "test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs := e.Clientset()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-", Labels: map[string]string{"testenv.lade.dev/test": "true"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("testenv: create namespace: %v", err)
	}
	name := ns.Name
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := cs.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("testenv: delete namespace %s: %v", name, err)
		}
	})
	if e.opts.controllers {
		err := waitFor(ctx, nil, "ServiceAccount "+name+"/default", func(ctx context.Context) (bool, error) {
			_, err := cs.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
			return err == nil, nil
		})
		if err != nil {
			t.Fatalf("%v", err)
		}
	}
	return name
}
