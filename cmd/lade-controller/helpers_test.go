package main

import (
	"bufio"

	"context"
	"fmt"
	"github.com/go-logr/logr"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/controller"
)

func TestMain(m *testing.M) {
	log.SetLogger(logr.Discard())
	// kwok nodes hold 110 pods each: the benchmark's releases have one.
	n, _ := strconv.Atoi(os.Getenv("LADE_BENCH_RELEASES"))
	testenv.Main(m, testenv.WithNodes(1+n/100))
}

// bins are lade and lade-controller, built once per test binary.
var bins struct {
	once       sync.Once
	dir        string
	err        error
	lade, ctrl string
}

func buildBins(t *testing.T) (lade, ctrl string) {
	t.Helper()
	bins.once.Do(func() {
		// TestMain cannot clean up after testenv.Main (it exits): the
		// binaries go to a directory named after this process, and those
		// of processes that are gone are removed here.
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), "lade-controller-test-*"))
		for _, d := range old {
			pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "lade-controller-test-"))
			if err != nil || syscall.Kill(pid, 0) == syscall.ESRCH {
				os.RemoveAll(d)
			}
		}
		bins.dir = filepath.Join(os.TempDir(), fmt.Sprintf("lade-controller-test-%d", os.Getpid()))
		if bins.err = os.MkdirAll(bins.dir, 0o755); bins.err != nil {
			return
		}
		bins.lade, bins.ctrl = filepath.Join(bins.dir, "lade"), filepath.Join(bins.dir, "lade-controller")
		for pkg, out := range map[string]string{"../lade": bins.lade, ".": bins.ctrl} {
			if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
				bins.err = fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
				return
			}
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return bins.lade, bins.ctrl
}

// kclient is an admin client of the test cluster knowing Release objects.
func kclient(t *testing.T) client.Client {
	t.Helper()
	s, err := controller.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(testenv.Shared(t).Config(), client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// lade runs the lade CLI as the cluster admin.
func lade(t *testing.T, args ...string) string {
	t.Helper()
	bin, _ := buildBins(t)
	env := testenv.Shared(t)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.KubeconfigPath, "HOME="+t.TempDir(), "LADE_CACHE_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("lade %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// charts pushes the test charts to a registry and returns oci://HOST/charts.
var charts struct {
	once sync.Once
	reg  *testenv.Registry
	ref  string
}

func pushCharts(t *testing.T) string {
	t.Helper()
	charts.once.Do(func() {
		reg, err := testenv.StartRegistry(testenv.RegistryConfig{})
		if err != nil {
			t.Fatalf("registry: %v", err)
		}
		charts.reg = reg
		dir := t.TempDir()
		for _, c := range []struct{ dir, version string }{{"testdata/app", "0.1.0"}, {"testdata/app", "0.2.0"}, {"testdata/clusterwide", "0.1.0"}, {"testdata/bench", "0.1.0"}} {
			lade(t, "package", c.dir, "--version", c.version, "-d", dir)
			name := filepath.Base(c.dir)
			lade(t, "push", filepath.Join(dir, name+"-"+c.version+".tgz"), "oci://"+reg.Host+"/charts", "--plain-http")
		}
		charts.ref = "oci://" + reg.Host + "/charts"
	})
	if charts.ref == "" {
		t.Fatal("charts were not pushed (see the first test's failure)")
	}
	return charts.ref
}

// ctl is a lade-controller process started by a test.
type ctl struct {
	cmd     *exec.Cmd
	metrics string // http://127.0.0.1:PORT/metrics
	probes  string // http://127.0.0.1:PORT
	log     string
	done    chan struct{}
}

// installController installs deploy/chart as release name in namespace ns
// (no replicas: kwok runs no containers) and returns a kubeconfig holding
// a token of its ServiceAccount, from the TokenRequest API.
func installController(t *testing.T, ns, name string, set ...string) string {
	t.Helper()
	args := []string{"install", name, "../../deploy/chart", "-n", ns, "--set", "replicaCount=0", "--wait"}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	lade(t, args...)
	t.Cleanup(func() {
		// Cluster-scoped objects outlive the namespace.
		bin, _ := buildBins(t)
		cmd := exec.Command(bin, "uninstall", name, "-n", ns)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+testenv.Shared(t).KubeconfigPath)
		_ = cmd.Run()
	})
	env := testenv.Shared(t)
	exp := int64(3600)
	tok, err := env.Clientset().CoreV1().ServiceAccounts(ns).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &exp}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token of ServiceAccount %s/%s: %v", ns, name, err)
	}
	admin, err := clientcmd.LoadFromFile(env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	var ca []byte
	for _, c := range admin.Clusters {
		ca = c.CertificateAuthorityData
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: env.Server, CertificateAuthorityData: ca}
	kc.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: tok.Status.Token}
	kc.Contexts["sa"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "sa", Namespace: ns}
	kc.CurrentContext = "sa"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startController runs bin/lade-controller with kubeconfig, leader
// election in ns, fast leases, and args; it is killed at cleanup.
func startController(t *testing.T, kubeconfig, ns string, args ...string) *ctl {
	t.Helper()
	_, bin := buildBins(t)
	mp, pp := freePort(t), freePort(t)
	all := append([]string{
		"--kubeconfig", kubeconfig, "--leader-election-namespace", ns,
		"--metrics-bind-address", "127.0.0.1:" + strconv.Itoa(mp),
		"--health-probe-bind-address", "127.0.0.1:" + strconv.Itoa(pp),
		"--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms",
		"--retry-base", "500ms", "--retry-max", "5s",
		"--plain-http", "--cache-dir", t.TempDir(), "--zap-log-level", "debug",
	}, args...)
	cmd := exec.Command(bin, all...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	logPath := filepath.Join(t.TempDir(), "controller.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &ctl{cmd: cmd, metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", mp), probes: fmt.Sprintf("http://127.0.0.1:%d", pp), log: logPath, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); f.Close(); close(c.done) }()
	t.Cleanup(func() {
		c.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("controller pid %d log (last 6000 bytes):\n%s", cmd.Process.Pid, tail(string(b), 6000))
		}
	})
	eventually(t, 60*time.Second, "controller /readyz", func() (bool, string) {
		code, body := httpGet(c.probes + "/readyz")
		return code == 200, fmt.Sprintf("%d %s", code, body)
	})
	return c
}

func (c *ctl) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func httpGet(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric returns the value of the sample of name whose labels contain all of labels.
func (c *ctl) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	code, body := httpGet(c.metrics)
	if code != 200 {
		t.Fatalf("GET %s: %d %s", c.metrics, code, body)
	}
	sum := 0.0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, _ := strconv.ParseFloat(f[len(f)-1], 64)
		sum += v
	}
	return sum
}

// eventually polls cond every 250ms until it holds, failing after timeout
// with the last detail cond gave.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	detail := ""
	for {
		var ok bool
		ok, detail = cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %s", timeout, what, detail)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// testLabel marks the Releases of one test, so that only its controller sees them.
const testLabel = "lade-test"

func newRelease(ns, name, id, chartRef, version string, values string) *v1alpha1.Release {
	r := &v1alpha1.Release{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{testLabel: id}},
		Spec: v1alpha1.ReleaseSpec{
			Chart:    v1alpha1.ChartRef{Ref: chartRef, Version: version},
			Interval: &metav1.Duration{Duration: 2 * time.Second},
		},
	}
	if values != "" {
		r.Spec.Values = jsonValues(values)
	}
	return r
}

func getRelease(t *testing.T, c client.Client, ns, name string) *v1alpha1.Release {
	t.Helper()
	r := &v1alpha1.Release{}
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, r); err != nil {
		t.Fatalf("get release %s/%s: %v", ns, name, err)
	}
	return r
}

// update applies change to the Release, retrying on conflicts.
func update(t *testing.T, c client.Client, ns, name string, change func(*v1alpha1.Release)) {
	t.Helper()
	for i := 0; ; i++ {
		r := getRelease(t, c, ns, name)
		change(r)
		err := c.Update(context.Background(), r)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) || i > 20 {
			t.Fatalf("update release %s/%s: %v", ns, name, err)
		}
	}
}

// waitReady waits until the Release is Ready for its current generation.
func waitReady(t *testing.T, c client.Client, ns, name string, timeout time.Duration) *v1alpha1.Release {
	t.Helper()
	var r *v1alpha1.Release
	eventually(t, timeout, "release "+name+" Ready", func() (bool, string) {
		r = getRelease(t, c, ns, name)
		cond := meta.FindStatusCondition(r.Status.Conditions, "Ready")
		return r.Status.ObservedGeneration == r.Generation && cond != nil && cond.Status == metav1.ConditionTrue &&
			cond.ObservedGeneration == r.Generation, conditions(r)
	})
	return r
}

func conditions(r *v1alpha1.Release) string {
	var b strings.Builder
	fmt.Fprintf(&b, "generation %d observed %d", r.Generation, r.Status.ObservedGeneration)
	for _, c := range r.Status.Conditions {
		fmt.Fprintf(&b, "; %s=%s %s: %s", c.Type, c.Status, c.Reason, c.Message)
	}
	return b.String()
}

// revisions lists the release's record Secrets: revision -> status label.
func revisions(t *testing.T, ns, name string) map[int]string {
	t.Helper()
	cs := testenv.Shared(t).Clientset()
	l, err := cs.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, s := range l.Items {
		v, _ := strconv.Atoi(s.Labels["version"])
		out[v] = s.Labels["status"]
	}
	return out
}

func configMap(t *testing.T, ns, name string) *corev1.ConfigMap {
	t.Helper()
	cm, err := testenv.Shared(t).Clientset().CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

// events lists the reasons of the Events about a Release.
func events(t *testing.T, ns, name string) []string {
	t.Helper()
	cs := testenv.Shared(t).Clientset()
	l, err := cs.EventsV1().Events(ns).List(context.Background(), metav1.ListOptions{FieldSelector: "regarding.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range l.Items {
		out = append(out, e.Reason)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
