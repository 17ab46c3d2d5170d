// Package render turns a chart and its values into Kubernetes manifests the
// way Helm v4 does: the template engine, Helm's built-in objects and
// functions, manifest splitting, hook extraction and install ordering.
//
// It imports pkg/chart, pkg/chart/common, pkg/values, pkg/object (the
// shape of the objects it renders) and lade's internal helpers; nothing of
// the stages after it (overlay, kube, release).
package render
