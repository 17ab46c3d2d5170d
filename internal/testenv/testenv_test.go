package testenv_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/lade-dev/lade/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.Main(m, testenv.WithWorkloads())
}

// eventually polls cond until it reports done, failing the test after timeout
// with the last status cond reported.
func eventually(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (done bool, status string, err error)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	last := "no status yet"
	for {
		done, status, err := cond(ctx)
		if err != nil && ctx.Err() == nil {
			t.Fatalf("%s: %v", what, err)
		}
		if status != "" {
			last = status
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s; last status: %s", timeout, what, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func podsOf(ctx context.Context, cs kubernetes.Interface, ns, selector string) ([]corev1.Pod, error) {
	list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

func describePod(p corev1.Pod) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pod %s phase=%s node=%q", p.Name, p.Status.Phase, p.Spec.NodeName)
	for _, c := range p.Status.Conditions {
		fmt.Fprintf(&b, " %s=%s", c.Type, c.Status)
	}
	for _, s := range p.Status.ContainerStatuses {
		fmt.Fprintf(&b, " [%s ready=%v restarts=%d", s.Name, s.Ready, s.RestartCount)
		if s.State.Waiting != nil {
			fmt.Fprintf(&b, " waiting=%s", s.State.Waiting.Reason)
		}
		if s.State.Running != nil {
			b.WriteString(" running")
		}
		if s.State.Terminated != nil {
			fmt.Fprintf(&b, " terminated=%s/%d", s.State.Terminated.Reason, s.State.Terminated.ExitCode)
		}
		b.WriteString("]")
	}
	return b.String()
}

func podSpec(image string) corev1.PodSpec {
	return corev1.PodSpec{
		Containers:                    []corev1.Container{{Name: "app", Image: image}},
		TerminationGracePeriodSeconds: new(int64),
	}
}

func deployment(name string, replicas int32, labels map[string]string, image string) *appsv1.Deployment {
	podLabels := map[string]string{"app": name}
	for k, v := range labels {
		podLabels[k] = v
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: podLabels},
				Spec:       podSpec(image),
			},
		},
	}
}

func TestControlPlane(t *testing.T) {
	env := testenv.Shared(t)
	cs := env.Clientset()

	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != testenv.KubernetesVersion {
		t.Errorf("/version gitVersion = %q, want %q (version stamping in hack/build-k8s.sh)", v.GitVersion, testenv.KubernetesVersion)
	}

	// The kubeconfig on disk works and points at loopback.
	cfg, err := clientcmd.BuildConfigFromFlags("", env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg.Host, "https://127.0.0.1:") {
		t.Errorf("kubeconfig server %q is not on 127.0.0.1", cfg.Host)
	}
	fromFile, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns := testenv.NewNamespace(t)

	// Server-side apply with a field manager: a real apiserver feature.
	cm := []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"1"}}`)
	got, err := fromFile.CoreV1().ConfigMaps(ns).Patch(t.Context(), "ssa", types.ApplyPatchType, cm,
		metav1.PatchOptions{FieldManager: "lade-test", Force: new(true)})
	if err != nil {
		t.Fatalf("server-side apply: %v", err)
	}
	if len(got.ManagedFields) == 0 || got.ManagedFields[0].Manager != "lade-test" {
		t.Errorf("managedFields = %+v, want manager lade-test", got.ManagedFields)
	}

	pids := env.PIDs()
	for _, c := range []string{testenv.Etcd, testenv.KubeAPIServer, testenv.KubeControllerManager, testenv.KubeScheduler, testenv.Kwok} {
		if pids[c] <= 0 {
			t.Errorf("no PID recorded for %s: %v", c, pids)
		}
	}
}

func TestDeploymentBecomesAvailable(t *testing.T) {
	env := testenv.Shared(t)
	cs := env.Clientset()
	ns := testenv.NewNamespace(t)

	if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), deployment("web", 2, nil, "nginx:1.27"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "deployment web Available with 2 ready replicas", func(ctx context.Context) (bool, string, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, "", err
		}
		status := fmt.Sprintf("replicas=%d ready=%d available=%d conditions=%v",
			d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.Conditions)
		for _, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue && d.Status.ReadyReplicas == 2 {
				return true, status, nil
			}
		}
		return false, status, nil
	})

	pods, err := podsOf(t.Context(), cs, ns, "app=web")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if p.Spec.NodeName == "" || p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" {
			t.Errorf("want a scheduled, Running pod with an IP: %s", describePod(p))
		}
	}
}

// waitPod waits until a pod matching selector satisfies ok.
func waitPod(t *testing.T, cs kubernetes.Interface, ns, selector, what string, ok func(corev1.Pod) bool) corev1.Pod {
	t.Helper()
	var found corev1.Pod
	eventually(t, 60*time.Second, what, func(ctx context.Context) (bool, string, error) {
		pods, err := podsOf(ctx, cs, ns, selector)
		if err != nil {
			return false, "", err
		}
		var states []string
		for _, p := range pods {
			if ok(p) {
				found = p
				return true, "", nil
			}
			states = append(states, describePod(p))
		}
		return false, fmt.Sprintf("%d pods: %s", len(pods), strings.Join(states, "; ")), nil
	})
	return found
}

func waitingReason(p corev1.Pod) string {
	if len(p.Status.ContainerStatuses) == 0 || p.Status.ContainerStatuses[0].State.Waiting == nil {
		return ""
	}
	return p.Status.ContainerStatuses[0].State.Waiting.Reason
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func TestFailureStages(t *testing.T) {
	env := testenv.Shared(t)
	cs := env.Clientset()

	t.Run("image-pull-by-image-name", func(t *testing.T) {
		t.Parallel()
		ns := testenv.NewNamespace(t)
		d := deployment("pull", 1, nil, "registry.example/does-not-exist:1.0")
		if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p := waitPod(t, cs, ns, "app=pull", "a pod waiting in ImagePullBackOff", func(p corev1.Pod) bool {
			return waitingReason(p) == "ImagePullBackOff"
		})
		if p.Status.Phase != corev1.PodPending || podReady(p) {
			t.Errorf("want a Pending, unready pod: %s", describePod(p))
		}
	})

	t.Run("image-pull-by-label", func(t *testing.T) {
		t.Parallel()
		ns := testenv.NewNamespace(t)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "pull", Labels: map[string]string{"app": "pull", testenv.FailLabel: testenv.FailImagePull}},
			Spec:       podSpec("nginx:1.27"),
		}
		if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitPod(t, cs, ns, "app=pull", "pod waiting in ImagePullBackOff", func(p corev1.Pod) bool {
			return waitingReason(p) == "ImagePullBackOff" && p.Status.Phase == corev1.PodPending
		})
	})

	t.Run("crash-loop", func(t *testing.T) {
		t.Parallel()
		ns := testenv.NewNamespace(t)
		d := deployment("crash", 1, map[string]string{testenv.FailLabel: testenv.FailCrash}, "nginx:1.27")
		if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p := waitPod(t, cs, ns, "app=crash", "a pod in CrashLoopBackOff", func(p corev1.Pod) bool {
			return waitingReason(p) == "CrashLoopBackOff"
		})
		cst := p.Status.ContainerStatuses[0]
		if p.Status.Phase != corev1.PodRunning || podReady(p) || cst.RestartCount == 0 ||
			cst.LastTerminationState.Terminated == nil || cst.LastTerminationState.Terminated.ExitCode == 0 {
			t.Errorf("want a Running, unready pod with restarts and a failed last state: %s", describePod(p))
		}
	})

	t.Run("never-ready", func(t *testing.T) {
		t.Parallel()
		ns := testenv.NewNamespace(t)
		d := deployment("unready", 1, map[string]string{testenv.FailLabel: testenv.FailNotReady}, "nginx:1.27")
		d.Spec.ProgressDeadlineSeconds = new(int32(2)) // default 600s: rollouts would hang for 10 minutes
		if _, err := cs.AppsV1().Deployments(ns).Create(t.Context(), d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		p := waitPod(t, cs, ns, "app=unready", "a Running pod whose container runs", func(p corev1.Pod) bool {
			return p.Status.Phase == corev1.PodRunning && len(p.Status.ContainerStatuses) == 1 &&
				p.Status.ContainerStatuses[0].State.Running != nil
		})
		if podReady(p) {
			t.Errorf("pod became Ready: %s", describePod(p))
		}
		eventually(t, 30*time.Second, "deployment unready to report ProgressDeadlineExceeded", func(ctx context.Context) (bool, string, error) {
			d, err := cs.AppsV1().Deployments(ns).Get(ctx, "unready", metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			for _, c := range d.Status.Conditions {
				if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
					return d.Status.ReadyReplicas == 0, "", nil
				}
			}
			return false, fmt.Sprintf("ready=%d conditions=%v", d.Status.ReadyReplicas, d.Status.Conditions), nil
		})
	})

	job := func(name string, labels map[string]string) *batchv1.Job {
		podLabels := map[string]string{"job": name}
		for k, v := range labels {
			podLabels[k] = v
		}
		spec := podSpec("busybox:1.36")
		spec.RestartPolicy = corev1.RestartPolicyNever
		return &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: batchv1.JobSpec{
				BackoffLimit: new(int32(0)),
				Template:     corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: podLabels}, Spec: spec},
			},
		}
	}
	waitJob := func(t *testing.T, ns, name string, want batchv1.JobConditionType) {
		t.Helper()
		eventually(t, 60*time.Second, fmt.Sprintf("job %s condition %s=True", name, want), func(ctx context.Context) (bool, string, error) {
			j, err := cs.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, "", err
			}
			for _, c := range j.Status.Conditions {
				if c.Type == want && c.Status == corev1.ConditionTrue {
					return true, "", nil
				}
			}
			return false, fmt.Sprintf("active=%d succeeded=%d failed=%d conditions=%v",
				j.Status.Active, j.Status.Succeeded, j.Status.Failed, j.Status.Conditions), nil
		})
	}

	t.Run("job-failure", func(t *testing.T) {
		t.Parallel()
		ns := testenv.NewNamespace(t)
		if _, err := cs.BatchV1().Jobs(ns).Create(t.Context(), job("fails", map[string]string{testenv.FailLabel: testenv.FailError}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitJob(t, ns, "fails", batchv1.JobFailed)
	})

	t.Run("job-success", func(t *testing.T) {
		t.Parallel()
		ns := testenv.NewNamespace(t)
		if _, err := cs.BatchV1().Jobs(ns).Create(t.Context(), job("works", nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitJob(t, ns, "works", batchv1.JobComplete)
	})
}

// The apiserver must never dial pods, services or nodes: such egress goes to a
// Unix socket nobody listens on and fails at once.
func TestClusterEgressIsBlocked(t *testing.T) {
	env := testenv.Shared(t)
	cs := env.Clientset()
	ns := testenv.NewNamespace(t)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "logs", Labels: map[string]string{"app": "logs"}}, Spec: podSpec("nginx:1.27")}
	if _, err := cs.CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPod(t, cs, ns, "app=logs", "pod Ready", podReady)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := cs.CoreV1().Pods(ns).GetLogs("logs", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err == nil {
		t.Fatal("reading pod logs succeeded; the apiserver reached a kubelet")
	}
	if ctx.Err() != nil {
		t.Fatalf("reading pod logs hung for %s instead of failing fast: %v", time.Since(start), err)
	}
	// the apiserver tried the dead egress socket, not the node's address
	log, _ := os.ReadFile(env.LogFile(testenv.KubeAPIServer))
	if !strings.Contains(string(log), "no-cluster-egress.sock") {
		t.Errorf("kube-apiserver log does not show the egress socket being dialed for pod logs (error: %v)", err)
	}
}

func TestSecureRegistryPushPull(t *testing.T) {
	reg := testenv.NewSecureRegistry(t)
	if !strings.HasPrefix(reg.Host, "127.0.0.1:") || !strings.HasPrefix(reg.URL, "https://") {
		t.Fatalf("registry at %s (%s), want https on 127.0.0.1", reg.Host, reg.URL)
	}
	c := reg.Client()
	do := func(method, url string, body []byte, auth bool, hdr map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, url, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.SetBasicAuth(reg.Username, reg.Password)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, url, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	expect := func(resp *http.Response, code int) []byte {
		t.Helper()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != code {
			t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL, resp.StatusCode, code, b)
		}
		return b
	}

	// Without credentials: 401 with a Basic challenge.
	resp := do("GET", reg.URL+"/v2/", nil, false, nil)
	expect(resp, http.StatusUnauthorized)
	if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Basic ") {
		t.Errorf("WWW-Authenticate = %q, want a Basic challenge", ch)
	}
	expect(do("GET", reg.URL+"/v2/", nil, true, map[string]string{"Authorization": "Basic bGFkZTp3cm9uZw=="}), http.StatusUnauthorized)
	expect(do("GET", reg.URL+"/v2/", nil, true, nil), http.StatusOK)

	// A client that does not trust the generated CA is refused.
	if _, err := http.Get(reg.URL + "/v2/"); err == nil {
		t.Error("TLS handshake succeeded without trusting the registry CA")
	}

	// Push a blob (monolithic upload), then pull it back.
	push := func(repo string, content []byte) string {
		t.Helper()
		sum := sha256.Sum256(content)
		digest := "sha256:" + hex.EncodeToString(sum[:])
		resp := do("POST", reg.URL+"/v2/"+repo+"/blobs/uploads/", nil, true, nil)
		expect(resp, http.StatusAccepted)
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("upload location: %v", err)
		}
		q := loc.Query()
		q.Set("digest", digest)
		loc.RawQuery = q.Encode()
		expect(do("PUT", loc.String(), content, true, map[string]string{"Content-Type": "application/octet-stream"}), http.StatusCreated)
		return digest
	}
	repo := "lade/charts/demo"
	content := []byte("a chart layer for lade's registry test\n")
	digest := push(repo, content)
	expect(do("GET", reg.URL+"/v2/"+repo+"/blobs/"+digest, nil, false, nil), http.StatusUnauthorized)
	if got := expect(do("GET", reg.URL+"/v2/"+repo+"/blobs/"+digest, nil, true, nil), http.StatusOK); !bytes.Equal(got, content) {
		t.Fatalf("pulled blob %q, want %q", got, content)
	}

	// And a manifest by tag (OCI image manifest with an empty config).
	cfgDigest := push(repo, []byte("{}"))
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"artifactType":  "application/vnd.cncf.helm.config.v1+json",
		"config":        map[string]any{"mediaType": "application/vnd.oci.empty.v1+json", "digest": cfgDigest, "size": 2},
		"layers":        []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": len(content)}},
	})
	mt := map[string]string{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}
	expect(do("PUT", reg.URL+"/v2/"+repo+"/manifests/0.1.0", manifest, true, mt), http.StatusCreated)
	got := expect(do("GET", reg.URL+"/v2/"+repo+"/manifests/0.1.0", nil, true, map[string]string{"Accept": mt["Content-Type"]}), http.StatusOK)
	if !bytes.Equal(got, manifest) {
		t.Errorf("pulled manifest differs:\n%s\nwant\n%s", got, manifest)
	}
}

func TestPlainRegistry(t *testing.T) {
	reg := testenv.NewRegistry(t)
	if !strings.HasPrefix(reg.URL, "http://127.0.0.1:") || reg.CAPEM != nil || reg.Username != "" {
		t.Fatalf("want a plain-HTTP registry without auth, got %+v", reg)
	}
	resp, err := reg.Client().Get(reg.URL + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v2/: %s", resp.Status)
	}
}

func TestMissingBinariesFailClearly(t *testing.T) {
	_, err := testenv.Start(t.Context(), testenv.WithBinDir(t.TempDir()))
	if !errors.Is(err, testenv.ErrBinariesMissing) {
		t.Fatalf("Start with an empty bin dir: %v, want ErrBinariesMissing", err)
	}
	if !strings.Contains(err.Error(), testenv.BuildCommand) {
		t.Errorf("error does not say how to build the binaries: %v", err)
	}
}
