// Package interop proves that lade and Helm v4.3.1 exchange charts through
// OCI registries: Helm's registry client pulls what lade pushed, lade pulls
// what Helm pushed, both write the same manifests for the same archive, and
// Chart.lock files written by one are built by the other. It is a separate
// module so that Helm never becomes a dependency of lade itself.
package interop
