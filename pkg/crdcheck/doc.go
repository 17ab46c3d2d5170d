// Package crdcheck decides whether replacing a CustomResourceDefinition in a
// cluster is safe for the custom resources already stored under it.
//
// Check compares the live definition (or none) with the new one and refuses,
// naming the definition, the version and the objects concerned, when the new
// definition
//   - drops a version listed in the live status.storedVersions;
//   - stops serving a version existing objects were written in (their
//     managedFields, or status.storedVersions) while conversion is None and
//     that version's schema differs from the new storage version's;
//   - changes scope, group, names.plural or names.kind;
//   - has a schema that is not structural;
//   - makes existing objects invalid: every object is listed in pages
//     (limit/continue) and validated, on a bounded number of goroutines,
//     against the new structural schema of each served version whose schema
//     changed, with the API server's own code (k8s.io/apiextensions-apiserver:
//     OpenAPI schema validation, embedded resources, list-type invariants and
//     x-kubernetes-validations CEL rules; defaults are not applied). Errors an
//     object already has under the live schema do not count: only what the
//     change breaks. Over Options.MaxObjects objects the check refuses rather
//     than guess.
//
// Fields the new schema no longer has are reported as warnings (the API
// server drops them when it reads the objects, and they are lost at the next
// write). Lint reports what a chart's definitions lack (a structural schema,
// a schema per version) without a cluster.
//
// It imports nothing of lade.
package crdcheck
