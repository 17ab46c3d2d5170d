package fsutil

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "x.tgz")
	mtime := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := WriteFileAtomic(name, []byte("data"), mtime); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.ModTime().Equal(mtime) || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mtime %v mode %v", fi.ModTime(), fi.Mode())
	}
	// A failing write leaves nothing behind and the old file untouched.
	if err := WriteFileAtomic(filepath.Join(dir, "missing", "y"), []byte("z"), time.Time{}); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}
