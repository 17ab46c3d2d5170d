//go:build unix

package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// lockFile takes the exclusive flock(2) Helm takes while it rewrites
// repositories.yaml (repositories.lock beside it), so that lade and Helm
// running at once do not lose each other's changes. The returned function
// releases it.
func lockFile(config string) (func(), error) {
	ext := filepath.Ext(config)
	lock := config + ".lock"
	if ext != "" && len(ext) < len(config) {
		lock = strings.TrimSuffix(config, ext) + ".lock"
	}
	if err := os.MkdirAll(filepath.Dir(lock), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(lock, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", lock, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", lock, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
