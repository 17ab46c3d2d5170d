package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "embed"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// KubernetesVersion is the version of the control-plane binaries (hack/tools/go.mod).
	KubernetesVersion = "v1.37.2"

	// EnvBinDir overrides where the binaries are looked up.
	EnvBinDir = "LADE_K8S_BIN"
	// EnvSkip, set to 1, makes cluster tests skip instead of failing when the
	// binaries are missing. Never set it in CI.
	EnvSkip = "LADE_SKIP_CLUSTER_TESTS"
	// EnvKeep, set to 1, keeps the state directory (logs, data) of test environments.
	EnvKeep = "LADE_TESTENV_KEEP"

	// ServiceCIDR is the (never dialed) service range; PodCIDR the fake pod IPs kwok hands out.
	ServiceCIDR = "10.96.0.0/16"
	PodCIDR     = "10.244.0.0/16"

	// BuildCommand is how to build missing binaries, from the repository root.
	BuildCommand = "make k8s-bins"
)

// Component binary names.
const (
	Etcd                  = "etcd"
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	Kwok                  = "kwok"
)

//go:embed kwok-stages.yaml
var kwokStages []byte

// Option configures Start.
type Option func(*options)

type options struct {
	controllers   bool
	kwok          bool
	nodes         int
	timeout       time.Duration
	dir           string
	detached      bool
	binDir        string
	apiserverArgs []string
	logf          func(format string, args ...any)
}

// WithControllers also runs kube-controller-manager and kube-scheduler (garbage
// collection, namespace deletion, ReplicaSets, Jobs, ServiceAccounts ...).
func WithControllers() Option { return func(o *options) { o.controllers = true } }

// WithWorkloads runs the controllers plus kwok with one fake node, so pods get
// scheduled and become Running/Ready (or fail as their Fail* label asks).
func WithWorkloads() Option {
	return func(o *options) {
		o.controllers, o.kwok = true, true
		if o.nodes == 0 {
			o.nodes = 1
		}
	}
}

// WithNodes sets the number of fake kwok nodes (110 pods each); implies WithWorkloads.
func WithNodes(n int) Option {
	return func(o *options) {
		WithWorkloads()(o)
		o.nodes = max(n, 1)
	}
}

// WithTimeout bounds each start-up step (default 90s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithDir keeps the environment's state (pki, data, logs, kubeconfig) in dir
// instead of a temporary directory; it is not removed by Stop.
func WithDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithDetached starts the processes in their own session so that they outlive
// the calling process (used by `make cluster-up`; stop them with StopDir).
func WithDetached() Option { return func(o *options) { o.detached = true } }

// WithBinDir sets the directory holding the binaries (default: see FindBinDir).
func WithBinDir(dir string) Option { return func(o *options) { o.binDir = dir } }

// WithAPIServerArgs appends flags to kube-apiserver's command line.
func WithAPIServerArgs(args ...string) Option {
	return func(o *options) { o.apiserverArgs = append(o.apiserverArgs, args...) }
}

// WithLogf reports start-up progress through logf.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *options) { o.logf = logf }
}

// Env is a running control plane.
type Env struct {
	// Dir holds pki/, logs/, data/ and the kubeconfig.
	Dir string
	// KubeconfigPath is a cluster-admin kubeconfig (client certificate, group system:masters).
	KubeconfigPath string
	// Server is the apiserver URL, https://127.0.0.1:<port>.
	Server string
	// CAPEM is the cluster CA certificate.
	CAPEM []byte
	// BinDir is where the binaries came from.
	BinDir string
	// Nodes are the fake kwok nodes' names.
	Nodes []string
	// StartupTime is how long Start took.
	StartupTime time.Duration

	opts      options
	cfg       *rest.Config
	clientset *kubernetes.Clientset
	procs     []*process
	tempDir   bool
	stopOnce  sync.Once
	stopErr   error
}

// Config returns a copy of the cluster-admin client configuration.
func (e *Env) Config() *rest.Config { return rest.CopyConfig(e.cfg) }

// Clientset returns a cluster-admin clientset.
func (e *Env) Clientset() kubernetes.Interface { return e.clientset }

// HasWorkloads reports whether pods can run (controllers, scheduler and kwok nodes).
func (e *Env) HasWorkloads() bool { return e.opts.kwok }

// PIDs maps each running component to its process ID.
func (e *Env) PIDs() map[string]int {
	m := map[string]int{}
	for _, p := range e.procs {
		m[p.Name] = p.pid
	}
	return m
}

// LogFile is the log of a component (Etcd, KubeAPIServer, ...).
func (e *Env) LogFile(component string) string {
	return filepath.Join(e.Dir, "logs", component+".log")
}

// ErrBinariesMissing is returned (wrapped) by Start when binaries are not built.
var ErrBinariesMissing = errors.New("kubernetes test binaries missing")

// FindBinDir locates the binaries: $LADE_K8S_BIN, else bin/k8s/<KubernetesVersion>
// under the repository root found by walking up from the working directory (a
// test runs in its package directory) to lade's go.mod.
func FindBinDir() (string, error) {
	if d := os.Getenv(EnvBinDir); d != "" {
		return filepath.Abs(d)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin", "k8s", KubernetesVersion), nil
}

// RepoRoot walks up from the working directory to the directory holding lade's go.mod.
func RepoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.Contains(string(data), "module github.com/lade-dev/lade\n") {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("testenv: no lade go.mod above %s; set %s to the binary directory", wd, EnvBinDir)
		}
	}
}

func checkBinaries(dir string, names []string) error {
	var missing []string
	for _, n := range names {
		if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s not found in %s.\n"+
		"Build them from the repository root with:\n\n    %s\n\n"+
		"(a cold build takes 15-25 minutes on 2 cores, later ones about a minute), "+
		"or point %s at a directory holding them. To skip cluster tests locally, set %s=1",
		ErrBinariesMissing, strings.Join(missing, ", "), dir, BuildCommand, EnvBinDir, EnvSkip)
}

// ports of one control plane.
type ports struct {
	Etcd, EtcdPeer, APIServer, KCM, Scheduler int
}

// freePort picks a port below the ephemeral range (so it cannot be taken by an
// outgoing connection) that is free on 127.0.0.1 right now.
func freePort(taken map[int]bool) (int, error) {
	for range 1000 {
		p := 20000 + rand.IntN(12000)
		if taken[p] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue
		}
		l.Close()
		taken[p] = true
		return p, nil
	}
	return 0, errors.New("testenv: no free port on 127.0.0.1")
}

func pickPorts() (ports, error) {
	taken := map[int]bool{}
	var ps ports
	for _, p := range []*int{&ps.Etcd, &ps.EtcdPeer, &ps.APIServer, &ps.KCM, &ps.Scheduler} {
		n, err := freePort(taken)
		if err != nil {
			return ps, err
		}
		*p = n
	}
	return ps, nil
}

// Start launches a control plane and waits until it is ready: the apiserver
// answers /readyz, the controllers are healthy and the default ServiceAccount
// exists (WithControllers), the kwok nodes are Ready (WithWorkloads). On error
// everything already started is stopped again.
func Start(ctx context.Context, opts ...Option) (*Env, error) {
	o := options{timeout: 90 * time.Second, logf: func(string, ...any) {}}
	for _, opt := range opts {
		opt(&o)
	}
	if o.kwok && o.nodes == 0 {
		o.nodes = 1
	}
	t0 := time.Now()

	binDir := o.binDir
	if binDir == "" {
		var err error
		if binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	need := []string{Etcd, KubeAPIServer}
	if o.controllers {
		need = append(need, KubeControllerManager, KubeScheduler)
	}
	if o.kwok {
		need = append(need, Kwok)
	}
	if err := checkBinaries(binDir, need); err != nil {
		return nil, err
	}

	e := &Env{BinDir: binDir, opts: o}
	if o.dir != "" {
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(o.dir)
		if err != nil {
			return nil, err
		}
		e.Dir = abs
		// a fresh start: old data and certificates would not match
		for _, sub := range []string{"data", "pki", "run"} {
			if err := os.RemoveAll(filepath.Join(abs, sub)); err != nil {
				return nil, err
			}
		}
	} else {
		removeStaleTempDirs()
		dir, err := os.MkdirTemp("", tempPrefix)
		if err != nil {
			return nil, err
		}
		e.Dir, e.tempDir = dir, true
		if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			return nil, err
		}
	}

	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		err = e.start(ctx)
		if err == nil {
			break
		}
		e.stopProcesses()
		if !isPortClash(err) {
			break
		}
		o.logf("testenv: port taken meanwhile, retrying with new ports (%v)", err)
		_ = os.RemoveAll(filepath.Join(e.Dir, "data"))
	}
	if err != nil {
		e.removeDir()
		return nil, err
	}
	e.StartupTime = time.Since(t0)
	o.logf("testenv: control plane ready at %s in %s", e.Server, e.StartupTime.Round(100*time.Millisecond))
	return e, nil
}

const tempPrefix = "lade-testenv-"

// removeStaleTempDirs deletes state directories of test processes that died
// without cleaning up (panic, timeout, SIGKILL); their children died with them.
func removeStaleTempDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pidAlive(pid, "") {
			continue
		}
		_ = os.RemoveAll(d)
	}
}

func (e *Env) start(ctx context.Context) error {
	o := e.opts
	t0 := time.Now()
	since := func() time.Duration { return time.Since(t0).Round(10 * time.Millisecond) }
	ps, err := pickPorts()
	if err != nil {
		return err
	}
	pki := filepath.Join(e.Dir, "pki")
	run := filepath.Join(e.Dir, "run")
	logs := filepath.Join(e.Dir, "logs")
	data := filepath.Join(e.Dir, "data")
	for _, d := range []string{pki, run, logs, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(pki, 0o700); err != nil {
		return err
	}
	f, err := writePKI(pki)
	if err != nil {
		return fmt.Errorf("testenv: certificates: %w", err)
	}
	e.CAPEM = f.caPEM
	e.Server = "https://127.0.0.1:" + strconv.Itoa(ps.APIServer)
	e.KubeconfigPath = filepath.Join(e.Dir, "kubeconfig")
	if err := writeKubeconfig(e.KubeconfigPath, e.Server, f.caPEM, f.admin, "lade-testenv-admin"); err != nil {
		return err
	}
	e.cfg = &rest.Config{
		Host: e.Server,
		TLSClientConfig: rest.TLSClientConfig{
			CAData: f.caPEM, CertData: f.admin.CertPEM, KeyData: f.admin.KeyPEM,
		},
		QPS: 100, Burst: 200,
		Timeout: 30 * time.Second,
	}
	if e.clientset, err = kubernetes.NewForConfig(e.cfg); err != nil {
		return err
	}

	deadline := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, o.timeout) }
	bin := func(n string) string { return filepath.Join(e.BinDir, n) }
	logFile := func(n string) string { return filepath.Join(logs, n+".log") }

	// etcd
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ps.Etcd)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ps.EtcdPeer)
	etcd := &process{Name: Etcd, Path: bin(Etcd), LogFile: logFile(Etcd), Args: []string{
		"--name=lade-testenv", "--data-dir=" + filepath.Join(data, "etcd"),
		"--listen-client-urls=" + etcdURL, "--advertise-client-urls=" + etcdURL,
		"--listen-peer-urls=" + peerURL, "--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=lade-testenv=" + peerURL, "--initial-cluster-state=new",
		"--unsafe-no-fsync=true", "--log-level=warn",
	}}
	if err := e.launch(etcd); err != nil {
		return err
	}
	wctx, cancel := deadline()
	err = waitFor(wctx, etcd, "etcd /health", func(ctx context.Context) (bool, error) {
		body, code, err := httpGet(ctx, http.DefaultClient, etcdURL+"/health")
		return err == nil && code == 200 && strings.Contains(body, `"health":"true"`), nil
	})
	cancel()
	if err != nil {
		return err
	}
	o.logf("testenv: etcd ready on %s (%s)", etcdURL, since())

	// kube-apiserver
	egress := filepath.Join(run, "egress-selector.yaml")
	if err := os.WriteFile(egress, []byte(egressSelectorConfig(filepath.Join(run, "no-cluster-egress.sock"))), 0o644); err != nil {
		return err
	}
	apiArgs := []string{
		"--etcd-servers=" + etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(ps.APIServer),
		"--cert-dir=" + filepath.Join(run, "apiserver-certs"),
		"--tls-cert-file=" + f.apiserverCert, "--tls-private-key-file=" + f.apiserverKey,
		"--client-ca-file=" + f.caFile,
		"--requestheader-client-ca-file=" + f.frontProxyCAFile, "--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + f.frontProxyClientCert, "--proxy-client-key-file=" + f.frontProxyClientKey,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f.saPub, "--service-account-signing-key-file=" + f.saKey,
		"--service-cluster-ip-range=" + ServiceCIDR,
		"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
		"--allow-privileged=true",
		// Endpoints reject loopback addresses; nothing needs the kubernetes Service endpoints here.
		"--endpoint-reconciler-type=none",
		"--enable-aggregator-routing=true",
		// never dial fake pod/service/node IPs (webhooks, aggregated APIs, proxy, logs, exec)
		"--egress-selector-config-file=" + egress,
		"--profiling=false",
	}
	if !o.controllers {
		// nobody creates the "default" ServiceAccounts without the controller-manager (envtest does the same)
		apiArgs = append(apiArgs, "--disable-admission-plugins=ServiceAccount")
	}
	apiArgs = append(apiArgs, o.apiserverArgs...)
	api := &process{Name: KubeAPIServer, Path: bin(KubeAPIServer), LogFile: logFile(KubeAPIServer), Args: apiArgs}
	if err := e.launch(api); err != nil {
		return err
	}
	wctx, cancel = deadline()
	err = waitFor(wctx, api, "kube-apiserver /readyz", func(ctx context.Context) (bool, error) {
		raw, err := e.clientset.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Raw()
		return err == nil && string(raw) == "ok", nil
	})
	cancel()
	if err != nil {
		return err
	}
	o.logf("testenv: kube-apiserver ready at %s (%s)", e.Server, since())

	if o.controllers {
		kcmKubeconfig := filepath.Join(run, "kube-controller-manager.kubeconfig")
		schedKubeconfig := filepath.Join(run, "kube-scheduler.kubeconfig")
		if err := writeKubeconfig(kcmKubeconfig, e.Server, f.caPEM, f.kcm, "system:kube-controller-manager"); err != nil {
			return err
		}
		if err := writeKubeconfig(schedKubeconfig, e.Server, f.caPEM, f.scheduler, "system:kube-scheduler"); err != nil {
			return err
		}
		kcm := &process{Name: KubeControllerManager, Path: bin(KubeControllerManager), LogFile: logFile(KubeControllerManager), Args: []string{
			"--kubeconfig=" + kcmKubeconfig,
			"--authentication-kubeconfig=" + kcmKubeconfig, "--authorization-kubeconfig=" + kcmKubeconfig,
			"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(ps.KCM),
			"--cert-dir=" + filepath.Join(run, "kcm-certs"),
			"--leader-elect=false", "--use-service-account-credentials=true",
			"--service-account-private-key-file=" + f.saKey, "--root-ca-file=" + f.caFile,
			"--cluster-signing-cert-file=" + f.caFile, "--cluster-signing-key-file=" + f.caKeyFile,
			"--service-cluster-ip-range=" + ServiceCIDR, "--cluster-cidr=" + PodCIDR, "--allocate-node-cidrs=false",
			"--profiling=false",
		}}
		sched := &process{Name: KubeScheduler, Path: bin(KubeScheduler), LogFile: logFile(KubeScheduler), Args: []string{
			"--kubeconfig=" + schedKubeconfig,
			"--authentication-kubeconfig=" + schedKubeconfig, "--authorization-kubeconfig=" + schedKubeconfig,
			"--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(ps.Scheduler),
			"--cert-dir=" + filepath.Join(run, "scheduler-certs"),
			"--leader-elect=false",
		}}
		for _, p := range []*process{kcm, sched} {
			if err := e.launch(p); err != nil {
				return err
			}
		}
		var kw *process
		if o.kwok {
			stages := filepath.Join(run, "kwok.yaml")
			if err := os.WriteFile(stages, kwokStages, 0o644); err != nil {
				return err
			}
			kw = &process{Name: Kwok, Path: bin(Kwok), LogFile: logFile(Kwok), Args: []string{
				"--config=" + stages, "--kubeconfig=" + e.KubeconfigPath,
				"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=" + kwokNodeAnnotation + "=fake",
				"--node-ip=127.0.0.1", "--cidr=" + PodCIDR, "--node-lease-duration-seconds=40",
			}}
			if err := e.launch(kw); err != nil {
				return err
			}
		}
		insecure := insecureLoopbackClient()
		for _, w := range []struct {
			p    *process
			port int
		}{{kcm, ps.KCM}, {sched, ps.Scheduler}} {
			url := "https://127.0.0.1:" + strconv.Itoa(w.port) + "/healthz"
			wctx, cancel = deadline()
			err = waitFor(wctx, w.p, w.p.Name+" /healthz", func(ctx context.Context) (bool, error) {
				body, code, err := httpGet(ctx, insecure, url)
				return err == nil && code == 200 && body == "ok", nil
			})
			cancel()
			if err != nil {
				return err
			}
		}
		// ServiceAccount admission rejects pods until the controller made default/default.
		wctx, cancel = deadline()
		err = waitFor(wctx, kcm, "ServiceAccount default/default", func(ctx context.Context) (bool, error) {
			_, err := e.clientset.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
			return err == nil, nil
		})
		cancel()
		if err != nil {
			return err
		}
		o.logf("testenv: kube-controller-manager and kube-scheduler ready (%s)", since())
		if o.kwok {
			wctx, cancel = deadline()
			err = e.createNodes(wctx, kw, o.nodes)
			cancel()
			if err != nil {
				return err
			}
			o.logf("testenv: kwok nodes ready: %s (%s)", strings.Join(e.Nodes, ", "), since())
		}
	}
	return e.writeState(ps)
}

// launch starts p and records it for Stop.
func (e *Env) launch(p *process) error {
	if err := p.start(e.opts.detached); err != nil {
		return err
	}
	e.procs = append(e.procs, p)
	return nil
}

// waitFor polls cond every 100ms until it returns true, p exits, or ctx ends.
func waitFor(ctx context.Context, p *process, what string, cond func(context.Context) (bool, error)) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := cond(cctx)
		cancel()
		if err != nil {
			return fmt.Errorf("testenv: waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if p != nil {
			if done, _ := p.exited(); done {
				return p.diedError(what)
			}
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("testenv: timed out waiting for %s", what)
			if p != nil {
				msg += fmt.Sprintf("; last lines of %s:\n%s", p.LogFile, p.logTail(20))
			}
			return errors.New(msg)
		case <-tick.C:
		}
	}
}

func httpGet(ctx context.Context, c *http.Client, url string) (string, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return string(b), resp.StatusCode, err
}

const kwokNodeAnnotation = "kwok.x-k8s.io/node"

// createNodes registers n fake nodes managed by kwok and waits until they are Ready.
func (e *Env) createNodes(ctx context.Context, kw *process, n int) error {
	cs := e.clientset
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("32"),
		corev1.ResourceMemory:           resource.MustParse("256Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	e.Nodes = nil
	for i := range n {
		name := fmt.Sprintf("kwok-node-%d", i)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{
				Name:        name,
				Annotations: map[string]string{kwokNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels: map[string]string{
					"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux", "kubernetes.io/hostname": name,
					"type": "kwok", "node-role.kubernetes.io/agent": "",
				},
			},
			Status: corev1.NodeStatus{
				Capacity: capacity, Allocatable: capacity,
				NodeInfo: corev1.NodeSystemInfo{
					Architecture: "amd64", OperatingSystem: "linux",
					KubeletVersion: KubernetesVersion, ContainerRuntimeVersion: "kwok",
					KernelVersion: "kwok", OSImage: "kwok",
				},
			},
		}
		if _, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("testenv: create node %s: %w", name, err)
		}
		e.Nodes = append(e.Nodes, name)
	}
	for _, name := range e.Nodes {
		err := waitFor(ctx, kw, "node "+name+" Ready", func(ctx context.Context) (bool, error) {
			node, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil
			}
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Stop stops every component (process group SIGTERM, then SIGKILL after a short
// grace period) and removes the temporary state directory. It is idempotent.
func (e *Env) Stop() error {
	if e == nil {
		return nil
	}
	e.stopOnce.Do(func() {
		e.stopProcesses()
		e.removeDir()
	})
	return e.stopErr
}

// KeepDir makes Stop leave the state directory (logs) in place, e.g. after a failure.
func (e *Env) KeepDir() { e.tempDir = false }

func (e *Env) removeDir() {
	if e.tempDir && os.Getenv(EnvKeep) != "1" {
		if err := os.RemoveAll(e.Dir); err != nil {
			e.stopErr = err
		}
	}
}

// stopProcesses stops dependents first (concurrently), then the apiserver, then etcd.
func (e *Env) stopProcesses() {
	stopAll(e.procs, 5*time.Second)
	e.procs = nil
}

func stopAll(procs []*process, grace time.Duration) {
	var deps, api, etcd []*process
	for _, p := range procs {
		switch p.Name {
		case Etcd:
			etcd = append(etcd, p)
		case KubeAPIServer:
			api = append(api, p)
		default:
			deps = append(deps, p)
		}
	}
	for _, group := range [][]*process{deps, api, etcd} {
		var wg sync.WaitGroup
		for _, p := range group {
			wg.Go(func() { p.stop(grace) })
		}
		wg.Wait()
	}
}

// state is what a detached environment records in run/state.json for StopDir.
type state struct {
	Server     string         `json:"server"`
	Kubeconfig string         `json:"kubeconfig"`
	BinDir     string         `json:"binDir"`
	PIDs       map[string]int `json:"pids"`
	Ports      ports          `json:"ports"`
	Nodes      []string       `json:"nodes,omitempty"`
}

func (e *Env) writeState(ps ports) error {
	st := state{Server: e.Server, Kubeconfig: e.KubeconfigPath, BinDir: e.BinDir, PIDs: e.PIDs(), Ports: ps, Nodes: e.Nodes}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(e.Dir, "run", "state.json"), append(data, '\n'), 0o644)
}

func readState(dir string) (*state, error) {
	data, err := os.ReadFile(filepath.Join(dir, "run", "state.json"))
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "run", "state.json"), err)
	}
	return &st, nil
}

// Running reports the state of a detached environment in dir: its kubeconfig path
// and whether all its recorded processes are still alive.
func Running(dir string) (kubeconfig string, pids map[string]int, alive bool) {
	st, err := readState(dir)
	if err != nil || len(st.PIDs) == 0 {
		return "", nil, false
	}
	alive = true
	for name, pid := range st.PIDs {
		if !pidAlive(pid, filepath.Join(st.BinDir, name)) {
			alive = false
		}
	}
	return st.Kubeconfig, st.PIDs, alive
}

// StopDir stops a detached environment started with WithDir(dir): it signals
// exactly the recorded PIDs (checking that each still runs the recorded binary).
func StopDir(dir string) error {
	st, err := readState(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var procs []*process
	for name, pid := range st.PIDs {
		path := filepath.Join(st.BinDir, name)
		if pidAlive(pid, path) {
			procs = append(procs, &process{Name: name, Path: path, pid: pid})
		}
	}
	stopAll(procs, 30*time.Second)
	return os.Remove(filepath.Join(dir, "run", "state.json"))
}

func egressSelectorConfig(socket string) string {
	return `apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
# Nothing listens on this socket: apiserver -> cluster traffic (webhooks and
# aggregated APIs backed by Services, pod/service/node proxy, logs, exec,
# port-forward) fails fast instead of dialing fake pod/service/node IPs.
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: ` + socket + "\n"
}

func writeKubeconfig(path, server string, caPEM []byte, user *keyPair, userName string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["lade-testenv"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[userName] = &clientcmdapi.AuthInfo{ClientCertificateData: user.CertPEM, ClientKeyData: user.KeyPEM}
	cfg.Contexts["lade-testenv"] = &clientcmdapi.Context{Cluster: "lade-testenv", AuthInfo: userName}
	cfg.CurrentContext = "lade-testenv"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
