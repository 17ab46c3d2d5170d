// Package kubeapis holds the lifecycle of Kubernetes' built-in API versions
// that were deprecated and removed: for each group/version/kind, the release
// that deprecated it, the first release that no longer serves it, and the
// apiVersion that replaces it, as the helm-mapkubeapis plugin keeps them
// (its Map.yaml) and as k8s.io/api's generated APILifecycle* methods declare
// them. It also converts an object of a removed version to its replacement
// where the two schemas differ (Convert). It is data and pure functions: no
// cluster access, nothing of lade.
package kubeapis
