// Package source resolves a chart reference, what a CHART argument or a
// Release's spec.chart.ref names, into a loaded chart: a chart directory or
// archive on disk, an oci:// reference (fetched by pkg/registry), REPO/CHART
// or an http(s) archive URL (fetched by pkg/repo), or a directory holding
// only a kustomization (a package, loaded by pkg/overlay). It owns the
// dispatch on the reference and what every caller checks the same way:
// the version, an optional digest pin of the archive, local paths relative
// to a base directory or refused, and the dependencies of a chart about to
// be rendered. Callers pass Options; nothing here reads flags.
//
// It imports chart, overlay, registry, repo and nothing else of lade.
package source
