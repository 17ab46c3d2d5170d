// Package verify decides whether a chart may be used, by a verification
// policy: a file mapping chart sources (oci:// repositories, chart
// repository URLs, local paths, as glob patterns) to the signatures their
// charts must carry (cosign keys for OCI charts, an OpenPGP keyring for Helm
// provenance files) and a mode: enforce (refuse what is unsigned or wrongly
// signed, with the reason, before the chart is rendered), warn (say so and go
// on) or off. The CLI, the Release object and the controller read the same
// format. A Decision says what was verified, for the release record.
//
// It imports pkg/provenance and pkg/signature (the checks themselves).
package verify
