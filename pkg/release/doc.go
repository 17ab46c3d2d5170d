// Package release records, stores and applies releases: versioned Secrets in
// Helm's storage format, with install, upgrade, rollback and uninstall.
//
// # Plan, then deploy
//
// Install, upgrade and rollback are each a plan deployed. PlanInstall,
// PlanUpgrade and PlanRollback compute a Plan without the lease and without
// changing anything: the render (values and overlay reused as the
// operation reuses them), the revision it would write (Plan.Next), the one
// it replaces (Plan.Current), the objects of both and those an upgrade may
// skip as unchanged. Deploy carries a plan out: it takes the lease, refuses
// with ErrPlanStale when the release's newest revision changed since the
// plan, and deploys exactly the plan (the CRD step, hooks, apply,
// prune, wait, --rollback-on-failure...). Preview predicts a plan against
// the live cluster (a server-side dry-run diff). Install, Upgrade and
// Rollback plan under the lease and deploy that plan; PreviewUpgrade and
// PreviewRollback are a plan previewed; so `lade diff upgrade`, `lade
// upgrade --diff` and `lade upgrade` share one plan and cannot disagree.
// Plan.SameAsCurrent says when a plan changes nothing but live drift.
//
// Files: one per operation (install.go, upgrade.go, rollback.go,
// uninstall.go, test.go: its options, its plan and the deploy of its plan),
// plan.go (Plan, the render), deploy.go (Deploy, apply, prune, wait,
// failure handling), crds.go (the CRD step: the --crds policy, the
// compatibility check of every definition an operation changes, made in
// the plan and enforced before anything is applied, and which definitions
// uninstall leaves), hooks.go, preview.go (the diffs), lock.go (the lease),
// storage.go, record.go and helmform.go (the record).
//
// # Storage design
//
// Every revision is a Secret named sh.helm.release.v1.NAME.vN, type
// helm.sh/release.v1, data key "release" = base64(gzip(JSON of Release)),
// labels name, owner=helm, status, version, createdAt (on create) or
// modifiedAt (on update) plus the user's --labels: exactly what Helm writes.
// lade adds annotations lade.dev/chart, lade.dev/app-version,
// lade.dev/updated and lade.dev/holder so that `lade list` reads Secret
// metadata only (a metadata-only LIST); revisions Helm rewrote (Helm drops
// annotations) are filled by reading just the newest revision of each.
//
// Records over 1 MiB. When the encoded record exceeds the Secret limit, the
// full gzip'd JSON is split into continuation Secrets
// sh.helm.release.v1.NAME.vN.part-I (type lade.dev/release-part.v1, no
// owner=helm label, so Helm's list ignores them) created first, then the
// record Secret, which holds a Helm-readable reduced record: the chart
// without templates and files (and, if still too large, a stand-in
// manifest naming every object, which `helm uninstall` deletes by and
// `helm rollback` cannot apply; then without hooks: see split.go), with
// the annotation lade.dev/record-parts=COUNT:SHA256:REVISION in the chart
// metadata, which Helm preserves when it rewrites the record. Parts
// get an ownerReference to the record Secret so Kubernetes' garbage
// collector removes them when Helm deletes the revision. Parts never change:
// status updates rewrite only the record Secret, and lade takes info,
// version and labels from it when it reassembles the full record. A record
// whose marker names another revision is a copy Helm's rollback made: lade
// reads that revision's parts, or, once they are gone, the record as is.
//
// Helm's rewrites. Helm rewrites lade's records through its Go structs,
// dropping unknown JSON fields and Secret annotations: lade's own data (the
// field manager, the overlay) lives in the record's chart (helmform.go).
//
// Records Helm 3 wrote. lade reads every record Helm 3 writes: every
// status (deployed, superseded, failed, uninstalled with --keep-history,
// uninstalling, pending-install/upgrade/rollback), charts of apiVersion v1
// (with requirements.yaml) and v2, unset times written as "" (Helm 3's
// helm.sh/helm/v3/pkg/time: info.deleted of every live revision, a hook's
// last_run before it ran), null or left out, and records without what Helm 4 and lade add (apply_method, lade's
// annotations and lade_overlay; missing createdAt or modifiedAt labels).
// What lade writes, Helm 3 reads: it writes Helm 4's record format, whose
// unset times are left out (Helm 3 reads them as zero) and whose other
// fields Helm 3 either knows or ignores (apply_method, lade_overlay, a
// file's modtime); a split record's reduced record Secret is an ordinary
// record to Helm 3 (test/interop-helm3 checks list, history and rollback
// with Helm 3's own code). A pending revision Helm 3 left is refused until
// --recover-pending marks it failed (see Locking).
//
// Ownership takeover. Helm 3 applied objects client-side: their fields are
// owned by Update entries of field manager "helm" (kubectl's client-side
// apply leaves Update entries owning the last-applied-configuration
// annotation). When an upgrade or a rollback applies an object the
// release already owns and the API server's answer shows such entries,
// kube.Client.TakeOver merges them into the apply entry of the release's
// field manager (csaupgrade, as Helm 4 does when it switches to
// server-side apply, and kubectl after an apply) and the object is applied
// again: the fields the chart no longer renders are removed, as Helm 3's
// three-way merge would have removed them, and the last-applied
// annotation goes with them. Objects without
// such entries cost nothing more (no read); Update entries of other
// managers (kubectl edit, controllers) and of subresources are left alone.
// diff predicts the same (kube.Client.PredictTakeOver). With
// --take-ownership every existing object the release adopts is converted
// before its apply (Helm 4 converts on adoption too).
//
// Locking. Mutating operations hold the coordination.k8s.io Lease
// lade.release.NAME (holder host/pid/nonce, renewed every third of its
// 30 s duration). A live holder makes a second operation fail with
// ErrLocked naming it; an expired lease, or one whose holder process on this
// host is gone, is taken over and the pending revision it left is marked
// failed. A pending revision with no lade holder (left by Helm) is refused
// with the command to run with --recover-pending. install, upgrade,
// rollback, uninstall and test all take the lease. When an operation ends
// it deletes the Lease (with a resourceVersion precondition, so never one
// another holder took over): no Lease with an empty holder is left behind.
// An operation that loses its lease (another holder has it, it was deleted,
// or renewals kept failing until the next one would come after expiry)
// has its context cancelled, stops with ErrLeaseLost, and writes nothing
// more (no failed status, no --rollback-on-failure): the new holder owns
// the release and marks the abandoned pending revision failed. Before it
// records success an operation renews the lease synchronously (Confirm).
//
// Interrupts. An operation whose context is cancelled with a cause
// wrapping ErrInterrupted (lade's command line does that on the first
// Ctrl-C or SIGTERM) still holds its lease: it records its revision
// failed, the description saying "interrupted" and where it stopped (a
// wait lists what was not ready and why), runs --rollback-on-failure and
// --cleanup-on-fail, then deletes the Lease. Those last steps use a
// context detached from the cancelled one (detached) that still ends
// when the lease is lost.
//
// Unchanged objects. An upgrade whose newest revision is the deployed one
// and was written by lade (it has a holder annotation) skips the
// server-side apply of each object identical to that revision's when the
// live object still has every field lade's apply would set, owned by lade's
// apply entry and holding the same value (kube.ApplyOptions.Unchanged,
// read with one LIST per resource type and namespace). Drift, deleted
// objects and any doubt are applied, so a no-op upgrade still repairs them.
//
// Stored revisions. A revision written before the cluster was upgraded may
// hold API versions the cluster no longer serves (policy/v1beta1
// PodDisruptionBudget, networking.k8s.io/v1beta1 Ingress...). Whatever
// builds the objects of a stored revision (upgrade and rollback for the
// revision they replace, rollback for the one it restores, uninstall, the
// hooks of rollback, delete and test, status, the diffs) goes through
// StoredObjects: such an object is taken at the version that replaces it
// (package kubeapis, as helm-mapkubeapis maps them), with one warning per
// object; one of a kind the cluster serves in no version (PodSecurityPolicy)
// cannot exist and is skipped. Records are not rewritten: a rollback
// records the restored revision's manifest as it was stored. A new chart's
// objects are never mapped: their removed versions fail the build.
//
// It imports every stage before it (chart, chart/common, values, object,
// render, overlay), pkg/kube, and pkg/diff for the previews (PreviewUpgrade,
// PreviewRollback, Drift); nothing of cmd/lade.
package release
