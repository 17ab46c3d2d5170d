// Package registry stores Helm charts in OCI registries and fetches them back,
// in Helm's OCI format (media types, manifest annotations, config JSON and
// tag rules of Helm v4), so that charts pushed by Helm and by lade are
// interchangeable. It keeps a content-addressed local cache, reuses Docker's
// and Helm's registry credentials, and resolves oci:// chart dependencies.
//
// Nothing in this package does work at init time: clients, credential stores
// and caches exist only once NewClient is called.
//
// It imports pkg/chart and lade's internal helpers.
package registry
