package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lade-dev/lade/internal/fsutil"
)

// SaveArchive writes the pulled archive as dir/NAME-VERSION.tgz (dir is
// created if missing), through a temporary file so that the destination is
// complete or untouched. It returns the file's path.
func (p *PullResult) SaveArchive(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := filepath.Join(dir, p.FileName())
	if err := fsutil.WriteFileAtomic(name, p.Archive, time.Time{}); err != nil {
		return "", err
	}
	return name, nil
}

// Untar writes the chart's files into dir/NAME (dir is created if missing).
// It refuses to touch an existing dir/NAME, and writes into a temporary
// directory that is renamed into place, so nothing partial is left. The
// files are the ones the chart loader accepted (safe relative paths).
func (p *PullResult) Untar(dir string) (string, error) {
	name := p.Chart.Metadata.Name
	dest := filepath.Join(dir, name)
	if _, err := os.Lstat(dest); err == nil {
		return "", fmt.Errorf("failed to untar: a file or directory with the name %s already exists", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	for _, f := range p.Chart.Raw {
		// The loader has refused absolute paths, "..", drive letters and
		// backslashes already; check again before writing anything.
		if f.Name == "" || strings.HasPrefix(f.Name, "/") || !filepath.IsLocal(filepath.FromSlash(f.Name)) {
			return "", fmt.Errorf("failed to untar: unsafe path %q", f.Name)
		}
		target := filepath.Join(tmp, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(target, f.Data, 0o644); err != nil {
			return "", err
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		return "", fmt.Errorf("failed to untar: %w", err)
	}
	ok = true
	return dest, nil
}
