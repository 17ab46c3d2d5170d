// Package controller reconciles lade.dev/v1alpha1 Release objects inside a
// cluster: it resolves the chart through pkg/source (OCI, repository,
// https://; never a local path), reads valuesFrom ConfigMaps and Secrets,
// turns the spec into release options as lade apply does
// (fleet.SpecOptions), and installs, upgrades, checks drift and uninstalls
// through pkg/release, the same code as the CLI, recording Helm-format
// revisions. Its status and Events are what kubectl and kstatus read; it
// never writes a Release's spec (the finalizer is patched in and out).
//
// It is built on sigs.k8s.io/controller-runtime and is imported only by
// cmd/lade-controller: the lade CLI must never link controller-runtime.
// It may import every pkg/ stage, pkg/source, pkg/fleet and
// pkg/api/v1alpha1.
package controller
