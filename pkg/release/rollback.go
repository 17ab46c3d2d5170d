package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// RollbackOptions describe a rollback.
type RollbackOptions struct {
	CommonOptions
	Name string
	// Version to roll back to (0 = the revision before the current one).
	Version int
}

// Rollback re-deploys an earlier revision as a new revision: under the
// release's lease it plans the rollback (PlanRollback) and deploys the
// plan (Deploy).
func (c *Config) Rollback(ctx context.Context, o RollbackOptions) (*Release, error) {
	if err := ValidateFieldManager(o.FieldManager); err != nil {
		return nil, err
	}
	return c.planAndDeploy(ctx, o.Name, "lade rollback "+o.Name, &o.CommonOptions, func(ctx context.Context) (*Plan, error) {
		return c.planRollback(ctx, &o)
	})
}

// rollback plans and deploys a rollback under the lease ctx holds
// (--rollback-on-failure of an upgrade).
func (c *Config) rollback(ctx context.Context, o *RollbackOptions) (*Release, error) {
	p, err := c.planRollback(ctx, o)
	if err != nil {
		return nil, err
	}
	return c.deploy(ctx, p)
}

// planRollback plans a rollback: the target revision's manifest, hooks,
// chart and values as the next revision, replacing the newest.
func (c *Config) planRollback(ctx context.Context, o *RollbackOptions) (*Plan, error) {
	st := c.Storage()
	sums, err := st.Summaries(ctx, o.Name)
	if err != nil {
		return nil, err
	}
	if len(sums) == 0 {
		return nil, fmt.Errorf("%w: %q in namespace %q", ErrNotFound, o.Name, c.Namespace)
	}
	last := sums[len(sums)-1]
	target := o.Version
	if target == 0 {
		// The previous deployed-or-superseded revision before the newest.
		for i := len(sums) - 2; i >= 0; i-- {
			if sums[i].Status == StatusDeployed || sums[i].Status == StatusSuperseded {
				target = sums[i].Version
				break
			}
		}
		if target == 0 {
			return nil, fmt.Errorf("release %q has no earlier revision to roll back to", o.Name)
		}
	}
	prev, err := st.Get(ctx, o.Name, target)
	if err != nil {
		return nil, err
	}
	if IsStubManifest(prev.Manifest) {
		return nil, fmt.Errorf("cannot roll back release %q to revision %d: %w (its continuation Secrets are gone)", o.Name, target, ErrStubManifest)
	}
	current, err := st.Get(ctx, o.Name, last.Version)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	desc := fmt.Sprintf("Rollback to %d", target)
	if o.Description != "" {
		desc = o.Description
	}
	rel := &Release{
		Name: o.Name, Namespace: c.Namespace, Version: last.Version + 1, Chart: prev.Chart, Config: prev.Config,
		Manifest: prev.Manifest, Hooks: prev.Hooks, ApplyMethod: "ssa", Labels: prev.Labels, Holder: c.holder(), Overlay: prev.Overlay,
		Info: &Info{FirstDeployed: current.Info.FirstDeployed, LastDeployed: now, Status: StatusPendingRollback,
			Description: desc, Notes: prev.Info.Notes, RollbackRevision: target},
		FieldManager: fieldManager(o.FieldManager, current, prev),
	}
	from := last.Version
	for _, sm := range sums {
		if sm.Status == StatusDeployed {
			from = min(from, sm.Version)
		}
	}
	o.takeOverFrom = takeOverFrom(rel.FieldManager, sums, from, current, prev)
	p := &Plan{Operation: OpRollback, Next: rel, Current: current, common: o.CommonOptions, newest: last,
		command: "lade rollback " + o.Name, built: true}
	b, err := c.StoredObjects(prev, true)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from revision %d: %w", target, err)
	}
	p.objs, p.unmapped = b.Resources, b.Unmapped
	kube.SetOwnership(p.objs, rel.Name, rel.Namespace)
	for _, u := range p.unmapped {
		kube.SetOwnership([]*kube.Resource{{Object: u}}, rel.Name, rel.Namespace)
	}
	if err := c.checkPlanTemplates(ctx, p); err != nil {
		return nil, err
	}
	if err := c.buildCurrent(p); err != nil {
		return nil, err
	}
	return p, nil
}

// deployRollback carries out a rollback plan: the record, the objects and
// hooks of the target revision, the deletion of what it does not have; a
// failure is recorded.
func (c *Config) deployRollback(ctx context.Context, p *Plan) (*Release, error) {
	rel, o := p.Next, &p.common
	if err := c.refuseCRDs(p.crdResults, o.ForceCRDUpdate); err != nil {
		return nil, err
	}
	if len(p.unmapped) > 0 {
		if _, err := c.storedObjects(rel); err != nil {
			return nil, fmt.Errorf("unable to build kubernetes objects from revision %d: %w", rel.Info.RollbackRevision, err)
		}
	}
	old, err := c.mappedCurrent(p)
	if err != nil {
		return nil, err
	}
	if o.DryRun == DryRunServer {
		if err := c.Kube.Apply(ctx, p.objs, kube.ApplyOptions{Force: o.ForceConflicts, DryRun: true, FieldManager: rel.FieldManager}); err != nil {
			return nil, err
		}
	}
	if o.DryRun.Enabled() {
		return rel, nil
	}
	st := c.Storage()
	if err := st.Create(ctx, rel); err != nil {
		return nil, err
	}
	err = c.applyRevision(ctx, rel, p.objs, old, nil, render.HookPreRollback, render.HookPostRollback, o)
	if err == nil {
		err = confirmLease(ctx)
	}
	if err != nil {
		if leaseLost(ctx) || errors.Is(err, ErrLeaseLost) {
			return rel, err
		}
		err = stoppedCause(ctx, err)
		rel.Info.Status = StatusFailed
		rel.Info.Description = failureDescription(fmt.Sprintf("Rollback %q failed: ", rel.Name), err)
		rctx, cancel := detached(ctx, 30*time.Second)
		_ = st.Update(rctx, rel)
		cancel()
		return rel, err
	}
	if err := c.supersede(ctx, rel.Name, rel.Version); err != nil {
		return rel, err
	}
	rel.Info.Status = StatusDeployed
	if err := st.Update(ctx, rel); err != nil {
		return rel, err
	}
	return rel, st.Prune(ctx, rel.Name, o.HistoryMax)
}
