package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/fleet"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/release"
)

// Finalizer is the finalizer the controller puts on every Release it
// manages, so that deleting the Release uninstalls it first.
const Finalizer = "lade.dev/uninstall"

// ManagedByLabel is set on every revision the controller writes (a user
// label of the release record Secret): `lade history` and `kubectl get
// secret -l` tell controller revisions from CLI ones. Its value is
// ManagedByValue; the revision's description names the controller too.
const (
	ManagedByLabel = "lade.dev/managed-by"
	ManagedByValue = "lade-controller"
)

// DefaultInterval is the drift-check interval of a Release that sets none.
const DefaultInterval = 10 * time.Minute

// Reconciler reconciles Release objects.
type Reconciler struct {
	// Client reads Releases from the manager's cache and writes them.
	Client client.Client
	// APIReader reads ConfigMaps, Secrets and out-of-shard Releases
	// straight from the API server (no cluster-wide cache of them).
	APIReader client.Reader
	// RESTConfig is the controller's own identity; releases with a
	// serviceAccountName apply with it impersonating that account.
	RESTConfig *rest.Config
	Source     Source
	Recorder   events.EventRecorder
	// RequireServiceAccount refuses Releases without spec.serviceAccountName.
	RequireServiceAccount bool
	// Metrics, when set, records reconcile durations and results.
	Metrics *Metrics
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time

	mu    sync.Mutex
	kubes map[string]*kube.Client // by impersonated user ("" = the controller)
}

// SetupWithManager registers the reconciler with mgr, running up to
// concurrent reconciles at once.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager, concurrent int) error {
	b := ctrl.NewControllerManagedBy(mgr)
	// Values sources labelled lade.dev/watch=true start a reconcile of the
	// Releases reading them when they change; only their metadata is
	// cached (see WatchLabel), others are read at each reconcile.
	b = b.Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.readersOf("ConfigMap")), builder.OnlyMetadata)
	b = b.Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.readersOf("Secret")), builder.OnlyMetadata)
	return b.
		// Status writes (the controller's own) start no reconcile: a
		// spec, label or annotation change or a deletion does, and the
		// interval requeues.
		For(&v1alpha1.Release{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{},
			predicate.AnnotationChangedPredicate{}, deleting{}))).
		Named("release").
		WithOptions(controllerOptions(concurrent)).
		Complete(r)
}

// readersOf maps a watched values source of kind to the Releases of its
// namespace that read it through valuesFrom.
func (r *Reconciler) readersOf(kind string) handler.MapFunc {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		return r.readers(ctx, kind, obj)
	}
}

func (r *Reconciler) readers(ctx context.Context, kind string, obj client.Object) []reconcile.Request {
	var list v1alpha1.ReleaseList
	if err := r.Client.List(ctx, &list, client.InNamespace(obj.GetNamespace())); err != nil {
		log.FromContext(ctx).Error(err, "listing the Releases reading a values source", "kind", kind, "name", obj.GetName())
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		for _, v := range list.Items[i].Spec.ValuesFrom {
			if v.Kind == kind && v.Name == obj.GetName() {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
				break
			}
		}
	}
	return out
}

// deleting passes updates that mark an object for deletion.
type deleting struct{ predicate.Funcs }

func (deleting) Update(e event.UpdateEvent) bool {
	return e.ObjectNew.GetDeletionTimestamp() != nil && e.ObjectOld.GetDeletionTimestamp() == nil
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Reconcile brings one Release to its desired state.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, err error) {
	start := time.Now()
	reason := ""
	defer func() {
		if r.Metrics != nil {
			r.Metrics.observe(start, reason, err)
		}
	}()
	rel := &v1alpha1.Release{}
	if err := r.Client.Get(ctx, req.NamespacedName, rel); err != nil {
		reason = "NotFound"
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !rel.DeletionTimestamp.IsZero() {
		reason = "Deleted"
		return ctrl.Result{}, r.finalize(ctx, rel)
	}
	if !controllerutil.ContainsFinalizer(rel, Finalizer) {
		if err := r.patchFinalizer(ctx, rel, controllerutil.AddFinalizer); err != nil {
			reason = "FinalizerError"
			return ctrl.Result{}, err
		}
	}
	if rel.Spec.Suspend {
		reason = "Suspended"
		return ctrl.Result{}, nil
	}
	out, err := r.reconcile(ctx, rel)
	reason = out.reason
	return out.result, err
}

// outcome is what one reconcile did, for the metrics and the caller.
type outcome struct {
	reason string
	result ctrl.Result
}

func (r *Reconciler) reconcile(ctx context.Context, rel *v1alpha1.Release) (outcome, error) {
	interval := DefaultInterval
	if rel.Spec.Interval != nil && rel.Spec.Interval.Duration > 0 {
		interval = rel.Spec.Interval.Duration
	}
	if err := r.checkSpec(rel); err != nil {
		return r.stalled(ctx, rel, "InvalidSpec", err)
	}
	if waiting, err := r.dependencies(ctx, rel); err != nil || waiting != "" {
		if err != nil {
			return outcome{reason: "DependencyError"}, err
		}
		r.setCondition(rel, "Ready", metav1.ConditionFalse, "DependencyNotReady", waiting)
		r.setCondition(rel, "Reconciling", metav1.ConditionTrue, "DependencyNotReady", waiting)
		if err := r.writeStatus(ctx, rel); err != nil {
			return outcome{reason: "StatusError"}, err
		}
		return outcome{reason: "DependencyNotReady", result: ctrl.Result{RequeueAfter: 5 * time.Second}}, nil
	}
	vals, sources, err := r.values(ctx, rel)
	if err != nil {
		if errors.Is(err, errInvalidValues) {
			return r.stalled(ctx, rel, "InvalidValues", err)
		}
		return r.failed(ctx, rel, "ValuesNotFound", err)
	}

	// The fast path: nothing changed since the last reconcile that ended
	// Ready, and the drift check is not due. No render, no write.
	st := &rel.Status
	applied := ""
	if st.LastAppliedChart != nil {
		applied = st.LastAppliedChart.Digest
	}
	if st.ObservedGeneration == rel.Generation && meta.IsStatusConditionTrue(st.Conditions, "Ready") &&
		fingerprint(rel.Generation, applied, sources) == st.InputsFingerprint && st.Drift != nil {
		due := st.Drift.CheckedAt.Add(interval)
		clean := st.Drift.Changed+st.Drift.Missing == 0 || driftMode(rel) != v1alpha1.DriftEnabled
		if wait := due.Sub(r.now()); wait > 0 && clean {
			return outcome{reason: "Unchanged", result: ctrl.Result{RequeueAfter: wait}}, nil
		}
	}

	r.Metrics.count("chart")
	ch, err := r.Source.Resolve(ctx, rel.Spec.Chart.Ref, rel.Spec.Chart.Version, rel.Spec.Chart.Digest)
	if err != nil {
		if errors.Is(err, ErrLocalChart) {
			return r.stalled(ctx, rel, "ChartRefused", err)
		}
		return r.failed(ctx, rel, "ChartNotFound", err)
	}
	fp := fingerprint(rel.Generation, ch.Digest, sources)
	cfg, err := r.releaseConfig(rel)
	if err != nil {
		return r.failed(ctx, rel, "ClientError", err)
	}
	o := upgradeOptions(rel, ch, vals)
	if o.Overlay, err = inlineOverlay(rel); err != nil {
		return r.stalled(ctx, rel, "InvalidOverlay", err)
	}
	o.ResetOverlay = o.Overlay == nil

	deployed, err := cfg.Storage().Deployed(ctx, rel.Name)
	if err != nil && !errors.Is(err, release.ErrNotFound) {
		return r.failed(ctx, rel, "StorageError", err)
	}
	if deployed == nil || fp != st.InputsFingerprint || st.ObservedGeneration != rel.Generation {
		// The plan is what the deploy carries out, so it carries the
		// revision's description: an install when nothing is deployed.
		op := "Upgrade"
		if deployed == nil {
			op = "Install"
		}
		r.Metrics.count("plan")
		p, err := plan(ctx, cfg, o, op)
		if err != nil {
			return r.failed(ctx, rel, "PlanFailed", err)
		}
		if !p.SameAsCurrent() {
			return r.deploy(ctx, rel, cfg, p, ch, fp, interval)
		}
		deployed = p.Current
	}
	return r.checkDrift(ctx, rel, cfg, o, ch, fp, deployed, interval)
}

// plan plans the upgrade --install o describes, recording in the revision
// that the controller made it ("Install complete by lade-controller"). op
// is a guess of the operation: it is planned again when the plan says
// otherwise (a release whose only revisions failed).
func plan(ctx context.Context, cfg *release.Config, o release.UpgradeOptions, op string) (*release.Plan, error) {
	o.Description = op + " complete by " + ManagedByValue
	p, err := cfg.PlanUpgrade(ctx, o)
	if err != nil {
		return nil, err
	}
	if got := opName(p.Operation); got != op {
		o.Description = got + " complete by " + ManagedByValue
		return cfg.PlanUpgrade(ctx, o)
	}
	return p, nil
}

func opName(op release.Operation) string {
	if op == release.OpInstall {
		return "Install"
	}
	return "Upgrade"
}

// deploy carries out the plan (install or upgrade) and records the result.
func (r *Reconciler) deploy(ctx context.Context, rel *v1alpha1.Release, cfg *release.Config, p *release.Plan, ch *Chart, fp string, interval time.Duration) (outcome, error) {
	op := opName(p.Operation)
	reason := op + "Succeeded"
	rel.Status.LastAttemptedChart = &v1alpha1.ChartStatus{Version: ch.Version, Digest: ch.Digest}
	progress := fmt.Sprintf("%s of chart %s %s in progress", op, ch.Chart.Metadata.Name, ch.Version)
	r.setCondition(rel, "Reconciling", metav1.ConditionTrue, "Progressing", progress)
	r.setCondition(rel, "Ready", metav1.ConditionUnknown, "Progressing", progress)
	meta.RemoveStatusCondition(&rel.Status.Conditions, "Stalled")
	if err := r.writeStatus(ctx, rel); err != nil {
		return outcome{reason: "StatusError"}, err
	}
	r.Metrics.count("upgrade")
	done, err := cfg.Deploy(ctx, p)
	if errors.Is(err, release.ErrPlanStale) {
		// Another operation (the CLI?) changed the release: plan again.
		return outcome{reason: "PlanStale"}, err
	}
	if err != nil {
		if rel.Spec.RollbackOnFailure && p.Current != nil {
			if last, lerr := cfg.Storage().Deployed(ctx, rel.Name); lerr == nil && last.Version > p.Current.Version {
				r.event(rel, corev1.EventTypeWarning, "RolledBack", "Rollback", "%s failed and was rolled back to revision %d: %v", op, p.Current.Version, err)
			}
		}
		// Retrying at once would write a failed revision per attempt: an
		// install or upgrade that failed is tried again at the next
		// interval, or as soon as the spec or a values source changes.
		out, _ := r.failed(ctx, rel, op+"Failed", err)
		out.result.RequeueAfter = interval
		return out, nil
	}
	r.event(rel, corev1.EventTypeNormal, reason, op, "%s of chart %s %s: revision %d", op, ch.Chart.Metadata.Name, ch.Version, done.Version)
	return r.ready(ctx, rel, cfg, done, ch, fp, &v1alpha1.DriftStatus{CheckedAt: metav1.NewTime(r.now())}, interval, reason)
}

// checkDrift compares the live objects with the deployed revision (a
// server-side dry-run) and corrects, reports or ignores what differs.
func (r *Reconciler) checkDrift(ctx context.Context, rel *v1alpha1.Release, cfg *release.Config, o release.UpgradeOptions, ch *Chart, fp string, deployed *release.Release, interval time.Duration) (outcome, error) {
	mode := driftMode(rel)
	drift := &v1alpha1.DriftStatus{CheckedAt: metav1.NewTime(r.now())}
	if mode == v1alpha1.DriftDisabled {
		return r.ready(ctx, rel, cfg, deployed, ch, fp, drift, interval, "Unchanged")
	}
	r.Metrics.count("drift")
	rep, err := cfg.Drift(ctx, rel.Name, diff.Options{NoFields: true})
	if err != nil {
		return r.failed(ctx, rel, "DriftCheckFailed", err)
	}
	for _, c := range rep.Changes {
		if c.Action == diff.Create {
			drift.Missing++
		} else {
			drift.Changed++
		}
		if len(drift.Objects) < 10 {
			drift.Objects = append(drift.Objects, c.Title())
		}
	}
	if !rep.HasChanges() {
		return r.ready(ctx, rel, cfg, deployed, ch, fp, drift, interval, "Unchanged")
	}
	if mode == v1alpha1.DriftWarn {
		r.event(rel, corev1.EventTypeWarning, "DriftDetected", "DriftCheck", "%d changed and %d missing objects: %v", drift.Changed, drift.Missing, drift.Objects)
		return r.ready(ctx, rel, cfg, deployed, ch, fp, drift, interval, "DriftDetected")
	}
	o.ForceConflicts = true
	o.Description = "Drift corrected by " + ManagedByValue
	r.Metrics.count("upgrade")
	done, err := cfg.Upgrade(ctx, o)
	if err != nil {
		r.event(rel, corev1.EventTypeWarning, "DriftCorrectionFailed", "DriftCorrection", "%v", err)
		rel.Status.Drift = drift
		return r.failed(ctx, rel, "DriftCorrectionFailed", err)
	}
	drift.Corrected = true
	r.event(rel, corev1.EventTypeNormal, "DriftCorrected", "DriftCorrection", "re-applied revision %d as %d: %d changed and %d missing objects: %v", deployed.Version, done.Version, drift.Changed, drift.Missing, drift.Objects)
	return r.ready(ctx, rel, cfg, done, ch, fp, drift, interval, "DriftCorrected")
}

// ready records a Release that is at its desired state.
func (r *Reconciler) ready(ctx context.Context, rel *v1alpha1.Release, cfg *release.Config, done *release.Release, ch *Chart, fp string, drift *v1alpha1.DriftStatus, interval time.Duration, reason string) (outcome, error) {
	st := &rel.Status
	st.ObservedGeneration = rel.Generation
	st.InputsFingerprint = fp
	st.LastAppliedChart = &v1alpha1.ChartStatus{Version: ch.Version, Digest: ch.Digest}
	if st.LastAttemptedChart == nil || st.LastAttemptedChart.Digest != ch.Digest {
		st.LastAttemptedChart = st.LastAppliedChart.DeepCopy()
	}
	st.Revision = int32(done.Version)
	if objs, err := cfg.Kube.Build(done.Manifest, rel.Namespace); err == nil {
		st.Objects = int32(len(objs))
	}
	st.Drift = drift
	msg := fmt.Sprintf("Release %s revision %d (chart %s %s) is deployed", rel.Name, done.Version, ch.Chart.Metadata.Name, ch.Version)
	if !drift.Corrected && drift.Changed+drift.Missing > 0 {
		msg += fmt.Sprintf("; drift: %d changed, %d missing objects", drift.Changed, drift.Missing)
	}
	r.setCondition(rel, "Ready", metav1.ConditionTrue, reason, msg)
	meta.RemoveStatusCondition(&st.Conditions, "Reconciling")
	meta.RemoveStatusCondition(&st.Conditions, "Stalled")
	if err := r.writeStatus(ctx, rel); err != nil {
		return outcome{reason: "StatusError"}, err
	}
	return outcome{reason: reason, result: ctrl.Result{RequeueAfter: interval}}, nil
}

// failed records a failure that may pass (the reconcile is retried with
// exponential back-off): Ready and Stalled say why.
func (r *Reconciler) failed(ctx context.Context, rel *v1alpha1.Release, reason string, cause error) (outcome, error) {
	r.event(rel, corev1.EventTypeWarning, reason, "Reconcile", "%v", cause)
	rel.Status.ObservedGeneration = rel.Generation
	r.setCondition(rel, "Ready", metav1.ConditionFalse, reason, cause.Error())
	r.setCondition(rel, "Stalled", metav1.ConditionTrue, reason, cause.Error())
	meta.RemoveStatusCondition(&rel.Status.Conditions, "Reconciling")
	if err := r.writeStatus(ctx, rel); err != nil {
		log.FromContext(ctx).Error(err, "writing status")
	}
	return outcome{reason: reason}, cause
}

// stalled records a failure only a change of the spec can fix: no retry.
func (r *Reconciler) stalled(ctx context.Context, rel *v1alpha1.Release, reason string, cause error) (outcome, error) {
	_, _ = r.failed(ctx, rel, reason, cause)
	return outcome{reason: reason}, nil
}

func (r *Reconciler) setCondition(rel *v1alpha1.Release, typ string, status metav1.ConditionStatus, reason, msg string) {
	meta.SetStatusCondition(&rel.Status.Conditions, metav1.Condition{
		Type: typ, Status: status, Reason: reason, Message: truncate(msg, 32000), ObservedGeneration: rel.Generation,
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (r *Reconciler) writeStatus(ctx context.Context, rel *v1alpha1.Release) error {
	if err := r.Client.Status().Update(ctx, rel); err != nil {
		return fmt.Errorf("status of release %s/%s: %w", rel.Namespace, rel.Name, err)
	}
	return nil
}

func (r *Reconciler) event(rel *v1alpha1.Release, typ, reason, action, format string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(rel, nil, typ, reason, action, truncate(fmt.Sprintf(format, args...), 1000))
	}
}

// finalize uninstalls a deleted Release (unless spec.uninstall.keep or
// suspended) and removes the finalizer.
func (r *Reconciler) finalize(ctx context.Context, rel *v1alpha1.Release) error {
	if !controllerutil.ContainsFinalizer(rel, Finalizer) {
		return nil
	}
	keep := rel.Spec.Suspend || (rel.Spec.Uninstall != nil && rel.Spec.Uninstall.Keep)
	if !keep {
		cfg, err := r.releaseConfig(rel)
		if err != nil {
			return err
		}
		o := release.UninstallOptions{Name: rel.Name, IgnoreNotFound: true}
		o.Wait = true
		o.Timeout = timeout(rel)
		o.Description = "Uninstalled by " + ManagedByValue
		r.Metrics.count("uninstall")
		if _, err := cfg.Uninstall(ctx, o); err != nil {
			r.event(rel, corev1.EventTypeWarning, "UninstallFailed", "Uninstall", "%v", err)
			return fmt.Errorf("uninstall release %s/%s: %w", rel.Namespace, rel.Name, err)
		}
		r.event(rel, corev1.EventTypeNormal, "UninstallSucceeded", "Uninstall", "release %s uninstalled", rel.Name)
	}
	return client.IgnoreNotFound(r.patchFinalizer(ctx, rel, controllerutil.RemoveFinalizer))
}

// patchFinalizer adds or removes the finalizer with a merge patch of
// metadata.finalizers alone. An Update would send the whole object back
// through the Go types, which rewrite what the user wrote ("5m" becomes
// "5m0s"): a spec change that bumps the generation and costs a reconcile.
func (r *Reconciler) patchFinalizer(ctx context.Context, rel *v1alpha1.Release, change func(client.Object, string) bool) error {
	orig := rel.DeepCopy()
	change(rel, Finalizer)
	if err := r.Client.Patch(ctx, rel, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("finalizer of release %s/%s: %w", rel.Namespace, rel.Name, err)
	}
	return nil
}

// checkSpec refuses what the controller cannot do.
func (r *Reconciler) checkSpec(rel *v1alpha1.Release) error {
	if r.RequireServiceAccount && rel.Spec.ServiceAccountName == "" {
		return errors.New("spec.serviceAccountName is required: the controller applies every release as a ServiceAccount of its namespace (--require-service-account)")
	}
	if len(rel.Spec.ValuesFiles) > 0 {
		return errors.New("spec.valuesFiles: files are read by `lade apply` only; in the cluster use spec.values or spec.valuesFrom")
	}
	if rel.Spec.Overlay != nil && rel.Spec.Overlay.Path != "" {
		return errors.New("spec.overlay.path: directories are read by `lade apply` only; in the cluster use spec.overlay.inline")
	}
	return nil
}

// dependencies returns a message naming the first dependency that is not
// Ready, or "" when all are.
func (r *Reconciler) dependencies(ctx context.Context, rel *v1alpha1.Release) (string, error) {
	for _, d := range rel.Spec.DependsOn {
		ns := d.Namespace
		if ns == "" {
			ns = rel.Namespace
		}
		dep := &v1alpha1.Release{}
		key := types.NamespacedName{Namespace: ns, Name: d.Name}
		err := r.Client.Get(ctx, key, dep)
		if apierrors.IsNotFound(err) {
			// Another shard's Release is not in this cache.
			err = r.APIReader.Get(ctx, key, dep)
		}
		if apierrors.IsNotFound(err) {
			return fmt.Sprintf("dependency %s/%s does not exist", ns, d.Name), nil
		}
		if err != nil {
			return "", fmt.Errorf("dependency %s/%s: %w", ns, d.Name, err)
		}
		c := meta.FindStatusCondition(dep.Status.Conditions, "Ready")
		if dep.Status.ObservedGeneration != dep.Generation || c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Sprintf("dependency %s/%s is not Ready", ns, d.Name), nil
		}
	}
	return "", nil
}

// releaseConfig returns the release library's configuration for rel: the
// controller's client, or one impersonating spec.serviceAccountName.
func (r *Reconciler) releaseConfig(rel *v1alpha1.Release) (*release.Config, error) {
	user := ""
	if rel.Spec.ServiceAccountName != "" {
		user = "system:serviceaccount:" + rel.Namespace + ":" + rel.Spec.ServiceAccountName
	}
	kc, err := r.kube(user)
	if err != nil {
		return nil, err
	}
	return &release.Config{Kube: kc, Namespace: rel.Namespace}, nil
}

func (r *Reconciler) kube(user string) (*kube.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if kc, ok := r.kubes[user]; ok {
		return kc, nil
	}
	cfg := rest.CopyConfig(r.RESTConfig)
	if user != "" {
		cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	}
	kc, err := kube.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %q: %w", user, err)
	}
	if r.kubes == nil {
		r.kubes = map[string]*kube.Client{}
	}
	r.kubes[user] = kc
	return kc, nil
}

func driftMode(rel *v1alpha1.Release) v1alpha1.DriftCorrection {
	if rel.Spec.DriftCorrection == "" {
		return v1alpha1.DriftEnabled
	}
	return rel.Spec.DriftCorrection
}

func timeout(rel *v1alpha1.Release) time.Duration {
	if t := rel.Spec.Timeout; t != nil && t.Duration > 0 {
		return t.Duration
	}
	return 5 * time.Minute
}

// inlineOverlay is spec.overlay.inline as the release library records
// overlays: a kustomization.yaml, validated as `--overlay` directories are
// (no remote bases, no plugins); nil when the spec has none.
func inlineOverlay(rel *v1alpha1.Release) (*release.Overlay, error) {
	if rel.Spec.Overlay == nil || rel.Spec.Overlay.Inline == nil {
		return nil, nil
	}
	y, err := yaml.JSONToYAML(rel.Spec.Overlay.Inline.Raw)
	if err != nil {
		return nil, fmt.Errorf("spec.overlay.inline: %w", err)
	}
	ov := &overlay.Overlay{Files: map[string][]byte{"kustomization.yaml": y}}
	if err := ov.Validate(); err != nil {
		return nil, fmt.Errorf("spec.overlay.inline: %w", err)
	}
	return release.NewOverlay(ov, false), nil
}

// upgradeOptions turns the spec into an upgrade --install of the library:
// what lade apply makes of it (fleet.SpecOptions), with the chart and
// values resolved here, values reset to exactly the spec's, and the
// revision labelled as the controller's.
func upgradeOptions(rel *v1alpha1.Release, ch *Chart, vals map[string]any) release.UpgradeOptions {
	o := fleet.SpecOptions(rel.Name, &rel.Spec)
	o.ResetValues = true
	o.Chart = ch.Chart
	o.Values = vals
	o.Labels = map[string]string{ManagedByLabel: ManagedByValue}
	return o
}
