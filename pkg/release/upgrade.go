package release

import (
	"context"
	"fmt"
	"maps"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
	"github.com/lade-dev/lade/pkg/values"
)

// UpgradeOptions describe an upgrade.
type UpgradeOptions struct {
	InstallOptions
	// Install installs the release when it does not exist (-i/--install).
	Install              bool
	ReuseValues          bool
	ResetValues          bool
	ResetThenReuseValues bool
	// ResetOverlay drops the overlay recorded in the current revision instead of reusing it.
	ResetOverlay bool
	// OnInstall, when set, is called when Install turns the upgrade into an
	// install (the release does not exist, or was uninstalled), before it
	// renders; PlanUpgrade calls it too, PreviewUpgrade does not.
	OnInstall func()
}

// Upgrade renders a chart as the next revision of a release, applies it and
// deletes what the new revision no longer contains: under the release's
// lease it plans the upgrade (PlanUpgrade) and deploys the plan (Deploy).
func (c *Config) Upgrade(ctx context.Context, o UpgradeOptions) (*Release, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.HideSecret && !o.DryRun.Enabled() {
		return nil, ErrHideSecretNeedsDryRun
	}
	if o.CreateNamespace && o.Install && !o.DryRun.Enabled() {
		if err := c.createNamespace(ctx); err != nil {
			return nil, err
		}
	}
	return c.planAndDeploy(ctx, o.Name, "lade upgrade "+o.Name+" CHART", &o.CommonOptions, func(ctx context.Context) (*Plan, error) {
		return c.planUpgrade(ctx, &o)
	})
}

// planUpgrade plans an upgrade of the newest deployed revision (or, when
// none is, of the newest revision), or with o.Install an install.
func (c *Config) planUpgrade(ctx context.Context, o *UpgradeOptions) (*Plan, error) {
	st := c.Storage()
	sums, err := st.Summaries(ctx, o.Name)
	if err != nil {
		return nil, err
	}
	command := "lade upgrade " + o.Name + " CHART"
	if len(sums) == 0 || (o.Install && sums[len(sums)-1].Status == StatusUninstalled) {
		if !o.Install {
			return nil, fmt.Errorf("%q has no deployed releases (use `lade upgrade --install` or `lade install`)", o.Name)
		}
		// As Helm: upgrade --install over an uninstalled release replaces it.
		o.Replace = o.Replace || len(sums) > 0
		if o.OnInstall != nil {
			o.OnInstall()
		}
		return c.planInstallOver(ctx, &o.InstallOptions, sums, command)
	}
	last := sums[len(sums)-1]
	var current *Release
	for i := len(sums) - 1; i >= 0; i-- {
		if sums[i].Status == StatusDeployed {
			if current, err = st.Get(ctx, o.Name, sums[i].Version); err != nil {
				return nil, err
			}
			break
		}
	}
	if current == nil {
		if last.Status == StatusUninstalled || last.Status == StatusUninstalling {
			return nil, fmt.Errorf("%q has no deployed releases", o.Name)
		}
		if current, err = st.Get(ctx, o.Name, last.Version); err != nil {
			return nil, err
		}
	}
	base, err := st.ladeRevision(ctx, current, sums)
	if err != nil {
		return nil, err
	}
	reuseOverlay(o, base)
	if o.Values, err = reuseValues(o, current); err != nil {
		return nil, err
	}
	rev := last.Version + 1
	step, err := c.planChartCRDs(ctx, &o.InstallOptions, false, current.Chart)
	if err != nil {
		return nil, err
	}
	res, err := c.render(ctx, &o.InstallOptions, rev, true, false, step.objects())
	if err != nil {
		return nil, err
	}
	rel := c.newRelease(&o.InstallOptions, res, rev, StatusPendingUpgrade, "Preparing upgrade")
	rel.FieldManager = fieldManager(o.FieldManager, current, base)
	o.takeOverFrom = takeOverFrom(rel.FieldManager, sums, current.Version, current, base)
	if !current.Info.FirstDeployed.IsZero() {
		rel.Info.FirstDeployed = current.Info.FirstDeployed
	}
	if o.Labels == nil {
		rel.Labels = current.Labels
	}
	p := &Plan{Operation: OpUpgrade, Next: rel, Current: current, install: &o.InstallOptions, common: o.CommonOptions,
		newest: last, res: res, command: command, crdStep: step, crds: step.objects(), crdResults: step.results}
	if !step.fresh {
		// Objects of kinds the CRD step creates are built in the deploy.
		if err := c.buildNext(p); err != nil {
			return nil, err
		}
		if err := c.checkPlanTemplates(ctx, p); err != nil {
			return nil, err
		}
	}
	if err := c.buildCurrent(p); err != nil {
		return nil, err
	}
	if current.Version == last.Version {
		p.unchanged = unchangedObjects(current, p.objs, p.old)
	}
	return p, nil
}

// deployUpgrade carries out an upgrade plan: the ownership check of the
// objects new to the release, the record, the objects (those in
// p.unchanged only when drifted) and hooks, the deletion of what the
// release no longer has; a failure is recorded and, with Atomic, rolled back.
func (c *Config) deployUpgrade(ctx context.Context, p *Plan) (*Release, error) {
	o, rel := p.install, p.Next
	objs, err := c.crdStepAndObjects(ctx, p, "unable to build kubernetes objects from new release manifest")
	if err != nil {
		return nil, err
	}
	old, err := c.mappedCurrent(p)
	if err != nil {
		return nil, err
	}
	if !o.TakeOwnership {
		had := map[string]bool{}
		for _, r := range old {
			had[r.Key()] = true
		}
		var fresh []*kube.Resource
		for _, r := range objs {
			if !had[r.Key()] {
				fresh = append(fresh, r)
			}
		}
		if err := c.Kube.CheckOwnership(ctx, fresh, rel.Name, rel.Namespace); err != nil {
			return nil, fmt.Errorf("unable to continue with update: %w", err)
		}
	}
	if o.DryRun.Enabled() {
		if o.DryRun == DryRunServer {
			if err := c.Kube.Apply(ctx, objs, kube.ApplyOptions{Force: o.ForceConflicts, DryRun: true, FieldManager: rel.FieldManager}); err != nil {
				return nil, err
			}
		}
		rel.Info.Description = "Dry run complete"
		hideSecrets(o, rel, p.res)
		return rel, nil
	}
	st := c.Storage()
	if err := st.Create(ctx, rel); err != nil {
		return nil, err
	}
	err = c.applyRevision(ctx, rel, objs, old, p.unchanged, render.HookPreUpgrade, render.HookPostUpgrade, &p.common)
	if err != nil {
		return rel, c.failed(ctx, rel, err, o.Atomic, undoRollback, func(ctx context.Context) error {
			_, rerr := c.rollback(ctx, &RollbackOptions{Name: rel.Name, CommonOptions: CommonOptions{Wait: true, Timeout: o.Timeout, HistoryMax: o.HistoryMax}})
			return rerr
		})
	}
	if err := confirmLease(ctx); err != nil {
		return rel, err
	}
	if err := c.supersede(ctx, rel.Name, rel.Version); err != nil {
		return rel, err
	}
	rel.Info.Status = StatusDeployed
	rel.Info.Description = "Upgrade complete"
	if o.Description != "" {
		rel.Info.Description = o.Description
	}
	if err := st.Update(ctx, rel); err != nil {
		return rel, err
	}
	return rel, st.Prune(ctx, rel.Name, o.HistoryMax)
}

// UnchangedObjects returns the keys of objs (the objects of next, with
// ownership metadata) that the upgrade to next may leave unapplied when
// their live state still holds them (kube.UpToDate): those identical to the
// same object of current, when current is the newest revision and lade
// deployed it. next and current are a plan's Next and Current; old are the
// objects of current's manifest. It is the rule Upgrade applies.
func UnchangedObjects(next, current *Release, objs, old []*kube.Resource) map[string]bool {
	if next == nil || current == nil || current.Version != next.Version-1 {
		return nil
	}
	return unchangedObjects(current, objs, old)
}

// unchangedObjects returns the keys of objs identical to the same object in
// current, the newest revision, when lade deployed it: lade's last apply of
// each such object set exactly the fields objs sets, so Apply may skip the
// ones whose live state still holds them (kube.ApplyOptions.Unchanged).
// A revision Helm wrote, or one that is not deployed, yields none.
func unchangedObjects(current *Release, objs, old []*kube.Resource) map[string]bool {
	if current.Info.Status != StatusDeployed || current.Holder == "" {
		return nil
	}
	prev := make(map[string]*kube.Resource, len(old))
	for _, r := range old {
		if _, dup := prev[r.Key()]; dup {
			prev[r.Key()] = nil
			continue
		}
		prev[r.Key()] = r
	}
	out := map[string]bool{}
	seen := map[string]int{}
	for _, r := range objs {
		seen[r.Key()]++
	}
	for _, r := range objs {
		p := prev[r.Key()]
		if p == nil || seen[r.Key()] > 1 {
			continue
		}
		// The previous object as that apply sent it: with the ownership
		// metadata (on copies of the top level and metadata maps only).
		o := maps.Clone(p.Object.Object)
		if md, ok := o["metadata"].(map[string]any); ok {
			o["metadata"] = maps.Clone(md)
		}
		kube.SetOwnership([]*kube.Resource{{Object: &unstructured.Unstructured{Object: o}}}, current.Name, current.Namespace)
		// Both sides come from the same YAML parser, so equal values have
		// equal Go types: reflect.DeepEqual is JSON equality here (and
		// never looser), without marshalling 2 x N objects.
		if reflect.DeepEqual(r.Object.Object, o) {
			out[r.Key()] = true
		}
	}
	return out
}

// reuseValues applies --reset-values, --reuse-values and
// --reset-then-reuse-values as Helm does.
func reuseValues(o *UpgradeOptions, current *Release) (map[string]any, error) {
	newVals := o.Values
	switch {
	case o.ResetValues:
		return newVals, nil
	case o.ReuseValues:
		oldVals, err := values.CoalesceValues(current.Chart, maps.Clone(current.Config))
		if err != nil {
			return nil, fmt.Errorf("failed to rebuild old values: %w", err)
		}
		newVals = values.CoalesceTables(newVals, current.Config)
		o.Chart.Values = oldVals
		return newVals, nil
	case o.ResetThenReuseValues:
		return values.CoalesceTables(newVals, current.Config), nil
	}
	if len(newVals) == 0 && len(current.Config) > 0 {
		return current.Config, nil
	}
	return newVals, nil
}
