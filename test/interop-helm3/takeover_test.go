package interop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
)

// removed reports whether a unified diff removes a line matching re and
// adds none.
func removed(diff, re string) bool {
	return regexp.MustCompile(`(?m)^-\s*`+re+`$`).MatchString(diff) && !regexp.MustCompile(`(?m)^\+\s*`+re+`$`).MatchString(diff)
}

// TestTakeoverFromHelm3AndKubectl: Helm 3 installs a release client-side;
// a user then applies its ConfigMap with `kubectl apply` (client-side, the
// real kubectl) adding a key. The next chart drops a Deployment label, an
// env entry and a ConfigMap key: `lade diff upgrade` shows every removal
// (and of the key kubectl added), `lade upgrade` makes them, and Helm 3
// still reads the history and rolls back to its own revision.
func TestTakeoverFromHelm3AndKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not on PATH")
	}
	hcfg, lcfg, ns := setup(t)
	ctx := context.Background()
	helmInstall(t, hcfg, ns, "web", takeoverChart, nil)

	cmFile := filepath.Join(t.TempDir(), "cm.yaml")
	if err := os.WriteFile(cmFile, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-cm\ndata:\n  keep: \"1\"\n  drop: \"2\"\n  kubectl: \"3\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := testenv.Shared(t)
	if out, err := exec.Command(kubectl, "--kubeconfig", env.KubeconfigPath, "-n", ns, "apply", "-f", cmFile).CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
	cm, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, "web-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var csa []string
	for _, e := range cm.ManagedFields {
		if e.Operation == metav1.ManagedFieldsOperationUpdate {
			csa = append(csa, e.Manager)
		}
	}
	if _, ok := cm.Annotations[corev1.LastAppliedConfigAnnotation]; !ok || len(csa) != 2 {
		t.Fatalf("before lade: Update managers %v, annotations %v", csa, cm.Annotations)
	}

	diff := lade(t, ns, "diff", "upgrade", "web", takeoverChart, "--set", "old=false", "--color", "never")
	for _, re := range []string{`tier: legacy`, `- name: DROP`, `value: '2'`, `drop: '2'`, `kubectl: '3'`} {
		if !removed(diff, re) {
			t.Errorf("lade diff upgrade does not show the removal of %q:\n%s", re, diff)
		}
	}
	if removed(diff, `keep: '1'`) || removed(diff, `- name: KEEP`) {
		t.Errorf("lade diff upgrade removes what the chart keeps:\n%s", diff)
	}

	lade(t, ns, "upgrade", "web", takeoverChart, "--set", "old=false")
	cm, err = lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, "web-cm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cm.Data) != 1 || cm.Data["keep"] != "1" {
		t.Errorf("ConfigMap data after lade's upgrade: %v", cm.Data)
	}
	d, err := lcfg.Kube.Clientset.AppsV1().Deployments(ns).Get(ctx, "web-web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Labels["tier"]; ok {
		t.Errorf("label tier survived lade's upgrade: %v", d.Labels)
	}
	if env := d.Spec.Template.Spec.Containers[0].Env; len(env) != 1 || env[0].Name != "KEEP" {
		t.Errorf("env after lade's upgrade: %+v", env)
	}
	for _, mf := range append(cm.ManagedFields, d.ManagedFields...) {
		if mf.Operation == metav1.ManagedFieldsOperationUpdate && (mf.Manager == "helm" || mf.Manager == "kubectl-client-side-apply") {
			t.Errorf("an Update entry of %s is left", mf.Manager)
		}
	}

	// Helm 3 reads lade's revision and rolls back to its own.
	if h := helmHistory(t, hcfg, "web"); len(h) != 2 || h[1].Info.Status.String() != "deployed" {
		t.Fatalf("helm3 history after lade: %d revisions", len(h))
	}
	rb := action.NewRollback(hcfg)
	rb.Version = 1
	if err := rb.Run("web"); err != nil {
		t.Fatalf("helm3 rollback after lade's takeover: %v", err)
	}
	d, err = lcfg.Kube.Clientset.AppsV1().Deployments(ns).Get(ctx, "web-web", metav1.GetOptions{})
	if err != nil || d.Labels["tier"] != "legacy" || len(d.Spec.Template.Spec.Containers[0].Env) != 2 {
		t.Fatalf("helm3 rollback to its revision: %v %v %+v", err, d.Labels, d.Spec.Template.Spec.Containers[0].Env)
	}
}
