// Package overlay is the stage after render: it applies a kustomize overlay
// (a directory with kustomization.yaml, loaded and validated into memory by
// Load) to a chart's rendered manifests and hooks, in memory with krusty,
// keeping each object's source template path (Apply), and builds a
// kustomization-only package into manifests sorted as a render is
// (Package). Refused kustomize features are RefusedError (ErrRefused).
//
// It imports pkg/render (for the rendered manifests and hooks it
// transforms) and internal/parallel; no cluster access.
package overlay
