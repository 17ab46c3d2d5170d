// Package signature verifies Sigstore cosign signatures of charts stored in
// OCI registries: key-based signatures (cosign sign --key) of the chart's
// manifest digest, in the form cosign v2 stores them by default (a manifest
// tagged sha256-HEX.sig beside the chart, one layer per signature: the
// simple-signing payload, the signature in the layer's
// dev.cosignproject.cosign/signature annotation).
//
// The cryptography and the payload format are Sigstore's own library
// (github.com/sigstore/sigstore: key loading, the verifier, the payload
// type); this package only finds the signatures where cosign puts them and
// checks that the payload names the digest. It does not use cosign's CLI
// library: that would force newer versions of modules chart rendering
// depends on (spf13/cast under sprig) than Helm v4.3.1 uses.
//
// Keys are local PEM public keys: verification never needs the public
// internet (no transparency log or certificate checks; keyless
// verification is not offered). Registry access is the caller's (Fetcher).
//
// It imports nothing of lade.
package signature
