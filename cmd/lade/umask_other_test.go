//go:build !unix

package main

import "testing"

// withUmask022 is a no-op where there is no umask.
func withUmask022(*testing.T) {}
