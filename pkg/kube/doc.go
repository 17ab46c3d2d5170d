// Package kube is lade's cluster access: REST configuration from
// cli-runtime flags, server-side apply with Helm's ownership metadata,
// deletion, kstatus-based waiting and cluster capabilities.
//
// It imports pkg/chart/common (cluster capabilities), pkg/kubeapis,
// internal/kubejson and internal/yamljson; not the template engine.
package kube
