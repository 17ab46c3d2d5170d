package release_test

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// A caller plans an install, deploys it, then plans an upgrade, looks at
// what it would change and deploys exactly that plan. (Install and Upgrade
// do plan + deploy in one call; a controller plans, decides, then deploys.)
// The cluster here is the test cluster; kube.New takes any rest.Config.
func ExampleConfig_Deploy() {
	ctx := context.Background()
	env, err := testenv.SharedForExample()
	if err != nil {
		fmt.Println(err)
		return
	}
	kc, err := kube.New(env.Config())
	if err != nil {
		fmt.Println(err)
		return
	}
	ns, err := kc.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "example-deploy-"}}, metav1.CreateOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer kc.Clientset.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}) //nolint:errcheck // the test cluster goes anyway

	ch := &chart.Chart{
		Metadata: &chart.Metadata{APIVersion: "v2", Name: "hello", Version: "0.1.0"},
		Values:   map[string]any{"greeting": "hello"},
		Templates: []*chart.File{{Name: "templates/cm.yaml", Data: []byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-greeting
data:
  greeting: {{ .Values.greeting | quote }}
`)}},
	}
	cfg := &release.Config{Kube: kc, Namespace: ns.Name}

	plan, err := cfg.PlanInstall(ctx, release.InstallOptions{Name: "demo", Chart: ch})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("plan: %s of revision %d (%s)\n", plan.Operation, plan.Next.Version, plan.Next.Info.Status)
	rel, err := cfg.Deploy(ctx, plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("deployed: revision %d (%s)\n", rel.Version, rel.Info.Status)

	upgrade := release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "demo", Chart: ch, Values: map[string]any{"greeting": "hi"}}}
	plan, err = cfg.PlanUpgrade(ctx, upgrade)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("plan: %s of revision %d to %d, same as deployed: %t\n", plan.Operation, plan.Current.Version, plan.Next.Version, plan.SameAsCurrent())
	report, err := cfg.Preview(ctx, plan, diff.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range report.Changes {
		for _, f := range c.Fields {
			fmt.Printf("  %s %s/%s %s: %s -> %s\n", c.Action, c.Kind, c.Name, f.Path, f.Old, f.New)
		}
	}
	if rel, err = cfg.Deploy(ctx, plan); err != nil {
		fmt.Println(err)
		return
	}
	cm, err := kc.Clientset.CoreV1().ConfigMaps(ns.Name).Get(ctx, "demo-greeting", metav1.GetOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("deployed: revision %d (%s), greeting %q\n", rel.Version, rel.Info.Status, cm.Data["greeting"])

	// Planned again, the upgrade would change nothing.
	if plan, err = cfg.PlanUpgrade(ctx, upgrade); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("plan: same as deployed: %t\n", plan.SameAsCurrent())
	// Output:
	// plan: install of revision 1 (pending-install)
	// deployed: revision 1 (deployed)
	// plan: upgrade of revision 1 to 2, same as deployed: false
	//   update ConfigMap/demo-greeting .data.greeting: hello -> hi
	// deployed: revision 2 (deployed), greeting "hi"
	// plan: same as deployed: true
}
