package release

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// install (the release does not exist, or was uninstalled), before it starts.
	OnInstall func()
}

// Upgrade renders a chart as the next revision of a release, applies it and
// deletes what the new revision no longer contains.
func (c *Config) Upgrade(ctx context.Context, o UpgradeOptions) (*Release, error) {
	if err := ValidateName(o.Name); err != nil {
		return nil, fmt.Errorf("release name %q: %w", o.Name, err)
	}
	if o.Values == nil {
		o.Values = map[string]any{}
	}
	if o.HideSecret && !o.DryRun.Enabled() {
		return nil, ErrHideSecretNeedsDryRun
	}
	if err := ValidateFieldManager(o.FieldManager); err != nil {
		return nil, err
	}
	if o.CreateNamespace && o.Install && !o.DryRun.Enabled() {
		if err := c.createNamespace(ctx); err != nil {
			return nil, err
		}
	}
	if !o.DryRun.Enabled() {
		return c.withLease(ctx, o.Name, "lade upgrade "+o.Name+" CHART", o.RecoverPending, func(ctx context.Context) (*Release, error) {
			return c.upgrade(ctx, &o)
		})
	}
	return c.upgrade(ctx, &o)
}

func (c *Config) upgrade(ctx context.Context, o *UpgradeOptions) (*Release, error) {
	st := c.Storage()
	sums, err := st.Summaries(ctx, o.Name)
	if err != nil {
		return nil, err
	}
	if len(sums) == 0 || (o.Install && sums[len(sums)-1].Status == StatusUninstalled) {
		if !o.Install {
			return nil, fmt.Errorf("%q has no deployed releases (use `lade upgrade --install` or `lade install`)", o.Name)
		}
		// As Helm: upgrade --install over an uninstalled release replaces it.
		o.Replace = o.Replace || len(sums) > 0
		if o.OnInstall != nil {
			o.OnInstall()
		}
		return c.install(ctx, &o.InstallOptions)
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
	res, err := c.render(ctx, &o.InstallOptions, rev, true, false)
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
	built, err := c.renderedObjects(rel, false)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from new release manifest: %w", err)
	}
	objs := built.Resources
	kube.SetOwnership(objs, rel.Name, rel.Namespace)
	old, err := c.storedObjects(current)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from current release manifest: %w", err)
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
		hideSecrets(&o.InstallOptions, rel, res)
		return rel, nil
	}
	if err := st.Create(ctx, rel); err != nil {
		return nil, err
	}
	var unchanged map[string]bool
	if current.Version == last.Version {
		unchanged = unchangedObjects(current, objs, old)
	}
	err = c.deploy(ctx, rel, objs, old, unchanged, render.HookPreUpgrade, render.HookPostUpgrade, &o.CommonOptions)
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
// deployed it. next and current are what PlanUpgrade returns; old are the
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

// supersede marks every other deployed revision superseded.
func (c *Config) supersede(ctx context.Context, name string, except int) error {
	st := c.Storage()
	sums, err := st.Summaries(ctx, name)
	if err != nil {
		return err
	}
	for _, sm := range sums {
		if sm.Version == except || sm.Status != StatusDeployed {
			continue
		}
		r, err := st.Get(ctx, name, sm.Version)
		if err != nil {
			return err
		}
		r.Info.Status = StatusSuperseded
		if err := st.Update(ctx, r); err != nil {
			return err
		}
	}
	return nil
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

// RollbackOptions describe a rollback.
type RollbackOptions struct {
	CommonOptions
	Name string
	// Version to roll back to (0 = the revision before the current one).
	Version int
}

// Rollback re-deploys an earlier revision as a new revision.
func (c *Config) Rollback(ctx context.Context, o RollbackOptions) (*Release, error) {
	if err := ValidateFieldManager(o.FieldManager); err != nil {
		return nil, err
	}
	if !o.DryRun.Enabled() {
		return c.withLease(ctx, o.Name, "lade rollback "+o.Name, o.RecoverPending, func(ctx context.Context) (*Release, error) {
			return c.rollback(ctx, &o)
		})
	}
	return c.rollback(ctx, &o)
}

func (c *Config) rollback(ctx context.Context, o *RollbackOptions) (*Release, error) {
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
	objs, err := c.storedObjects(prev)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from revision %d: %w", target, err)
	}
	kube.SetOwnership(objs, rel.Name, rel.Namespace)
	old, err := c.storedObjects(current)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from current release manifest: %w", err)
	}
	if o.DryRun == DryRunServer {
		if err := c.Kube.Apply(ctx, objs, kube.ApplyOptions{Force: o.ForceConflicts, DryRun: true, FieldManager: rel.FieldManager}); err != nil {
			return nil, err
		}
	}
	if o.DryRun.Enabled() {
		return rel, nil
	}
	if err := st.Create(ctx, rel); err != nil {
		return nil, err
	}
	err = c.deploy(ctx, rel, objs, old, nil, render.HookPreRollback, render.HookPostRollback, &o.CommonOptions)
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

// UninstallOptions describe an uninstall.
// Of the common options it reads NoHooks, Wait, Timeout, Description and
// DryRun (any mode only reports the release that would be uninstalled).
type UninstallOptions struct {
	CommonOptions
	Name           string
	KeepHistory    bool
	IgnoreNotFound bool
	// Cascade is background (default), foreground or orphan.
	Cascade string
}

// Uninstall deletes a release's objects (except helm.sh/resource-policy:
// keep) and its history (unless KeepHistory).
func (c *Config) Uninstall(ctx context.Context, o UninstallOptions) (*Release, error) {
	if !o.DryRun.Enabled() {
		return c.withLease(ctx, o.Name, "lade uninstall "+o.Name, true, func(ctx context.Context) (*Release, error) {
			return c.uninstall(ctx, &o)
		})
	}
	return c.uninstall(ctx, &o)
}

func (c *Config) uninstall(ctx context.Context, o *UninstallOptions) (*Release, error) {
	st := c.Storage()
	rel, err := st.Last(ctx, o.Name)
	if errors.Is(err, ErrNotFound) {
		if o.IgnoreNotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("uninstall: Release not loaded: %s: %w", o.Name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if o.DryRun.Enabled() {
		return rel, nil
	}
	if rel.Info.Status == StatusUninstalled {
		if !o.KeepHistory {
			return rel, c.purge(ctx, o.Name)
		}
		return nil, fmt.Errorf("the release named %q is already deleted", o.Name)
	}
	// Built before anything changes: a manifest that cannot be built
	// leaves the release as it was.
	objs, err := c.storedObjects(rel)
	if err != nil {
		return rel, fmt.Errorf("unable to build kubernetes objects for delete: %w", err)
	}
	rel.Info.Status = StatusUninstalling
	rel.Info.Deleted = time.Now()
	rel.Info.Description = "Deletion in progress (or silently failed)"
	rel.Holder = c.holder()
	if err := st.Update(ctx, rel); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	if !o.NoHooks {
		if err := c.runHooks(ctx, rel, render.HookPreDelete, timeout); err != nil {
			return rel, err
		}
	}
	var del []*kube.Resource
	var kept []string
	for _, r := range objs {
		if r.Object.GetAnnotations()[kube.ResourcePolicyAnno] == kube.ResourcePolicyKeep {
			kept = append(kept, r.String())
			continue
		}
		del = append(del, r)
	}
	if len(kept) > 0 {
		c.printf("These resources were kept due to the resource policy:\n")
		for _, k := range kept {
			c.printf("[%s]\n", k)
		}
	}
	prop := metav1.DeletionPropagation(o.Cascade)
	switch prop {
	case "", "background":
		prop = metav1.DeletePropagationBackground
	case "foreground":
		prop = metav1.DeletePropagationForeground
	case "orphan":
		prop = metav1.DeletePropagationOrphan
	default:
		return rel, fmt.Errorf("invalid cascade value %q: must be background, foreground or orphan", o.Cascade)
	}
	if err := c.Kube.Delete(ctx, sortUninstall(del), kube.DeleteOptions{Propagation: prop, Wait: o.Wait, Timeout: timeout}); err != nil {
		return rel, err
	}
	if !o.NoHooks {
		if err := c.runHooks(ctx, rel, render.HookPostDelete, timeout); err != nil {
			return rel, err
		}
	}
	rel.Info.Status = StatusUninstalled
	rel.Info.Description = "Uninstallation complete"
	if o.Description != "" {
		rel.Info.Description = o.Description
	}
	if o.KeepHistory {
		return rel, st.Update(ctx, rel)
	}
	return rel, c.purge(ctx, o.Name)
}

func (c *Config) purge(ctx context.Context, name string) error {
	st := c.Storage()
	sums, err := st.Summaries(ctx, name)
	if err != nil {
		return err
	}
	for _, sm := range sums {
		if err := st.Delete(ctx, name, sm.Version); err != nil {
			return err
		}
	}
	return nil
}

// Test runs the release's test hooks under the release's lease (it records
// their results in the newest revision, and must not race an upgrade).
func (c *Config) Test(ctx context.Context, name string, o TestOptions) (*Release, error) {
	return c.withLease(ctx, name, "lade test "+name, false, func(ctx context.Context) (*Release, error) {
		return c.test(ctx, name, o)
	})
}

// TestOptions are the options of Test.
type TestOptions struct {
	// Timeout bounds each test hook (5 minutes when 0).
	Timeout time.Duration
	// Include, when set, runs only the tests of these names; Exclude skips
	// the tests of these names (helm test --filter name=X, !name=X).
	Include, Exclude []string
}

func (c *Config) test(ctx context.Context, name string, o TestOptions) (*Release, error) {
	rel, err := c.Storage().Last(ctx, name)
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	selected := func(h *Hook) bool {
		return !slices.Contains(o.Exclude, h.Name) && (len(o.Include) == 0 || slices.Contains(o.Include, h.Name))
	}
	terr := c.runSelectedHooks(ctx, rel, render.HookTest, timeout, selected)
	if leaseLost(ctx) {
		return rel, terr
	}
	if err := c.Storage().Update(ctx, rel); err != nil && !apierrors.IsConflict(err) {
		return rel, err
	}
	return rel, terr
}
