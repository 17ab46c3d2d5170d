package fleet_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/fleet"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

func TestMain(m *testing.M) { testenv.Main(m, testenv.WithWorkloads()) }

// spec is a release of a test fleet: the test chart with values.
type spec struct {
	ns, name string
	deps     []string // names, in the same namespace
	vals     map[string]any
	timeout  time.Duration
}

func nodes(t *testing.T, specs []spec) []*fleet.Node {
	t.Helper()
	var out []*fleet.Node
	for _, s := range specs {
		n := &fleet.Node{Key: fleet.Key{Namespace: s.ns, Name: s.name}}
		for _, d := range s.deps {
			n.DependsOn = append(n.DependsOn, fleet.Key{Namespace: s.ns, Name: d})
		}
		n.Options = func(context.Context) (release.UpgradeOptions, error) {
			ch, err := chart.Load("../../testdata/charts/fleet/svc")
			if err != nil {
				return release.UpgradeOptions{}, err
			}
			to := s.timeout
			if to == 0 {
				to = time.Minute
			}
			vals := map[string]any{}
			for k, v := range s.vals {
				vals[k] = v
			}
			return release.UpgradeOptions{InstallOptions: release.InstallOptions{
				Name: s.name, Chart: ch, Values: vals,
				CommonOptions: release.CommonOptions{Wait: true, Timeout: to},
			}}, nil
		}
		out = append(out, n)
	}
	return out
}

// recorder keeps the events of an engine.
type recorder struct {
	mu     sync.Mutex
	events []fleet.Event
}

func (r *recorder) observe(ev fleet.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

// at returns when k first reached state.
func (r *recorder) at(t *testing.T, k fleet.Key, st fleet.State) time.Time {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.events {
		if ev.Key == k && ev.State == st {
			return ev.At
		}
	}
	t.Fatalf("%s never was %s", k, st)
	return time.Time{}
}

func engine(t *testing.T, name string) (*fleet.Engine, *recorder) {
	t.Helper()
	env := testenv.Shared(t)
	kc, err := kube.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	return &fleet.Engine{Kube: kc, Fleet: name, Observe: rec.observe}, rec
}

func history(t *testing.T, e *fleet.Engine, k fleet.Key) []*release.Summary {
	t.Helper()
	sums, err := release.NewStorage(e.Kube.Clientset, e.Kube.Metadata, k.Namespace).Summaries(context.Background(), k.Name)
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func item(t *testing.T, p *fleet.Plan, k fleet.Key) *fleet.Item {
	t.Helper()
	for _, it := range p.Items {
		if it.Key == k {
			return it
		}
	}
	t.Fatalf("%s is not in the plan", k)
	return nil
}

// A fleet over two namespaces: a chain db <- api <- web, a release whose
// pods never become ready with two releases depending on it (one through
// the other), and one on its own. The chain is applied in order, each
// release once the one before is Ready; the failure stops exactly its
// dependents; the rest finish. Applying the fleet again writes no
// revision; pruning uninstalls what left it.
func TestApplyFleet(t *testing.T) {
	env := testenv.Shared(t)
	a, b := env.NewNamespace(t), env.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	specs := []spec{
		{ns: a, name: "web", deps: []string{"api"}},
		{ns: a, name: "api", deps: []string{"db"}},
		{ns: a, name: "db"},
		{ns: b, name: "bad", vals: map[string]any{"fail": testenv.FailNotReady}, timeout: 6 * time.Second},
		{ns: b, name: "child", deps: []string{"bad"}},
		{ns: b, name: "grandchild", deps: []string{"child"}},
		{ns: b, name: "alone", vals: map[string]any{"data": "x", "deploy": false}},
	}
	key := func(ns, name string) fleet.Key { return fleet.Key{Namespace: ns, Name: name} }
	e, rec := engine(t, "shop")
	e.Concurrency = 3
	p, err := e.Plan(ctx, nodes(t, specs))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Errors() {
		t.Fatalf("%s: %v", it.Key, it.Err)
	}
	// Dependency order; every release an install of 1-2 objects.
	var order []string
	for _, it := range p.Items {
		order = append(order, it.Name)
		if it.Action != fleet.ActionInstall || it.ChartTo != "svc-1.0.0" || it.Revision != 1 || it.Changes.Create == 0 {
			t.Errorf("%s planned %s of %s revision %d, %+v", it.Key, it.Action, it.ChartTo, it.Revision, it.Changes)
		}
	}
	if got := strings.Join(order, ","); got != "db,api,web,bad,child,grandchild,alone" {
		t.Errorf("order %s", got)
	}
	var out bytes.Buffer
	if err := fleet.WritePlan(&out, p); err != nil {
		t.Fatal(err)
	}
	t.Logf("plan:\n%s", out.String())
	for _, want := range []string{"RELEASE", "web       \t" + a, "svc-1.0.0", "+2 ~0 -0", "+1 ~0 -0", "install", "Plan: 7 to install, 0 to upgrade, 0 unchanged."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the plan does not say %q", want)
		}
	}
	if !p.HasChanges() {
		t.Error("no changes")
	}
	for _, it := range p.Items {
		if len(history(t, e, it.Key)) != 0 {
			t.Fatalf("planning wrote %s", it.Key)
		}
	}

	err = e.Apply(ctx, p)
	out.Reset()
	_ = fleet.WriteSummary(&out, p)
	t.Logf("summary:\n%s", out.String())
	if !errors.Is(err, fleet.ErrFailed) || !strings.Contains(err.Error(), "1 failed, 2 skipped") {
		t.Fatalf("apply: %v", err)
	}
	want := map[string]fleet.State{"db": fleet.StateReady, "api": fleet.StateReady, "web": fleet.StateReady,
		"bad": fleet.StateFailed, "child": fleet.StateSkipped, "grandchild": fleet.StateSkipped, "alone": fleet.StateReady}
	for _, it := range p.Items {
		if it.State != want[it.Name] {
			t.Errorf("%s: %s (%s), want %s", it.Key, it.State, it.Detail, want[it.Name])
		}
	}
	if d := item(t, p, key(b, "child")).Detail; d != "dependency "+b+"/bad failed" {
		t.Errorf("child skipped because %q", d)
	}
	if d := item(t, p, key(b, "grandchild")).Detail; d != "dependency "+b+"/child skipped" {
		t.Errorf("grandchild skipped because %q", d)
	}
	if d := item(t, p, key(b, "bad")).Detail; !strings.Contains(d, "timed out after 6s") || !strings.Contains(d, "running but not ready") {
		t.Errorf("bad failed with %q", d)
	}
	for _, k := range []fleet.Key{key(b, "child"), key(b, "grandchild")} {
		if h := history(t, e, k); len(h) != 0 {
			t.Errorf("skipped %s has a history: %v", k, h)
		}
	}
	// Each release of the chain started applying once the one it depends
	// on was Ready, and its Deployment was then Available.
	for _, pair := range [][2]string{{"db", "api"}, {"api", "web"}} {
		ready, started := rec.at(t, key(a, pair[0]), fleet.StateReady), rec.at(t, key(a, pair[1]), fleet.StateApplying)
		if started.Before(ready) {
			t.Errorf("%s started applying at %s, before %s was ready at %s", pair[1], started, pair[0], ready)
		}
	}
	dep, err := env.Clientset().AppsV1().Deployments(a).Get(ctx, "db", metav1.GetOptions{})
	if err != nil || dep.Status.ReadyReplicas != 1 {
		t.Errorf("db's Deployment: %v %+v", err, dep.Status)
	}
	if lbs := history(t, e, key(a, "web"))[0].Labels; lbs[fleet.FleetLabel] != "shop" {
		t.Errorf("web's record labels: %v", lbs)
	}

	// Again, without the failing part: nothing to do, no new revision.
	ok := []spec{specs[0], specs[1], specs[2], specs[6]}
	e2, _ := engine(t, "shop")
	p2, err := e2.Plan(ctx, nodes(t, ok))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range p2.Items {
		if it.Action != fleet.ActionUnchanged || it.Revision != 1 || it.ChartFrom != "svc-1.0.0" {
			t.Errorf("re-plan of %s: %s revision %d chart %s, changes %+v %v", it.Key, it.Action, it.Revision, it.ChartFrom, it.Changes, it.Err)
			if it.Report != nil {
				_ = diff.WriteText(tw{t}, it.Report, diff.TextOptions{})
			}
		}
	}
	if p2.HasChanges() {
		t.Error("the re-plan has changes")
	}
	if err := e2.Apply(ctx, p2); err != nil {
		t.Fatal(err)
	}
	for _, s := range ok {
		if h := history(t, e2, key(s.ns, s.name)); len(h) != 1 {
			t.Errorf("%s/%s has %d revisions after a no-op apply", s.ns, s.name, len(h))
		}
	}

	// "alone" changes its values, "web" leaves the fleet: pruning plans
	// its uninstall (with its objects), applying uninstalls it.
	ok[3].vals = map[string]any{"data": "y", "deploy": false}
	e3, _ := engine(t, "shop")
	e3.Prune = true
	p3, err := e3.Plan(ctx, nodes(t, ok[1:]))
	if err != nil {
		t.Fatal(err)
	}
	if it := item(t, p3, key(b, "alone")); it.Action != fleet.ActionUpgrade || it.Changes.Update != 1 || it.Revision != 2 {
		t.Errorf("alone: %s revision %d %+v", it.Action, it.Revision, it.Changes)
	}
	if it := item(t, p3, key(a, "web")); it.Action != fleet.ActionPrune || it.Changes.Delete != 2 {
		t.Errorf("web: %s %+v %v", it.Action, it.Changes, it.Err)
	}
	// bad, recorded (failed) with the fleet's label, left the fleet too;
	// child and grandchild were never installed.
	var pruned []string
	for _, it := range p3.Items {
		if it.Action == fleet.ActionPrune {
			pruned = append(pruned, it.Key.String())
		}
	}
	if got, want := strings.Join(pruned, " "), a+"/web "+b+"/bad"; got != want && got != b+"/bad "+a+"/web" {
		t.Errorf("pruned %s, want %s", got, want)
	}
	if err := e3.Apply(ctx, p3); err != nil {
		t.Fatal(err)
	}
	if h := history(t, e3, key(a, "web")); len(h) != 0 {
		t.Errorf("web after the prune: %v", h)
	}
	if _, err := env.Clientset().CoreV1().ConfigMaps(a).Get(ctx, "web-cm", metav1.GetOptions{}); err == nil {
		t.Error("web's ConfigMap is still there")
	}
	if h := history(t, e3, key(b, "alone")); len(h) != 2 || h[1].Status != release.StatusDeployed {
		t.Errorf("alone after the upgrade: %v", h)
	}
}

// Cycles and duplicates are refused before anything is planned.
func TestPlanRefusesBadFleets(t *testing.T) {
	e, rec := engine(t, "x")
	ns := "default"
	for _, c := range []struct {
		specs []spec
		want  string
	}{
		{[]spec{{ns: ns, name: "a", deps: []string{"b"}}, {ns: ns, name: "b", deps: []string{"c"}}, {ns: ns, name: "c", deps: []string{"a"}}},
			"invalid fleet: dependency cycle: default/a -> default/b -> default/c -> default/a"},
		{[]spec{{ns: ns, name: "a"}, {ns: ns, name: "a"}}, "invalid fleet: release default/a is given twice (#1 and #2)"},
		{[]spec{{ns: ns, name: "a", deps: []string{"nowhere"}}}, "invalid fleet: release default/a depends on default/nowhere, which is neither in the fleet nor installed"},
	} {
		_, err := e.Plan(context.Background(), nodes(t, c.specs))
		if !errors.Is(err, fleet.ErrInvalid) || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
	e.Fleet = "not a label"
	if _, err := e.Plan(context.Background(), nil); !errors.Is(err, fleet.ErrInvalid) {
		t.Errorf("fleet name: %v", err)
	}
	if len(rec.events) != 0 {
		t.Errorf("events: %v", rec.events)
	}
}

// tw writes to the test log.
type tw struct{ t *testing.T }

func (w tw) Write(b []byte) (int, error) { w.t.Log(string(b)); return len(b), nil }

// countingTransport counts the LISTs of Deployments.
type countingTransport struct {
	rt    http.RoundTripper
	lists *atomic.Int32
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/deployments") {
		c.lists.Add(1)
	}
	return c.rt.RoundTrip(r)
}

// Planning releases that share a namespace reads the live objects of each
// resource type there once (kube.WithListCache), not once per release.
func TestPlanListsOncePerNamespace(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	cfg := env.Config()
	var lists atomic.Int32
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return countingTransport{rt, &lists} }
	kc, err := kube.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var specs []spec
	for i := range 5 {
		specs = append(specs, spec{ns: ns, name: fmt.Sprintf("r%d", i), vals: map[string]any{"deploy": false, "many": 8}})
	}
	ns8 := nodes(t, specs)
	for _, n := range ns8 {
		opts := n.Options
		n.Options = func(ctx context.Context) (release.UpgradeOptions, error) {
			o, err := opts(ctx)
			if err == nil {
				o.Chart, err = chart.Load("../../testdata/charts/release/app")
				o.Wait = false
			}
			return o, err
		}
	}
	e := &fleet.Engine{Kube: kc, Fleet: "lists"}
	ctx := context.Background()
	p, err := e.Plan(ctx, ns8)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	lists.Store(0)
	if p, err = e.Plan(ctx, ns8); err != nil {
		t.Fatal(err)
	}
	for _, it := range p.Items {
		if it.Err != nil || it.Changes.Unchanged < 8 {
			t.Errorf("%s: %v %+v", it.Key, it.Err, it.Changes)
		}
	}
	if n := lists.Load(); n != 1 {
		t.Errorf("planning 5 releases of 8 Deployments each listed Deployments %d times, want 1", n)
	}
}

// A release of a chart with subcharts, applied again unchanged, gets no
// new revision (a stored record keeps no subcharts to compare with).
func TestNoOpUmbrella(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	e, _ := engine(t, "umbrella")
	ns1 := nodes(t, []spec{{ns: ns, name: "stack"}})
	ns1[0].Options = func(context.Context) (release.UpgradeOptions, error) {
		ch, err := chart.Load("../../testdata/charts/fleet/stack")
		return release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "stack", Chart: ch, Values: map[string]any{}}}, err
	}
	ctx := context.Background()
	p, err := e.Plan(ctx, ns1)
	if err != nil || p.Items[0].Action != fleet.ActionInstall || p.Items[0].Changes.Create != 1 {
		t.Fatalf("plan: %v %+v", err, p)
	}
	if err := e.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p, err = e.Plan(ctx, ns1); err != nil || p.Items[0].Action != fleet.ActionUnchanged || p.HasChanges() {
		t.Fatalf("re-plan: %v %s %s", err, p.Items[0].Action, p.Items[0].Note)
	}
}
