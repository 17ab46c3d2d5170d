// Package rules implements Helm's lint rules (Chart.yaml, values, templates,
// dependencies, CRDs, deprecated APIs) with Helm's messages and severities,
// plus the Kubernetes type table lade's schema checks decode against.
//
// It imports pkg/chart, pkg/chart/common, pkg/render, pkg/values and
// pkg/lint/support; no cluster access.
package rules
