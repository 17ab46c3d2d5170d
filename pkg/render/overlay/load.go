package overlay

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Limits on what Load reads: an overlay is small text, and it is stored in
// every release revision.
const (
	MaxFileSize  = 1 << 20
	MaxTotalSize = 4 << 20
	MaxFiles     = 1000
)

// kustomizationNames are the file names kustomize recognises, in its order.
var kustomizationNames = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// Overlay is a kustomization directory held in memory: every regular file
// under the directory, by slash-separated path relative to it.
type Overlay struct {
	Files map[string][]byte
}

// IsKustomization reports whether dir holds a kustomization file.
func IsKustomization(dir string) bool {
	for _, n := range kustomizationNames {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

// Load reads dir into memory and validates it (see Validate). Symbolic links
// are followed only when they stay inside dir; special files are refused;
// ".git" directories are skipped.
func Load(dir string) (*Overlay, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("overlay %s: not a directory (an overlay is a directory holding kustomization.yaml)", dir)
	}
	files := map[string][]byte{}
	total := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		real := p
		if d.Type()&fs.ModeSymlink != 0 {
			if real, err = filepath.EvalSymlinks(p); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			if r, _ := filepath.Rel(root, real); r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				return fmt.Errorf("%s: symbolic link leaves the overlay directory (to %s)", rel, real)
			}
		}
		info, err := os.Stat(real)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		if info.IsDir() {
			return fmt.Errorf("%s: symbolic link to a directory is not supported", rel)
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", rel)
		}
		if info.Size() > MaxFileSize {
			return fmt.Errorf("%s: file is larger than %d bytes", rel, MaxFileSize)
		}
		if len(files) >= MaxFiles {
			return fmt.Errorf("more than %d files", MaxFiles)
		}
		data, err := os.ReadFile(real)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		total += len(data)
		if total > MaxTotalSize {
			return fmt.Errorf("files total more than %d bytes", MaxTotalSize)
		}
		files[rel] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	ov := &Overlay{Files: files}
	if err := ov.Validate(); err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	return ov, nil
}

// Paths returns the file paths in order.
func (o *Overlay) Paths() []string {
	ps := make([]string, 0, len(o.Files))
	for p := range o.Files {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Root returns the path of the root kustomization file.
func (o *Overlay) Root() (string, error) {
	if o == nil || len(o.Files) == 0 {
		return "", errors.New("empty overlay")
	}
	return kustomizationIn(o.Files, ".")
}

func kustomizationIn(files map[string][]byte, dir string) (string, error) {
	var found []string
	for _, n := range kustomizationNames {
		if _, ok := files[path.Join(dir, n)]; ok {
			found = append(found, path.Join(dir, n))
		}
	}
	switch len(found) {
	case 0:
		where := "the overlay directory"
		if dir != "." {
			where = dir
		}
		return "", fmt.Errorf("no kustomization.yaml in %s", where)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s: found more than one kustomization file: %s", dir, strings.Join(found, ", "))
}

// WriteTo writes the overlay's files under dir (creating it, replacing files
// of the same name), for `lade get overlay --output-dir`.
func (o *Overlay) WriteTo(dir string) error {
	for _, p := range o.Paths() {
		if !fs.ValidPath(p) {
			return fmt.Errorf("refusing to write %q outside %s", p, dir)
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, o.Files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}
