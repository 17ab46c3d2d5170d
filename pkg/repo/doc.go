// Package repo owns classic HTTP chart repositories (an index.yaml beside
// chart archives, as GitHub Pages, S3, Artifactory or ChartMuseum serve
// them): Helm's repositories.yaml, Helm's index cache (NAME-index.yaml and
// NAME-charts.txt, byte-compatible so Helm and lade share them) plus lade's
// compact form of each index beside them, index parsing that treats the
// index as hostile input, conditional index downloads, search with Helm's
// rules and output order, repository index generation, and resolution of
// NAME/CHART, --repo URL and plain https:// archive references to a verified
// chart archive in the content-addressed cache shared with OCI pulls.
//
// Nothing here runs at init time and nothing touches the network until a
// Client method is called.
//
// It imports pkg/chart, pkg/registry (the shared archive cache) and lade's
// internal helpers.
package repo
