// Package load reads fleets: the Release documents (lade.dev/v1alpha1,
// package pkg/api/v1alpha1) under `lade apply -f PATH`, from a file, a
// directory of files, or a directory kustomize builds (an environment
// overlay of a base fleet). It validates each document against the Release
// CRD's schema as the API server would (errors name the file, line,
// document, Release and field), applies the schema's defaults, resolves
// local paths against the declaring file's directory, checks the set
// (duplicates, dependsOn, cycles), selects by label and orders the
// selection by dependencies (Fleet.Order). It reads files only: no chart,
// no values file content, no cluster except through Options.Installed.
//
// It imports pkg/api/v1alpha1, pkg/release (for the release name rule) and
// internal/yamljson.
package load
