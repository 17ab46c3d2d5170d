package interop

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	rspb "helm.sh/helm/v3/pkg/release"
	helmtime "helm.sh/helm/v3/pkg/time"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/release"
)

// helm3Releases writes, with Helm 3's code, a release in every state Helm
// 3 leaves one in, and returns their names. Operations Helm 3 ends in a
// pending, failed or uninstalling state (an interrupted command) are
// written with its storage driver, as the interrupted command left them.
func helm3Releases(t *testing.T, hcfg *action.Configuration, ns string) []string {
	t.Helper()
	// deployed (chart apiVersion v2, test hooks with unset run times, a
	// record label)
	helmInstall(t, hcfg, ns, "dep", appChart, map[string]any{"data": "d1"}, "team", "a")
	// superseded, deployed, then a Helm 3 rollback (rollback revision)
	helmInstall(t, hcfg, ns, "sup", appChart, map[string]any{"data": "s1", "extra": true})
	helmUpgrade(t, hcfg, ns, "sup", appChart, map[string]any{"data": "s2"})
	rb := action.NewRollback(hcfg)
	rb.Version = 1
	if err := rb.Run("sup"); err != nil {
		t.Fatal(err)
	}
	// a chart of apiVersion v1 with requirements.yaml
	helmInstall(t, hcfg, ns, "v1chart", apiv1Chart, nil)
	// uninstalled with --keep-history
	helmInstall(t, hcfg, ns, "unins", appChart, map[string]any{"data": "u1"})
	un := action.NewUninstall(hcfg)
	un.KeepHistory = true
	if _, err := un.Run("unins"); err != nil {
		t.Fatal(err)
	}
	// failed upgrade after a deployed revision
	helmInstall(t, hcfg, ns, "failed", appChart, map[string]any{"data": "f1"})
	next := stored(t, hcfg, "failed", 1)
	next.Version, next.Config = 2, map[string]any{"data": "f2"}
	next.Info = &rspb.Info{FirstDeployed: next.Info.FirstDeployed, LastDeployed: helmtime.Now(), Status: rspb.StatusFailed,
		Description: `Upgrade "failed" failed: context deadline exceeded`}
	create(t, hcfg, next)
	// pending-install: the install's dry run, as Helm records it before applying
	ch, err := loader.Load(appChart)
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(helmConfig(t, ns))
	in.ReleaseName, in.Namespace, in.DryRun, in.ClientOnly = "pinst", ns, true, true
	pi, err := in.Run(ch, map[string]any{"data": "p1"})
	if err != nil {
		t.Fatal(err)
	}
	pi.Info.Status, pi.Info.Description = rspb.StatusPendingInstall, "Initial install underway"
	create(t, hcfg, pi)
	// pending-upgrade
	helmInstall(t, hcfg, ns, "pupg", appChart, map[string]any{"data": "pu1"})
	up := action.NewUpgrade(hcfg)
	up.Namespace, up.DryRun = ns, true
	pu, err := up.Run("pupg", ch, map[string]any{"data": "pu2"})
	if err != nil {
		t.Fatal(err)
	}
	pu.Info.Status, pu.Info.Description = rspb.StatusPendingUpgrade, "Preparing upgrade"
	create(t, hcfg, pu)
	// pending-rollback
	helmInstall(t, hcfg, ns, "prb", appChart, map[string]any{"data": "pr1"})
	helmUpgrade(t, hcfg, ns, "prb", appChart, map[string]any{"data": "pr2"})
	prb := stored(t, hcfg, "prb", 1)
	prb.Version = 3
	prb.Info = &rspb.Info{FirstDeployed: prb.Info.FirstDeployed, LastDeployed: helmtime.Now(), Status: rspb.StatusPendingRollback, Description: "Rollback to 1"}
	create(t, hcfg, prb)
	// uninstalling: an uninstall interrupted after it marked the revision
	helmInstall(t, hcfg, ns, "uning", appChart, map[string]any{"data": "ui1"})
	ui := stored(t, hcfg, "uning", 1)
	ui.Info.Status, ui.Info.Deleted, ui.Info.Description = rspb.StatusUninstalling, helmtime.Now(), "Deletion in progress (or silently failed)"
	if err := hcfg.Releases.Update(ui); err != nil {
		t.Fatal(err)
	}
	return []string{"dep", "failed", "pinst", "prb", "pupg", "sup", "unins", "uning", "v1chart"}
}

func stored(t *testing.T, hcfg *action.Configuration, name string, version int) *rspb.Release {
	t.Helper()
	r, err := hcfg.Releases.Get(name, version)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func create(t *testing.T, hcfg *action.Configuration, r *rspb.Release) {
	t.Helper()
	if err := hcfg.Releases.Create(r); err != nil {
		t.Fatal(err)
	}
}

// helmHistory is Helm 3's history of a release, oldest first.
func helmHistory(t *testing.T, hcfg *action.Configuration, name string) []*rspb.Release {
	t.Helper()
	h, err := action.NewHistory(hcfg).Run(name)
	if err != nil {
		t.Fatalf("helm3 history %s: %v", name, err)
	}
	slices.SortFunc(h, func(a, b *rspb.Release) int { return a.Version - b.Version })
	return h
}

type historyRow struct {
	Revision    int    `json:"revision"`
	Status      string `json:"status"`
	Chart       string `json:"chart"`
	AppVersion  string `json:"app_version"`
	Description string `json:"description"`
}

type listRow struct {
	Name     string `json:"name"`
	Revision string `json:"revision"`
	Status   string `json:"status"`
	Chart    string `json:"chart"`
}

func chartRef(r *rspb.Release) string { return r.Chart.Metadata.Name + "-" + r.Chart.Metadata.Version }

// checkRead runs lade's read commands on a release and checks what they
// print against the records as Helm 3's code reads them.
func checkRead(t *testing.T, hcfg *action.Configuration, ns, name string) {
	t.Helper()
	hist := helmHistory(t, hcfg, name)
	var rows []historyRow
	if err := json.Unmarshal([]byte(lade(t, ns, "history", name, "-o", "json")), &rows); err != nil {
		t.Fatalf("lade history %s -o json: %v", name, err)
	}
	var want []historyRow
	for _, r := range hist {
		want = append(want, historyRow{r.Version, r.Info.Status.String(), chartRef(r), r.Chart.Metadata.AppVersion, r.Info.Description})
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("lade history %s:\n got %+v\nwant %+v", name, rows, want)
	}
	last := hist[len(hist)-1]
	var vals map[string]any
	if err := json.Unmarshal([]byte(lade(t, ns, "get", "values", name, "-o", "json")), &vals); err != nil {
		t.Fatal(err)
	}
	if len(vals) != len(last.Config) || (len(vals) > 0 && !reflect.DeepEqual(vals, last.Config)) {
		t.Errorf("lade get values %s: %v, helm3 stored %v", name, vals, last.Config)
	}
	if got := lade(t, ns, "get", "manifest", name); strings.TrimSpace(got) != strings.TrimSpace(last.Manifest) {
		t.Errorf("lade get manifest %s:\n%s\nhelm3 stored:\n%s", name, got, last.Manifest)
	}
	if got := lade(t, ns, "get", "notes", name); strings.TrimSpace(last.Info.Notes) != "" && !strings.Contains(got, strings.TrimSpace(last.Info.Notes)) {
		t.Errorf("lade get notes %s: %q, helm3 stored %q", name, got, last.Info.Notes)
	}
	hooks := lade(t, ns, "get", "hooks", name)
	for _, h := range last.Hooks {
		if !strings.Contains(hooks, "name: "+h.Name) {
			t.Errorf("lade get hooks %s does not show hook %s:\n%s", name, h.Name, hooks)
		}
	}
	var md struct {
		Name, Chart, Version, Namespace, Status string
		Revision                                int
	}
	if err := json.Unmarshal([]byte(lade(t, ns, "get", "metadata", name, "-o", "json")), &md); err != nil {
		t.Fatal(err)
	}
	if md.Name != name || md.Chart != last.Chart.Metadata.Name || md.Version != last.Chart.Metadata.Version || md.Namespace != ns ||
		md.Revision != last.Version || md.Status != last.Info.Status.String() {
		t.Errorf("lade get metadata %s: %+v, helm3 stored v%d %s", name, md, last.Version, last.Info.Status)
	}
	for _, c := range [][]string{{"status", name}, {"get", "all", name}} {
		out := lade(t, ns, c...)
		if !strings.Contains(out, "NAME: "+name) || !strings.Contains(out, "STATUS: "+last.Info.Status.String()) {
			t.Errorf("lade %v:\n%s", c, out)
		}
	}
}

// TestLadeOnHelm3Releases: every lade command works on releases Helm 3
// wrote, in every state, and Helm 3 still lists, reads and rolls back what
// lade wrote afterwards (a split >1 MiB record included).
func TestLadeOnHelm3Releases(t *testing.T) {
	hcfg, lcfg, ns := setup(t)
	names := helm3Releases(t, hcfg, ns)

	// list: every release, its newest revision, as Helm 3 reads them.
	var rows []listRow
	if err := json.Unmarshal([]byte(lade(t, ns, "list", "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	hl := action.NewList(hcfg)
	hl.All = true
	hl.SetStateMask()
	hrels, err := hl.Run()
	if err != nil {
		t.Fatal(err)
	}
	var want []listRow
	for _, r := range hrels {
		want = append(want, listRow{r.Name, strconv.Itoa(r.Version), r.Info.Status.String(), chartRef(r)})
	}
	slices.SortFunc(want, func(a, b listRow) int { return strings.Compare(a.Name, b.Name) })
	if len(want) != len(names) || !reflect.DeepEqual(rows, want) {
		t.Fatalf("lade list:\n got %+v\nwant %+v", rows, want)
	}
	for _, name := range names {
		checkRead(t, hcfg, ns, name)
	}
	if got := lade(t, ns, "list", "-q", "-l", "team=a"); got != "dep\n" {
		t.Errorf("lade list -l team=a: %q", got)
	}

	// diff upgrade, upgrade and rollback of Helm 3's releases.
	diff := lade(t, ns, "diff", "upgrade", "dep", appChart, "--set", "data=d2", "--color", "never")
	if !strings.Contains(diff, `-  value: d1`) || !strings.Contains(diff, `+  value: d2`) {
		t.Errorf("lade diff upgrade dep:\n%s", diff)
	}
	lade(t, ns, "upgrade", "dep", appChart, "--set", "data=d2")
	lade(t, ns, "rollback", "dep", "1")
	lade(t, ns, "upgrade", "sup", appChart, "--set", "data=s3")
	lade(t, ns, "upgrade", "v1chart", apiv1Chart)
	lade(t, ns, "upgrade", "failed", appChart, "--set", "data=f3")
	lade(t, ns, "rollback", "unins", "1")
	// Pending revisions Helm left: refused with the way out, then recovered.
	if _, err := ladeRun(t, ns, "upgrade", "pupg", appChart, "--set", "data=pu3"); err == nil || !strings.Contains(err.Error(), "--recover-pending") {
		t.Fatalf("lade upgrade of a pending Helm 3 release: %v", err)
	}
	lade(t, ns, "upgrade", "pupg", appChart, "--set", "data=pu3", "--recover-pending")
	lade(t, ns, "rollback", "prb", "1", "--recover-pending")
	lade(t, ns, "uninstall", "pinst")
	lade(t, ns, "uninstall", "uning", "--keep-history")
	for name, data := range map[string]string{"dep-cm": "d1", "sup-cm": "s3", "failed-cm": "f3", "unins-cm": "u1", "pupg-cm": "pu3", "prb-cm": "pr1"} {
		cm, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil || cm.Data["value"] != data {
			t.Errorf("ConfigMap %s after lade: %v %v, want value %s", name, err, cm.Data, data)
		}
	}

	// A release lade writes over 1 MiB (its record split into parts).
	big := filepath.Join(t.TempDir(), "big")
	copyDir(t, appChart, big)
	blob := make([]byte, 1200*1024)
	_, _ = rand.Read(blob)
	if err := os.MkdirAll(filepath.Join(big, "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(big, "files", "blob.bin"), blob, 0o644); err != nil {
		t.Fatal(err)
	}
	lade(t, ns, "install", "big", big)
	if parts, err := lcfg.Kube.Clientset.CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "lade.dev/release=big"}); err != nil || len(parts.Items) == 0 {
		t.Fatalf("the big release was not split: %v", err)
	}

	// Helm 3 reads everything lade wrote: list, history, and rolls back.
	hrels, err = hl.Run()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range hrels {
		got[r.Name] = r.Info.Status.String() + "/" + strconv.Itoa(r.Version)
	}
	wantList := map[string]string{
		"big": "deployed/1", "dep": "deployed/3", "failed": "deployed/3", "prb": "deployed/4", "pupg": "deployed/3",
		"sup": "deployed/4", "unins": "deployed/2", "uning": "uninstalled/1", "v1chart": "deployed/2",
	}
	if !reflect.DeepEqual(got, wantList) {
		t.Errorf("helm3 list after lade:\n got %v\nwant %v", got, wantList)
	}
	sl := action.NewList(hcfg)
	sl.All, sl.Selector = true, "team=a"
	sl.SetStateMask()
	if labelled, err := sl.Run(); err != nil || len(labelled) != 1 || labelled[0].Name != "dep" || labelled[0].Version != 3 {
		t.Errorf("helm3 list -l team=a after lade's upgrade and rollback: %v %d", err, len(labelled))
	}
	for name := range wantList {
		for _, r := range helmHistory(t, hcfg, name) {
			if r.Info == nil || r.Chart == nil || r.Chart.Metadata == nil {
				t.Errorf("helm3 history %s: revision %d lacks info or chart", name, r.Version)
			}
		}
	}
	if h := helmHistory(t, hcfg, "pupg"); h[1].Info.Status != rspb.StatusFailed {
		t.Errorf("the pending upgrade lade recovered is %s for helm3", h[1].Info.Status)
	}
	bigRel := stored(t, hcfg, "big", 1)
	if !strings.Contains(bigRel.Manifest, "name: big-cm") {
		t.Errorf("helm3 reads the split record without its manifest:\n%s", bigRel.Manifest)
	}
	rb := action.NewRollback(hcfg)
	rb.Version = 2
	if err := rb.Run("dep"); err != nil {
		t.Fatalf("helm3 rollback of a release lade wrote: %v", err)
	}
	cm, err := lcfg.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(context.Background(), "dep-cm", metav1.GetOptions{})
	if err != nil || cm.Data["value"] != "d2" {
		t.Fatalf("dep-cm after helm3 rollback to lade's revision 2: %v %v", err, cm.Data)
	}
	// And lade reads what Helm 3 wrote after it.
	last, err := lcfg.Storage().Last(context.Background(), "dep")
	if err != nil || last.Version != 4 || last.Info.Status != release.StatusDeployed || last.Config["data"] != "d2" {
		t.Fatalf("lade after helm3's rollback: %v %+v", err, last)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
