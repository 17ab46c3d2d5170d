// Package kube is lade's cluster access: REST configuration from
// cli-runtime flags, server-side apply with Helm's ownership metadata,
// deletion, kstatus-based waiting and cluster capabilities.
//
// It builds the resources it applies from the rendered objects of package
// object (Client.BuildObjects) or from a stored manifest's text
// (Client.BuildStored).
//
// It imports pkg/chart/common (cluster capabilities), pkg/kubeapis,
// pkg/object, internal/kubejson and internal/yamljson; not the template
// engine.
package kube
