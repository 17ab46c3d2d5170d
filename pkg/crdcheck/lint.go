package crdcheck

import (
	"errors"
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// Finding is a problem of a definition found without a cluster.
type Finding struct {
	// Field is the path of the problem in the definition
	// (spec.versions[0].schema.openAPIV3Schema...).
	Field   string
	Message string
	// Rejected is true when the API server refuses the definition; false
	// for what it accepts but makes objects unchecked.
	Rejected bool
}

// Lint checks what a chart's definition lacks: a schema for every version
// (the storage version above all), a structural schema, and a root that
// does not preserve unknown fields (which leaves objects unpruned and
// their unknown fields unchecked).
func Lint(crd *apiextensionsv1.CustomResourceDefinition) []Finding {
	var fs []Finding
	for i, v := range crd.Spec.Versions {
		at := fmt.Sprintf("spec.versions[%d].schema", i)
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			what := "version " + v.Name
			if v.Storage {
				what = "storage version " + v.Name
			}
			fs = append(fs, Finding{Field: at, Rejected: true, Message: fmt.Sprintf(
				"%s has no schema (openAPIV3Schema): apiextensions.k8s.io/v1 requires one per version, and without it stored objects are never validated", what)})
			continue
		}
		at += ".openAPIV3Schema"
		if _, _, err := structural(v.Schema.OpenAPIV3Schema); err != nil {
			fs = append(fs, Finding{Field: at, Rejected: true, Message: fmt.Sprintf("version %s: %s", v.Name, notStructural(err))})
			continue
		}
		if p := v.Schema.OpenAPIV3Schema.XPreserveUnknownFields; p != nil && *p {
			fs = append(fs, Finding{Field: at + ".x-kubernetes-preserve-unknown-fields", Message: fmt.Sprintf(
				"version %s: x-kubernetes-preserve-unknown-fields at the schema root: unknown fields (typos included) are stored as written and never pruned; describe spec and status instead", v.Name)})
		}
	}
	return fs
}

// notStructural words a structural-schema error for a lint message.
func notStructural(err error) string {
	msg := err.Error()
	if errors.Is(err, ErrNotStructural) {
		msg = strings.TrimPrefix(msg, ErrNotStructural.Error()+": ")
	}
	return "the schema is not structural: " + msg
}
