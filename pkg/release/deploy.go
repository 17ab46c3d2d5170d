package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// Deploy carries out p exactly under the release's lease, or refuses with
// ErrPlanStale when the newest revision changed since p was planned.
//
// A dry-run plan takes no lease and writes nothing; the deploy is the one
// Install, Upgrade and Rollback run (the CRD step, hooks, apply, prune, wait,
// --rollback-on-failure...).
func (c *Config) Deploy(ctx context.Context, p *Plan) (*Release, error) {
	if p == nil || p.Next == nil {
		return nil, errors.New("deploy: no plan")
	}
	if p.common.DryRun.Enabled() {
		return c.deploy(ctx, p)
	}
	if p.Operation == OpInstall && p.install.CreateNamespace {
		if err := c.createNamespace(ctx); err != nil {
			return nil, err
		}
	}
	return c.withLease(ctx, p.Next.Name, p.command, p.common.RecoverPending, func(ctx context.Context) (*Release, error) {
		if err := c.stale(ctx, p); err != nil {
			return nil, err
		}
		return c.deploy(ctx, p)
	})
}

// planAndDeploy is Install, Upgrade and Rollback: plan under the lease
// (none for a dry run), then deploy that plan.
func (c *Config) planAndDeploy(ctx context.Context, name, command string, o *CommonOptions, plan func(context.Context) (*Plan, error)) (*Release, error) {
	run := func(ctx context.Context) (*Release, error) {
		p, err := plan(ctx)
		if err != nil {
			return nil, err
		}
		return c.deploy(ctx, p)
	}
	if o.DryRun.Enabled() {
		return run(ctx)
	}
	return c.withLease(ctx, name, command, o.RecoverPending, run)
}

// deploy carries out p under the lease ctx holds (none for a dry run).
func (c *Config) deploy(ctx context.Context, p *Plan) (*Release, error) {
	now := time.Now()
	p.Next.Holder, p.Next.Info.LastDeployed = c.holder(), now
	switch p.Operation {
	case OpInstall:
		p.Next.Info.FirstDeployed = now
		return c.deployInstall(ctx, p)
	case OpUpgrade:
		return c.deployUpgrade(ctx, p)
	case OpRollback:
		return c.deployRollback(ctx, p)
	}
	return nil, fmt.Errorf("deploy: unknown operation %q", p.Operation)
}

// newCRDs returns the definitions the CRD step of p changes: those it
// applies (CRDsCreateReplace), and those it creates that do not exist yet.
func (c *Config) newCRDs(ctx context.Context, p *Plan) ([]*kube.Resource, error) {
	if p.crdStep == nil {
		return nil, nil
	}
	fresh := append([]*kube.Resource(nil), p.crdStep.apply...)
	for _, r := range p.crdStep.create {
		live, err := c.Kube.Get(ctx, r)
		if err != nil {
			return nil, err
		}
		if live == nil {
			fresh = append(fresh, r)
		}
	}
	return fresh, nil
}

// mappedNext returns the objects of p.Next, every one of a kind the
// cluster serves: built now when the plan could not (after the CRD step of
// an install); objects of kinds not served fail with what, their names.
func (c *Config) mappedNext(p *Plan, what string) ([]*kube.Resource, error) {
	if p.built && len(p.unmapped) == 0 {
		return p.objs, nil
	}
	objs, err := c.Kube.Build(p.Next.Manifest, c.Namespace)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	kube.SetOwnership(objs, p.Next.Name, c.Namespace)
	p.objs, p.unmapped, p.built = objs, nil, true
	return objs, nil
}

// mappedCurrent returns the objects of p.Current, failing as
// storedObjects does when one is of a kind the cluster does not serve.
func (c *Config) mappedCurrent(p *Plan) ([]*kube.Resource, error) {
	if len(p.oldUnmapped) == 0 {
		return p.old, nil
	}
	if _, err := c.storedObjects(p.Current); err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from current release manifest: %w", err)
	}
	return p.old, nil
}

// createNamespace creates the release namespace (--create-namespace).
func (c *Config) createNamespace(ctx context.Context) error {
	_, err := c.Kube.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: c.Namespace, Labels: map[string]string{"name": c.Namespace}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %q: %w", c.Namespace, err)
	}
	return nil
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

// ErrInterrupted is the cause with which the command line cancels an
// operation's context when the user interrupts it (Ctrl-C, SIGTERM). An
// operation stopped so records its revision failed, saying it was
// interrupted, and releases the lease.
var ErrInterrupted = errors.New("interrupted")

// detached returns a context for what an operation still has to do after
// ctx was cancelled (record the outcome, undo): not cancelled with ctx,
// except when the lease was lost, and bounded by timeout.
func detached(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	d := context.WithoutCancel(ctx)
	if l, ok := ctx.Value(lockKey{}).(*Lock); ok {
		var cancelLease context.CancelFunc
		d, cancelLease = l.Context(d)
		t, cancel := context.WithTimeout(d, timeout)
		return t, func() { cancel(); cancelLease() }
	}
	return context.WithTimeout(d, timeout)
}

// stoppedCause returns cause, saying first that the operation was
// interrupted when ctx was (and cause does not say it already).
func stoppedCause(ctx context.Context, cause error) error {
	if ctx.Err() == nil || errors.Is(cause, ErrInterrupted) {
		return cause
	}
	if why := context.Cause(ctx); errors.Is(why, ErrInterrupted) {
		return fmt.Errorf("%w (it was stopped at: %w)", why, cause)
	}
	return cause
}

// Limits of a failure recorded as a revision's description.
const (
	maxDescriptionLines = 25
	maxDescriptionBytes = 4096
)

// failureDescription is prefix and the error, cut to a length a history
// and a Secret label-less record can carry comfortably.
func failureDescription(prefix string, cause error) string {
	desc := prefix + cause.Error()
	lines := strings.Split(desc, "\n")
	if len(lines) > maxDescriptionLines {
		desc = strings.Join(lines[:maxDescriptionLines], "\n") + fmt.Sprintf("\n  ... (%d more lines)", len(lines)-maxDescriptionLines)
	}
	if len(desc) > maxDescriptionBytes {
		cut := maxDescriptionBytes - 3
		for cut > 0 && !utf8.RuneStart(desc[cut]) {
			cut--
		}
		desc = desc[:cut] + "..."
	}
	return desc
}

// undoKind is what --rollback-on-failure does to a failed operation.
type undoKind int

const (
	undoUninstall undoKind = iota // a failed install is uninstalled
	undoRollback                  // a failed upgrade is rolled back
)

// failed records a failed revision and, with atomic, undoes the operation
// (as Helm 4 words it: a failed install is uninstalled, a failed upgrade
// rolled back). Both happen even when ctx was cancelled by an interrupt.
func (c *Config) failed(ctx context.Context, rel *Release, cause error, atomic bool, kind undoKind, undo func(context.Context) error) error {
	if leaseLost(ctx) || errors.Is(cause, ErrLeaseLost) {
		// Another holder may own the release now: write nothing, undo nothing.
		return cause
	}
	cause = stoppedCause(ctx, cause)
	rel.Info.Status = StatusFailed
	rel.Info.Description = failureDescription(fmt.Sprintf("Release %q failed: ", rel.Name), cause)
	rctx, cancel := detached(ctx, 30*time.Second)
	err := c.Storage().Update(rctx, rel)
	cancel()
	if err != nil {
		slog.Warn("could not record the failed revision", "release", rel.Name, "error", err)
	}
	if !atomic {
		return cause
	}
	uctx, cancel := detached(ctx, 10*time.Minute)
	defer cancel()
	if kind == undoUninstall {
		c.printf("Release %q failed; uninstalling it (--rollback-on-failure): %v\n", rel.Name, cause)
		if err := undo(uctx); err != nil {
			return fmt.Errorf("an error occurred while uninstalling the release. original install error: %w: %w", cause, err)
		}
		return fmt.Errorf("release %s failed, and has been uninstalled due to rollback-on-failure being set: %w", rel.Name, cause)
	}
	c.printf("Release %q failed; rolling back (--rollback-on-failure): %v\n", rel.Name, cause)
	if err := undo(uctx); err != nil {
		return fmt.Errorf("an error occurred while rolling back the release. original upgrade error: %w: %w", cause, err)
	}
	return fmt.Errorf("release %s failed, and has been rolled back due to rollback-on-failure being set: %w", rel.Name, cause)
}

// applyRevision runs pre hooks, applies objs (skipping those in unchanged
// that the cluster still holds), prunes what old had and objs has not,
// waits, and runs post hooks; with CleanupOnFail a failure deletes the
// objects it created.
func (c *Config) applyRevision(ctx context.Context, rel *Release, objs, old []*kube.Resource, unchanged map[string]bool, pre, post render.HookEvent, o *CommonOptions) error {
	if !o.CleanupOnFail {
		return c.deployObjects(ctx, rel, objs, old, unchanged, pre, post, o)
	}
	created, err := c.Kube.Missing(ctx, objs)
	if err != nil {
		return err
	}
	err = c.deployObjects(ctx, rel, objs, old, unchanged, pre, post, o)
	if err == nil || len(created) == 0 || leaseLost(ctx) || errors.Is(err, ErrLeaseLost) {
		return err
	}
	// Deleting what was created goes on after an interrupt.
	cctx, cancel := detached(ctx, o.timeout())
	defer cancel()
	return c.cleanupCreated(cctx, rel, created, stoppedCause(ctx, err))
}

// cleanupCreated deletes the objects a failed operation created (in
// uninstall order), says which, and returns the operation's error (with the
// cleanup's, if that failed too).
func (c *Config) cleanupCreated(ctx context.Context, rel *Release, created []*kube.Resource, cause error) error {
	gone := sortUninstall(append([]*kube.Resource(nil), created...))
	if err := c.Kube.Delete(ctx, gone, kube.DeleteOptions{}); err != nil {
		return fmt.Errorf("an error occurred while cleaning up resources. original error: %w; unable to cleanup resources: %v", cause, err)
	}
	c.printf("Release %q failed; deleted the resources it created (--cleanup-on-fail):\n", rel.Name)
	for _, r := range gone {
		c.printf("  %s\n", r)
	}
	return cause
}

func (c *Config) deployObjects(ctx context.Context, rel *Release, objs, old []*kube.Resource, unchanged map[string]bool, pre, post render.HookEvent, o *CommonOptions) error {
	if !o.NoHooks {
		if err := c.runHooks(ctx, rel, pre, o.timeout()); err != nil {
			return err
		}
	}
	owned := map[string]bool{}
	for _, r := range old {
		owned[r.Key()] = true
	}
	ao := kube.ApplyOptions{Force: o.ForceConflicts, Owned: owned, Adopt: o.TakeOwnership, Unchanged: unchanged, FieldManager: rel.FieldManager, TakeOverFrom: o.takeOverFrom}
	var handed handOver
	if len(ao.TakeOverFrom) > 0 {
		ao.Unchanged, ao.TookOver = nil, handed.add
	}
	err := c.Kube.Apply(ctx, objs, ao)
	handed.report(c, rel.FieldManager)
	if err != nil {
		return err
	}
	if len(old) > 0 {
		keep := map[string]bool{}
		for _, r := range objs {
			keep[r.Key()] = true
		}
		var gone []*kube.Resource
		for i := len(old) - 1; i >= 0; i-- {
			r := old[i]
			if keep[r.Key()] || r.Object.GetAnnotations()[kube.ResourcePolicyAnno] == kube.ResourcePolicyKeep {
				continue
			}
			gone = append(gone, r)
		}
		gone = sortUninstall(gone)
		if err := c.Kube.Delete(ctx, gone, kube.DeleteOptions{}); err != nil {
			return err
		}
	}
	if o.Wait || o.WaitForJobs {
		if err := c.Kube.Wait(ctx, objs, kube.WaitOptions{Timeout: o.timeout(), WaitForJobs: o.WaitForJobs, Out: c.Out}); err != nil {
			return err
		}
	}
	if !o.NoHooks {
		if err := c.runHooks(ctx, rel, post, o.timeout()); err != nil {
			return err
		}
	}
	return nil
}

func sortUninstall(rs []*kube.Resource) []*kube.Resource {
	rank := map[string]int{}
	for i, k := range render.UninstallOrder {
		rank[k] = i
	}
	sort.SliceStable(rs, func(i, j int) bool {
		ri, iok := rank[rs[i].Kind()]
		rj, jok := rank[rs[j].Kind()]
		if !iok {
			ri = len(rank)
		}
		if !jok {
			rj = len(rank)
		}
		return ri < rj
	})
	return rs
}
