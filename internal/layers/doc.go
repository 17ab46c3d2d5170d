// Package layers holds no code: its test checks who may import whom in
// lade's tree (the table in layers_test.go, described in
// docs/architecture.md), so that the folder list keeps reading as the flow
// chart → values → render → overlay → kube → release and no import runs
// back up it.
//
// It imports nothing of lade.
package layers
