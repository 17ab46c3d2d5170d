// Package version holds lade's build information: what the Makefile stamps
// with -ldflags, else what the Go toolchain recorded in the binary (module
// version and VCS revision of a plain `go build` or `go install`). It
// imports nothing of lade.
//
// It imports nothing of lade.
package version
