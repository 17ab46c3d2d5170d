// Package v1alpha1 holds the lade.dev/v1alpha1 API: the Release object, the
// desired state of one release that `lade apply` reads from fleet files and
// the in-cluster controller reconciles. It owns the Go types, their
// generated deep-copy functions and the CRD generated from them (CRD
// returns it), and imports only k8s.io/apimachinery and the apiextensions
// API types: never controller-runtime, so the CLI can link it cheaply.
//
// The generated files (zz_generated.deepcopy.go, crd.yaml and
// deploy/crds/lade.dev_releases.yaml) come from `make generate`;
// `make verify-generate` checks they are current.
//
// +kubebuilder:object:generate=true
// +groupName=lade.dev
package v1alpha1
