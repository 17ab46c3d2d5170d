//go:build !unix

package repo

// lockFile is a no-op where flock(2) is not available.
func lockFile(string) (func(), error) { return func() {}, nil }
