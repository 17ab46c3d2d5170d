package fsutil

import (
	"os"
	"path/filepath"
	"time"
)

// WriteFileAtomic writes data (mode 0644) to name through a temporary file in
// the same directory that is renamed into place, so name is either complete
// or untouched. A non-zero mtime is set on the file.
func WriteFileAtomic(name string, data []byte, mtime time.Time) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err = os.Chtimes(tmp.Name(), mtime, mtime); err != nil {
			return err
		}
	}
	return os.Rename(tmp.Name(), name)
}
