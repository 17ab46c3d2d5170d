//go:build unix

package main

import (
	"syscall"
	"testing"
)

// withUmask022 sets the process's umask to 022 for the test, so files
// written with mode 0644/0755 get exactly those modes (as on Helm's machine
// when the goldens were made).
func withUmask022(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })
}
