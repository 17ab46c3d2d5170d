// Package interop proves with Helm 3's own code (helm.sh/helm/v3) that lade
// reads, upgrades, rolls back and uninstalls releases Helm 3 wrote, in every
// state, takes over the fields Helm 3 (and kubectl's client-side apply)
// owned, and that Helm 3 still lists, reads and rolls back what lade wrote.
//
// Helm v3.21.4, the newest Helm 3 approved for this project, stands in for
// v3.22 (served by the module proxy, not approved): their record format and
// client-side apply are Helm 3's.
package interop
