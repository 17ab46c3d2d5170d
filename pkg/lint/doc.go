// Package lint checks charts: Helm's lint rules with Helm's messages (see
// package rules), strict decoding of rendered built-in objects against
// k8s.io/api, and lade's orchestration rules (see Rules). Each chart is
// rendered once per values set; all rules share that render.
//
// It imports pkg/chart, pkg/chart/common, pkg/render, pkg/kubeapis,
// pkg/crdcheck (the crd-schema rule) and its own rules and support
// packages; no cluster access.
package lint
