package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// Config is what every release operation needs.
type Config struct {
	Kube      *kube.Client
	Namespace string
	// Out receives progress (waiting, hooks, recovery notices); nil discards.
	Out io.Writer
	// Holder identifies this process in leases (default Identity()).
	Holder string
	// LeaseDuration is how long the lease lives without renewal (default 30s).
	LeaseDuration time.Duration
	// Warn receives warnings, such as objects of stored revisions whose API
	// version the cluster no longer serves (see StoredObjects); nil logs
	// them with slog.
	Warn io.Writer

	warnMu sync.Mutex
	warned map[string]bool // warnings given, see warnRemapped
}

// Storage returns the release storage of the namespace.
func (c *Config) Storage() *Storage {
	return NewStorage(c.Kube.Clientset, c.Kube.Metadata, c.Namespace)
}

func (c *Config) printf(format string, args ...any) {
	if c.Out != nil {
		fmt.Fprintf(c.Out, format, args...)
	}
}

func (c *Config) holder() string {
	if c.Holder == "" {
		c.Holder = Identity()
	}
	return c.Holder
}

// lock takes the release lease and settles what an interrupted operation
// left: a pending revision written by a lade holder that no longer holds the
// lease is marked failed; one left by Helm (no holder) is refused unless
// recoverPending, with the command that recovers it.
func (c *Config) lock(ctx context.Context, name, command string, recoverPending bool) (*Lock, error) {
	l, err := Acquire(ctx, c.Kube.Clientset, c.Namespace, name, c.holder(), c.LeaseDuration)
	if err != nil {
		return nil, err
	}
	if l.TookOver != "" {
		c.printf("Took over the lease of release %q from %s, which stopped renewing it.\n", name, l.TookOver)
	}
	st := c.Storage()
	sums, err := st.Summaries(ctx, name)
	if err != nil {
		l.Release()
		return nil, err
	}
	for _, sm := range sums {
		if !sm.Status.IsPending() {
			continue
		}
		if sm.Holder == "" && !recoverPending {
			l.Release()
			return nil, fmt.Errorf("%w: release %q revision %d is %s and no lade operation holds its lease (it was probably left by an interrupted helm command). If nothing is still working on it, recover with:\n  %s --recover-pending",
				ErrLocked, name, sm.Version, sm.Status, command)
		}
		r, err := st.Get(ctx, name, sm.Version)
		if err != nil {
			l.Release()
			return nil, err
		}
		who := sm.Holder
		if who == "" {
			who = "an unknown process"
		}
		r.Info.Status = StatusFailed
		r.Info.Description = fmt.Sprintf("Interrupted: the %s by %s did not finish; marked failed by lade", strings.TrimPrefix(string(sm.Status), "pending-"), who)
		if err := st.Update(ctx, r); err != nil {
			l.Release()
			return nil, err
		}
		c.printf("Revision %d of release %q was left %s by %s; marked it failed.\n", sm.Version, name, sm.Status, who)
	}
	return l, nil
}

// DryRun says whether an operation only simulates, and how far.
type DryRun string

// The dry-run modes, as --dry-run names them.
const (
	// DryRunNone changes the cluster and records a revision.
	DryRunNone DryRun = ""
	// DryRunClient renders and plans without writing to the cluster.
	DryRunClient DryRun = "client"
	// DryRunServer also sends every object to the API server with dryRun=All.
	DryRunServer DryRun = "server"
)

// Enabled reports whether d simulates (client or server).
func (d DryRun) Enabled() bool { return d != DryRunNone }

// CommonOptions are shared by install, upgrade, rollback and uninstall.
type CommonOptions struct {
	NoHooks        bool
	Wait           bool
	WaitForJobs    bool
	Timeout        time.Duration
	ForceConflicts bool
	TakeOwnership  bool
	// Atomic (--rollback-on-failure) undoes a failed operation.
	Atomic      bool
	HistoryMax  int
	DryRun      DryRun
	Description string
	// RecoverPending marks a pending revision without a lade lease failed and proceeds.
	RecoverPending bool
	// CleanupOnFail (--cleanup-on-fail, upgrade and rollback) deletes, when
	// the operation fails after applying, the objects it created: those of
	// the new revision that did not exist in the cluster before it. Objects
	// that existed are left as the failed operation left them.
	CleanupOnFail bool
	// FieldManager (--field-manager) is the server-side apply field
	// manager to apply as, recorded in the revision; "" keeps the one the
	// release recorded, or DefaultFieldManager (see manager.go).
	FieldManager string

	// takeOverFrom are the managers the deploy takes ownership over from
	// (takeOverFrom in manager.go), set by the operation.
	takeOverFrom []string
}

func (o *CommonOptions) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 5 * time.Minute
	}
	return o.Timeout
}

// InstallOptions describe an install.
type InstallOptions struct {
	CommonOptions
	Name                 string
	Chart                *chart.Chart
	Values               map[string]any
	CreateNamespace      bool
	SkipCRDs             bool
	SkipSchemaValidation bool
	SubNotes             bool
	EnableDNS            bool
	// Limits bound the render (zero fields: render's defaults).
	Limits render.Limits
	Labels map[string]string
	// Capabilities overrides discovery (client dry-run).
	Capabilities *common.Capabilities
	// Overlay is applied to the render (see overlay.go); recorded in the release.
	Overlay *Overlay
	// Replace (--replace) re-uses the name of a release whose newest
	// revision is uninstalled (history kept) or failed, as Helm does: the
	// install becomes the next revision, and an uninstalled predecessor is
	// marked superseded. Without it such a name is refused, as any name in use.
	Replace bool
	// HideSecret (--hide-secret, dry runs only) leaves v1 Secrets out of
	// the returned release's manifest, each replaced by a "# HIDDEN" comment
	// under its "# Source" line, as Helm does.
	HideSecret bool
}

// ErrHideSecretNeedsDryRun is returned when HideSecret is set without a dry run.
var ErrHideSecretNeedsDryRun = errors.New("hiding Kubernetes secrets requires a dry-run mode")

// hideSecrets replaces the manifest of a dry-run release with one that
// leaves out v1 Secrets, when o asks for it.
func hideSecrets(o *InstallOptions, rel *Release, res *render.Result) {
	if !o.HideSecret {
		return
	}
	var b strings.Builder
	for _, m := range res.Manifests {
		if m.Head != nil && m.Head.Kind == "Secret" && m.Head.APIVersion == "v1" {
			fmt.Fprintf(&b, "---\n# Source: %s\n# HIDDEN: The Secret output has been suppressed\n", m.Path)
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Path, m.Content)
	}
	rel.Manifest = b.String()
}

// render renders the chart of o as revision rev. Unless o has an overlay,
// each manifest document is parsed whole as it is sorted (Manifest.Object),
// so building the objects of the revision parses nothing again
// (renderedObjects); clientOnly (a client-side dry-run, which builds no
// objects) skips that.
func (c *Config) render(ctx context.Context, o *InstallOptions, rev int, upgrade, clientOnly bool) (*render.Result, error) {
	caps := o.Capabilities
	eng := render.Engine{EnableDNS: o.EnableDNS, Limits: o.Limits}
	if caps == nil {
		var err error
		if caps, err = c.Kube.Capabilities(); err != nil {
			return nil, err
		}
		if !o.DryRun.Enabled() || o.DryRun == DryRunServer {
			eng.Lookup = c.Kube.Lookup
		}
	}
	res, err := render.Chart(ctx, o.Chart, o.Values, render.Options{
		ReleaseName: o.Name, Namespace: c.Namespace, Revision: rev, IsUpgrade: upgrade,
		Capabilities: caps, SkipSchemaValidation: o.SkipSchemaValidation, SubNotes: o.SubNotes, Engine: eng,
		ParseObjects: o.Overlay == nil && !clientOnly,
	})
	if err != nil || o.Overlay == nil {
		return res, err
	}
	return o.Overlay.Apply(res)
}

func (c *Config) newRelease(o *InstallOptions, res *render.Result, rev int, st Status, desc string) *Release {
	now := time.Now()
	return &Release{
		Name: o.Name, Namespace: c.Namespace, Version: rev, Chart: res.Chart, Config: o.Values,
		Manifest: res.ManifestText(false), rendered: res.Manifests, Hooks: recordHooks(res.Hooks), ApplyMethod: "ssa",
		Labels: o.Labels, Holder: c.holder(), Overlay: o.Overlay, FieldManager: fieldManager(o.FieldManager),
		Info: &Info{FirstDeployed: now, LastDeployed: now, Status: st, Description: desc, Notes: res.Notes},
	}
}

// Install installs a chart as a new release.
func (c *Config) Install(ctx context.Context, o InstallOptions) (*Release, error) {
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
	if o.DryRun == DryRunClient {
		if o.Capabilities == nil {
			o.Capabilities = common.DefaultCapabilities(nil)
		}
		res, err := c.render(ctx, &o, 1, false, true)
		if err != nil {
			return nil, err
		}
		rel := c.newRelease(&o, res, 1, StatusPendingInstall, "Dry run complete")
		hideSecrets(&o, rel, res)
		return rel, nil
	}
	if o.CreateNamespace && !o.DryRun.Enabled() {
		if err := c.createNamespace(ctx); err != nil {
			return nil, err
		}
	}
	if !o.DryRun.Enabled() {
		return c.withLease(ctx, o.Name, "lade install", o.RecoverPending, func(ctx context.Context) (*Release, error) {
			return c.install(ctx, &o)
		})
	}
	return c.install(ctx, &o)
}

// installObjects builds the objects of a new release (see
// renderedObjects), marked as the release's, and unless adopt checks that
// none of them exists outside it.
func (c *Config) installObjects(ctx context.Context, rel *Release, adopt bool) ([]*kube.Resource, error) {
	b, err := c.renderedObjects(rel, false)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from release manifest: %w", err)
	}
	kube.SetOwnership(b.Resources, rel.Name, c.Namespace)
	if !adopt {
		if err := c.Kube.CheckOwnership(ctx, b.Resources, rel.Name, c.Namespace); err != nil {
			return nil, fmt.Errorf("unable to continue with install: %w", err)
		}
	}
	return b.Resources, nil
}

func (c *Config) createNamespace(ctx context.Context) error {
	_, err := c.Kube.Clientset.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: c.Namespace, Labels: map[string]string{"name": c.Namespace}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %q: %w", c.Namespace, err)
	}
	return nil
}

func (c *Config) install(ctx context.Context, o *InstallOptions) (*Release, error) {
	st := c.Storage()
	rev := 1
	var replaced *Summary
	if sums, err := st.Summaries(ctx, o.Name); err != nil {
		return nil, err
	} else if len(sums) > 0 {
		last := sums[len(sums)-1]
		if last.Status != StatusUninstalled && last.Status != StatusFailed {
			return nil, fmt.Errorf("cannot re-use a name that is still in use: release %q is %s in namespace %q (use `lade upgrade %s CHART`)", o.Name, last.Status, c.Namespace, o.Name)
		}
		if !o.Replace {
			return nil, fmt.Errorf("cannot re-use a name that is still in use: release %q is %s in namespace %q and its history is kept (pass --replace to install over it, or `lade uninstall %s` to delete its history)", o.Name, last.Status, c.Namespace, o.Name)
		}
		rev = last.Version + 1
		replaced = last
	}
	// CRDs first: created once (never upgraded, as Helm), then Established.
	if !o.SkipCRDs && len(o.Chart.CRDObjects()) > 0 {
		var docs strings.Builder
		for _, crd := range o.Chart.CRDObjects() {
			fmt.Fprintf(&docs, "---\n%s\n", crd.File.Data)
		}
		crds, err := c.Kube.Build(docs.String(), c.Namespace)
		if err != nil {
			return nil, fmt.Errorf("CRDs of chart %s: %w", o.Chart.Name(), err)
		}
		if err := c.Kube.CreateAs(ctx, crds, o.DryRun.Enabled(), fieldManager(o.FieldManager)); err != nil {
			return nil, err
		}
		if !o.DryRun.Enabled() {
			if err := c.Kube.WaitEstablished(ctx, crds, o.timeout()); err != nil {
				return nil, err
			}
		}
	}
	res, err := c.render(ctx, o, rev, false, false)
	if err != nil {
		return nil, err
	}
	rel := c.newRelease(o, res, rev, StatusPendingInstall, "Initial install underway")
	objs, err := c.installObjects(ctx, rel, o.TakeOwnership)
	if err != nil {
		return nil, err
	}
	if o.DryRun == DryRunServer {
		if err := c.Kube.Apply(ctx, objs, kube.ApplyOptions{Force: o.ForceConflicts, DryRun: true, FieldManager: rel.FieldManager}); err != nil {
			return nil, err
		}
		rel.Info.Description = "Dry run complete"
		hideSecrets(o, rel, res)
		return rel, nil
	}
	if replaced != nil {
		// Objects the replaced release kept (resource policy) may carry
		// its managers' entries.
		o.takeOverFrom = candidates(rel.FieldManager, nil)
	}
	if replaced != nil && replaced.Status == StatusUninstalled {
		// As Helm: the uninstalled revision is superseded by the new install
		// (a failed one keeps its status).
		prev, err := st.Get(ctx, o.Name, replaced.Version)
		if err != nil {
			return nil, err
		}
		prev.Info.Status = StatusSuperseded
		prev.Info.Description = "superseded by new release"
		if err := st.Update(ctx, prev); err != nil {
			return nil, err
		}
	}
	if err := st.Create(ctx, rel); err != nil {
		return nil, err
	}
	err = c.deploy(ctx, rel, objs, nil, nil, render.HookPreInstall, render.HookPostInstall, &o.CommonOptions)
	if err == nil {
		err = confirmLease(ctx)
	}
	if err == nil {
		rel.Info.Status = StatusDeployed
		rel.Info.Description = "Install complete"
		if o.Description != "" {
			rel.Info.Description = o.Description
		}
		if err := st.Update(ctx, rel); err != nil {
			return rel, err
		}
		return rel, nil
	}
	return rel, c.failed(ctx, rel, err, o.Atomic, undoUninstall, func(ctx context.Context) error {
		_, uerr := c.uninstall(ctx, &UninstallOptions{Name: rel.Name, CommonOptions: CommonOptions{Timeout: o.Timeout, Wait: true}})
		return uerr
	})
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

// deploy runs pre hooks, applies objs (skipping those in unchanged that the
// cluster still holds), prunes what old had and objs has not,
// waits, and runs post hooks.
func (c *Config) deploy(ctx context.Context, rel *Release, objs, old []*kube.Resource, unchanged map[string]bool, pre, post render.HookEvent, o *CommonOptions) error {
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

// runHooks runs the hooks of one event by weight, then name, applying Helm's
// delete policies; a failing hook fails the operation with its name and reason.
func (c *Config) runHooks(ctx context.Context, rel *Release, event render.HookEvent, timeout time.Duration) error {
	return c.runSelectedHooks(ctx, rel, event, timeout, nil)
}

// runSelectedHooks is runHooks for the hooks selected accepts (all when nil).
func (c *Config) runSelectedHooks(ctx context.Context, rel *Release, event render.HookEvent, timeout time.Duration, selected func(*Hook) bool) error {
	var hooks []*Hook
	for _, h := range rel.Hooks {
		if h.HasEvent(event) && (selected == nil || selected(h)) {
			hooks = append(hooks, h)
		}
	}
	sort.SliceStable(hooks, func(i, j int) bool {
		if hooks[i].Weight != hooks[j].Weight {
			return hooks[i].Weight < hooks[j].Weight
		}
		return hooks[i].Name < hooks[j].Name
	})
	for _, h := range hooks {
		objs, err := c.hookObjects(rel, h, event)
		if err != nil {
			return fmt.Errorf("hook %s (%s): %w", h.Name, h.Path, err)
		}
		if len(objs) == 0 {
			continue // of a kind the cluster no longer serves (see hookObjects)
		}
		if len(h.DeletePolicies) == 0 || h.HasDeletePolicy("before-hook-creation") {
			if err := c.deleteHook(ctx, h, objs, true, timeout); err != nil {
				return fmt.Errorf("%s hook %s: %w", event, h.Name, err)
			}
		}
		h.LastRun = HookExecution{StartedAt: time.Now(), Phase: HookPhaseRunning}
		c.printf("Running %s hook %s (%s)\n", event, h.Name, objs[0])
		err = c.Kube.Apply(ctx, objs, kube.ApplyOptions{Force: true, FieldManager: rel.FieldManager})
		if err == nil {
			err = c.waitHook(ctx, objs, timeout)
		}
		h.LastRun.CompletedAt = time.Now()
		if err != nil {
			h.LastRun.Phase = HookPhaseFailed
			if h.HasDeletePolicy("hook-failed") {
				_ = c.deleteHook(ctx, h, objs, false, 0)
			}
			return fmt.Errorf("%s hook %s failed: %w", event, h.Name, err)
		}
		h.LastRun.Phase = HookPhaseSucceeded
		if h.HasDeletePolicy("hook-succeeded") {
			if err := c.deleteHook(ctx, h, objs, false, 0); err != nil {
				return fmt.Errorf("%s hook %s: %w", event, h.Name, err)
			}
		}
	}
	return nil
}

// deleteHook deletes a hook's objects as Helm does: never a
// CustomResourceDefinition (its custom resources would go with it), with
// background propagation (the object goes at once, what it owns, such as
// a Job's Pods, is collected after), waiting for the deletion when wait.
func (c *Config) deleteHook(ctx context.Context, h *Hook, objs []*kube.Resource, wait bool, timeout time.Duration) error {
	if h.Kind == "CustomResourceDefinition" {
		return nil
	}
	return c.Kube.Delete(ctx, objs, kube.DeleteOptions{Wait: wait, Timeout: timeout, Propagation: metav1.DeletePropagationBackground})
}

// waitHook waits for Jobs to complete and Pods to succeed (other kinds are
// ready once created, as in Helm); a Failed status ends the wait at once.
func (c *Config) waitHook(ctx context.Context, objs []*kube.Resource, timeout time.Duration) error {
	var watch []*kube.Resource
	for _, r := range objs {
		if r.Kind() == "Job" || r.Kind() == "Pod" {
			watch = append(watch, r)
		}
	}
	if len(watch) == 0 {
		return nil
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []kube.ResourceStatus
	for {
		sts, err := c.Kube.Statuses(ctx, watch)
		if err == nil {
			last = sts
			done := true
			for i, s := range sts {
				if s.Status == status.FailedStatus || (s.Resource.Kind() == "Pod" && strings.Contains(s.Message, "Failed")) {
					return fmt.Errorf("%s: %s%s", s.Resource, s.Message, c.hookDetails(parent, sts[i:i+1]))
				}
				if s.Status != status.CurrentStatus {
					done = false
				}
			}
			if done {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				// Interrupted, or the lease was lost: not a timeout.
				return fmt.Errorf("%w while waiting for %s to complete%s", context.Cause(parent), watch[0], c.hookDetails(parent, last))
			}
			return fmt.Errorf("timed out after %s waiting for %s to complete%s", timeout, watch[0], c.hookDetails(parent, last))
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// hookDetails says why hook objects failed or are not done (see
// kube.Client.Diagnose), one indented line each.
func (c *Config) hookDetails(ctx context.Context, sts []kube.ResourceStatus) string {
	dctx, cancel := detached(ctx, 5*time.Second)
	defer cancel()
	c.Kube.Diagnose(dctx, sts)
	var b strings.Builder
	for _, s := range sts {
		for _, d := range s.Details {
			b.WriteString("\n    " + d)
		}
	}
	return b.String()
}
