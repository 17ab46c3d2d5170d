// Package interop proves with Helm 3's own code (helm.sh/helm/v3) that lade
// reads, upgrades, rolls back and uninstalls releases Helm 3 wrote, takes
// over the fields Helm 3 (and kubectl's client-side apply) owned, and that
// Helm 3 still reads what lade wrote.
package interop
