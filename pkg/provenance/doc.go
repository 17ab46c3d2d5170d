// Package provenance signs and verifies Helm provenance files (CHART.tgz.prov):
// an OpenPGP clear-signed message holding the chart's Chart.yaml metadata, a
// YAML document end marker ("..."), and the SHA-256 sum of the archive under
// "files:", in exactly the form `helm package --sign` writes and `helm verify`
// checks, so that charts signed by either tool verify with the other.
//
// Keys come from OpenPGP keyrings, binary (GnuPG's pubring.gpg/secring.gpg) or
// ASCII-armoured (`gpg --export --armor`, several blocks concatenated). The
// OpenPGP work is done by github.com/ProtonMail/go-crypto, the library Helm
// uses. Nothing here touches the network or runs at init time.
//
// It imports pkg/chart (the metadata type).
package provenance
