package registry

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
)

// DefaultCacheDir is lade's cache directory: $XDG_CACHE_HOME/lade, else the
// platform's user cache directory (~/.cache on Linux) plus /lade.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "lade"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set XDG_CACHE_HOME or --cache-dir): %w", err)
	}
	return filepath.Join(d, "lade"), nil
}

// Cache is a content-addressed store of registry blobs (manifests and chart
// layers) under Dir/blobs/ALGORITHM/HEX. Entries are written through a
// temporary file and renamed, so they are complete or absent; they are
// verified against their digest on every read.
type Cache struct {
	Dir string
}

// errCorrupt marks a cache entry whose bytes do not match its digest.
var errCorrupt = errors.New("corrupt cache entry")

// Path is where the blob with digest d lives.
func (c *Cache) Path(d digest.Digest) string {
	return filepath.Join(c.Dir, "blobs", d.Algorithm().String(), d.Encoded())
}

// Get returns the cached blob d, verified. A missing entry gives an error
// satisfying errors.Is(err, fs.ErrNotExist); an entry that does not match d
// is removed and reported as corrupt.
func (c *Cache) Get(d digest.Digest, maxSize int64) ([]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	p := c.Path(d)
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxSize {
		os.Remove(p)
		return nil, fmt.Errorf("%w %s", errCorrupt, p)
	}
	// One buffer of the file's size; a file that changes size meanwhile
	// fails the digest check below.
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	if d.Algorithm().FromBytes(data) != d {
		os.Remove(p)
		return nil, fmt.Errorf("%w %s", errCorrupt, p)
	}
	return data, nil
}

// Put stores data under d, which the caller has verified.
func (c *Cache) Put(d digest.Digest, data []byte) error {
	tmp, err := c.writeTemp(d, data)
	if err != nil {
		return err
	}
	return c.commit(d, tmp)
}

// writeTemp writes data to a temporary file beside d's entry.
func (c *Cache) writeTemp(d digest.Digest, data []byte) (string, error) {
	dir := filepath.Dir(c.Path(d))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("write cache entry %s: %w", c.Path(d), err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write cache entry %s: %w", c.Path(d), err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write cache entry %s: %w", c.Path(d), err)
	}
	return tmp.Name(), nil
}

// commit renames a temporary file from writeTemp into d's entry.
func (c *Cache) commit(d digest.Digest, tmp string) error {
	if err := os.Rename(tmp, c.Path(d)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write cache entry %s: %w", c.Path(d), err)
	}
	return nil
}
