package fleet

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/lade-dev/lade/internal/parallel"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// Action is what applying the plan does to a release.
type Action string

// The actions of a plan.
const (
	ActionInstall   Action = "install"
	ActionUpgrade   Action = "upgrade"
	ActionUnchanged Action = "unchanged"
	ActionPrune     Action = "prune"
	// ActionNone: the release could not be planned (Item.Err).
	ActionNone Action = "error"
)

// Item is one release of a plan, and after Apply its outcome.
type Item struct {
	Key
	DependsOn []Key  `json:"dependsOn,omitempty"`
	Action    Action `json:"action"`
	// ChartFrom and ChartTo are the deployed chart and the planned one
	// ("name-version"); ChartFrom is empty for an install, ChartTo for a prune.
	ChartFrom string `json:"chartFrom,omitempty"`
	ChartTo   string `json:"chartTo,omitempty"`
	// Revision is the revision the apply writes (the one a prune removes).
	Revision int `json:"revision,omitempty"`
	// Changes counts the objects created, updated, deleted, unchanged and
	// blocked by conflicts (the preview's summary).
	Changes diff.Summary `json:"changes"`
	// Conflicts counts objects with fields other field managers own.
	Conflicts int `json:"conflicts"`
	// Note says why an upgrade that renders what is deployed is planned
	// (drift, the fleet's label, a failed or pending revision).
	Note string `json:"note,omitempty"`
	// Report is the preview (object diffs); nil when planning failed.
	Report *diff.Report `json:"-"`
	// Err is why the release could not be planned, or (after Apply) why it failed.
	Err error `json:"-"`

	// The outcome, set by Apply.
	State State `json:"state,omitempty"`
	// Detail says why a release was skipped, or what failed.
	Detail  string        `json:"detail,omitempty"`
	Elapsed time.Duration `json:"-"`

	opts      release.UpgradeOptions
	plan      *release.Plan // what Apply deploys
	done      chan struct{} // closed when Apply is done with it
	hasDeps   bool          // another release of the plan depends on it
	wasLabels map[string]string
}

// Changed reports whether applying the item changes the cluster.
func (it *Item) Changed() bool {
	return it.Action == ActionInstall || it.Action == ActionUpgrade || it.Action == ActionPrune
}

// Plan is what applying a fleet would do, release by release: the fleet's
// releases in dependency order, then those pruned.
type Plan struct {
	Fleet string  `json:"fleet"`
	Items []*Item `json:"releases"`
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool {
	return slices.ContainsFunc(p.Items, (*Item).Changed)
}

// Errors returns the items that could not be planned.
func (p *Plan) Errors() []*Item {
	var out []*Item
	for _, it := range p.Items {
		if it.Action == ActionNone {
			out = append(out, it)
		}
	}
	return out
}

// Plan plans every node concurrently (render, server-side dry-run of its
// objects) and, with Prune, the releases that left the fleet. Nothing
// changes in the cluster. A release that cannot be planned is an item
// with Action ActionNone and its Err; an error is returned only for the
// fleet as a whole (duplicates, cycles, a dependency that is neither in
// the fleet nor installed, the prune listing).
func (e *Engine) Plan(ctx context.Context, nodes []*Node) (*Plan, error) {
	if err := ValidFleetName(e.Fleet); err != nil {
		return nil, err
	}
	if e.Holder == "" {
		e.Holder = release.Identity()
	}
	sorted, err := order(nodes)
	if err != nil {
		return nil, err
	}
	if err := e.checkExternal(ctx, sorted); err != nil {
		return nil, err
	}
	p := &Plan{Fleet: e.Fleet}
	depended := map[Key]bool{}
	for _, n := range sorted {
		for _, d := range n.DependsOn {
			depended[d] = true
		}
	}
	for _, n := range sorted {
		p.Items = append(p.Items, &Item{Key: n.Key, DependsOn: n.DependsOn, hasDeps: depended[n.Key]})
	}
	em := e.emitter()
	// The releases are read at one moment and nothing changes while they
	// are planned: one LIST per resource type and namespace serves all.
	ctx = kube.WithListCache(ctx)
	parallel.For(e.concurrency(), len(sorted), func(i int) {
		it := p.Items[i]
		start := time.Now()
		em.emit(Event{Key: it.Key, State: StatePlanning, Since: start})
		e.planOne(ctx, sorted[i], it)
		ev := Event{Key: it.Key, State: StatePlanned, Since: start, Detail: string(it.Action)}
		if it.Err != nil {
			ev.State, ev.Detail = StateFailed, it.Err.Error()
		}
		em.emit(ev)
	})
	if e.Prune {
		prunes, err := e.planPrunes(ctx, nodes)
		if err != nil {
			return nil, err
		}
		p.Items = append(p.Items, prunes...)
	}
	return p, nil
}

// checkExternal checks that every dependency outside the nodes is an
// installed release.
func (e *Engine) checkExternal(ctx context.Context, nodes []*Node) error {
	in := map[Key]bool{}
	for _, n := range nodes {
		in[n.Key] = true
	}
	for _, n := range nodes {
		for _, d := range n.DependsOn {
			if in[d] {
				continue
			}
			sums, err := e.config(d.Namespace).Storage().Summaries(ctx, d.Name)
			if err != nil {
				return fmt.Errorf("release %s depends on %s: %w", n.Key, d, err)
			}
			if len(sums) == 0 || sums[len(sums)-1].Status == release.StatusUninstalled {
				return fmt.Errorf("%w: release %s depends on %s, which is neither in the fleet nor installed", ErrInvalid, n.Key, d)
			}
			in[d] = true
		}
	}
	return nil
}

// planOne fills it with the plan of n.
func (e *Engine) planOne(ctx context.Context, n *Node, it *Item) {
	fail := func(err error) {
		it.Action, it.Err = ActionNone, err
	}
	o, err := n.Options(ctx)
	if err != nil {
		fail(err)
		return
	}
	o.Name, o.Install = n.Name, true
	cfg := e.config(n.Namespace)
	sums, err := cfg.Storage().Summaries(ctx, n.Name)
	if err != nil {
		fail(err)
		return
	}
	// The record keeps its labels (lade install --labels) and gains the fleet's.
	lbs := map[string]string{}
	if len(sums) > 0 {
		it.wasLabels = sums[len(sums)-1].Labels
		maps.Copy(lbs, it.wasLabels)
	}
	maps.Copy(lbs, o.Labels)
	lbs[FleetLabel] = e.Fleet
	o.Labels = lbs
	pl, err := planRelease(ctx, cfg, o, e.Diff)
	if err != nil {
		fail(err)
		return
	}
	it.opts, it.plan = o, pl.plan
	it.Report, it.Revision = pl.report, pl.next.Version
	it.Changes = pl.report.Summary
	for _, c := range pl.report.Changes {
		if len(c.Conflicts) > 0 {
			it.Conflicts++
		}
	}
	it.ChartTo = pl.next.ChartRef()
	switch {
	case pl.current == nil:
		it.Action = ActionInstall
	case pl.sameAsCurrent && !pl.report.HasChanges() && maps.Equal(it.wasLabels, lbs):
		it.Action, it.Revision = ActionUnchanged, pl.current.Version
		it.ChartFrom = pl.current.ChartRef()
	default:
		it.Action = ActionUpgrade
		it.ChartFrom = pl.current.ChartRef()
		it.Note = upgradeNote(pl, it.wasLabels[FleetLabel], e.Fleet)
	}
}

// upgradeNote says why an upgrade is planned when its render is the
// deployed one, or when it replaces a revision that is not deployed.
func upgradeNote(pl *planned, wasFleet, fleet string) string {
	switch {
	case pl.current.Info != nil && pl.current.Info.Status != release.StatusDeployed:
		return fmt.Sprintf("replaces %s revision %d", pl.current.Info.Status, pl.current.Version)
	case !pl.sameAsCurrent:
		return ""
	case pl.report.HasChanges():
		return "repairs drift"
	case wasFleet == "":
		return "joins fleet " + fleet
	case wasFleet != fleet:
		return "moves from fleet " + wasFleet
	}
	return ""
}

// planPrunes lists the releases recorded with the fleet's label that are
// not among its members.
func (e *Engine) planPrunes(ctx context.Context, nodes []*Node) ([]*Item, error) {
	members := map[Key]bool{}
	for _, k := range e.Members {
		members[k] = true
	}
	for _, n := range nodes {
		members[n.Key] = true
	}
	sums, err := e.config("").List(ctx, release.ListOptions{
		AllNamespaces: true,
		Selector:      labels.SelectorFromSet(labels.Set{FleetLabel: e.Fleet}),
	})
	if err != nil {
		return nil, fmt.Errorf("list the releases of fleet %q: %w", e.Fleet, err)
	}
	var out []*Item
	var mu sync.Mutex
	parallel.For(e.concurrency(), len(sums), func(i int) {
		sm := sums[i]
		k := Key{Namespace: sm.Namespace, Name: sm.Name}
		if members[k] || sm.Status == release.StatusUninstalled {
			return
		}
		it := &Item{Key: k, Action: ActionPrune, ChartFrom: sm.Chart, Revision: sm.Version}
		if err := e.previewPrune(ctx, it); err != nil {
			it.Action, it.Err = ActionNone, err
		}
		mu.Lock()
		out = append(out, it)
		mu.Unlock()
	})
	slices.SortFunc(out, func(a, b *Item) int {
		if a.Namespace != b.Namespace {
			return compare(a.Namespace, b.Namespace)
		}
		return compare(a.Name, b.Name)
	})
	return out, nil
}

// previewPrune fills a prune item's report: every object of the release's
// newest revision is deleted.
func (e *Engine) previewPrune(ctx context.Context, it *Item) error {
	cfg := e.config(it.Namespace)
	rel, err := cfg.Storage().Last(ctx, it.Name)
	if err != nil {
		return err
	}
	rep, err := previewUninstall(cfg, rel, e.Diff)
	if err != nil {
		return err
	}
	it.Report, it.Changes = rep, rep.Summary
	return nil
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
