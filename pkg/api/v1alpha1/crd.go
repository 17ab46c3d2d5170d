package v1alpha1

import _ "embed" // the generated CRD

// crd is deploy/crds/lade.dev_releases.yaml, copied here by `make generate`
// (go:embed cannot reach outside the package).
//
//go:embed crd.yaml
var crd []byte

// CRD returns the CustomResourceDefinition releases.lade.dev as YAML, generated
// from the types of this package: the schema `lade apply` validates fleet
// files with and the controller's chart installs.
func CRD() []byte { return crd }
