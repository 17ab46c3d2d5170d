// Package fleet plans and applies many releases together, as `lade apply`
// does: every selected release is planned concurrently through pkg/release
// (render, server-side dry-run), then applied in dependsOn order,
// independent releases in parallel up to a bound, each starting once its
// dependencies are Ready (kstatus). A release that fails stops exactly the
// releases that depend on it (they are skipped); the others finish.
// Releases that the fleet recorded as its own (FleetLabel on their release
// records) and that left it are uninstalled when pruning is asked for.
//
// It owns the dependency order, the scheduling, the readiness waits
// between releases, pruning, the events a progress view shows (Event,
// Progress) and the plan and summary tables (WritePlan, WriteSummary,
// WriteDiffs, WriteJSON). The engine works on Nodes (a release, its
// dependencies and how to build its options); FromLoad makes them from a
// fleet pkg/fleet/load read, turning each Release's spec into release
// options (chart through a ChartLoader, values, overlay); SpecOptions is
// the part of that conversion the in-cluster controller shares. It imports
// pkg/api/v1alpha1, pkg/fleet/load, the stages a release is built from
// (chart, values, overlay), pkg/release, pkg/kube, pkg/diff and internal/;
// nothing of cmd/lade.
package fleet
