// Package diff predicts what an operation on a release changes in the live
// cluster. Every object the operation applies is server-side applied with
// dryRun=All and field manager "lade" (concurrently, bounded), so the new
// side of each diff is the object exactly as the API server would store it;
// it is compared with the live object after both are normalised (managed
// fields, resource version, uid, generation, creation timestamp and status
// are dropped). Objects the operation creates or deletes are listed too,
// Secret values are masked unless asked for, and field-manager conflicts are
// reported with the fields and the manager owning them. Objects of the
// release whose fields Helm 3 or kubectl applied client-side are predicted
// as the upgrade leaves them after converting that ownership to the
// release's field manager
// (kube.Client.PredictTakeOver): the fields the chart dropped are removed.
//
// Output: unified diffs per object (WriteText), one line per object
// (WriteSummary) or a stable JSON document (WriteJSON).
//
// It imports pkg/kube only: it knows nothing of releases or charts.
package diff
