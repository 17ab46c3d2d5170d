// Package layers holds no code: its tests check lade's tree from the
// source. Who may import whom (the table in layers_test.go, described in
// docs/architecture.md), so that the folder list keeps reading as the flow
// chart → values → render → overlay → kube → release and no import runs
// back up it; that no library package keeps state in a package-level map
// (state_test.go: only listed read-only tables); and that no function of
// cmd/lade is over 80 lines.
//
// It imports nothing of lade.
package layers
