package overlay

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
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

// Overlay is a kustomization held in memory: the files it is built from, by
// slash-separated path relative to the directory they were recorded from,
// and Entry, the directory of the kustomization that is built ("" or "."
// for that directory itself). Entry is below the recording directory when
// the kustomization uses bases above its own directory (resources:
// [../../base]): the recording directory is then the nearest one that holds
// them all.
type Overlay struct {
	Files map[string][]byte
	Entry string
}

// entry is Entry, "." when empty.
func (o *Overlay) entry() string {
	if o.Entry == "" {
		return "."
	}
	return o.Entry
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

// Load reads the kustomization in dir, and every base directory it uses
// below the default root (see DefaultRoot), into memory and validates it.
func Load(dir string) (*Overlay, error) {
	return LoadWithin(dir, "")
}

// DefaultRoot is the root an overlay in dir may reach up to when none is
// given: the git repository holding dir, else the working directory when it
// holds dir, else dir itself.
func DefaultRoot(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if wd, err := os.Getwd(); err == nil && within(wd, abs) {
		return wd
	}
	return abs
}

// LoadWithin is Load with the root the overlay's bases must stay inside
// ("" for DefaultRoot(dir)). Like kustomize, a kustomization may use base
// directories anywhere (here: anywhere below root), while the files it names
// itself are kustomize's to restrict to its own directory. Each directory
// used is read whole; symbolic links are followed only when they stay
// inside root; special files are refused; ".git" directories are skipped.
// Remote bases are never fetched (Validate refuses them).
func LoadWithin(dir, root string) (*Overlay, error) {
	if root == "" {
		root = DefaultRoot(dir)
	}
	absRoot, err := realDir(root)
	if err != nil {
		return nil, fmt.Errorf("overlay root %s: %w", root, err)
	}
	absDir, err := realDir(dir)
	if err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	if !within(absRoot, absDir) {
		return nil, fmt.Errorf("overlay %s is outside the overlay root %s (set --overlay-root to a directory that holds it)", dir, root)
	}
	r := &reader{root: absRoot, files: map[string][]byte{}}
	if err := r.readTree(absDir); err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	if err := r.addBases(); err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	top := r.trees[0]
	for _, t := range r.trees[1:] {
		for !within(top, t) {
			top = filepath.Dir(top)
		}
	}
	ov := &Overlay{Files: make(map[string][]byte, len(r.files))}
	for abs, data := range r.files {
		rel, _ := filepath.Rel(top, abs)
		ov.Files[filepath.ToSlash(rel)] = data
	}
	if rel, _ := filepath.Rel(top, absDir); rel != "." {
		ov.Entry = filepath.ToSlash(rel)
	}
	if err := ov.Validate(); err != nil {
		return nil, fmt.Errorf("overlay %s: %w", dir, err)
	}
	return ov, nil
}

// realDir is dir made absolute with its links resolved; it must be a directory.
func realDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil {
		return "", err
	}
	st, err := os.Stat(abs)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		return "", errors.New("not a directory (an overlay is a directory holding kustomization.yaml)")
	}
	return abs, nil
}

// within reports whether path p is dir or below it (both clean and absolute).
func within(dir, p string) bool {
	r, err := filepath.Rel(dir, p)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

// reader collects an overlay's files by absolute path, with the limits of
// the whole overlay.
type reader struct {
	root  string
	files map[string][]byte
	trees []string // directories read whole, in order
	total int
}

// covered reports whether p lies in a directory already read.
func (r *reader) covered(p string) bool {
	for _, t := range r.trees {
		if within(t, p) {
			return true
		}
	}
	return false
}

// rel names p for errors: relative to the root.
func (r *reader) rel(p string) string {
	s, _ := filepath.Rel(r.root, p)
	return filepath.ToSlash(s)
}

// readTree reads every regular file below dir.
func (r *reader) readTree(dir string) error {
	r.trees = append(r.trees, dir)
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if _, seen := r.files[p]; seen {
			return nil
		}
		rel := r.rel(p)
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
			if !within(r.root, real) {
				return fmt.Errorf("%s: symbolic link leaves the overlay root %s (to %s)", rel, r.root, real)
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
		if len(r.files) >= MaxFiles {
			return fmt.Errorf("more than %d files", MaxFiles)
		}
		data, err := os.ReadFile(real)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		if r.total += len(data); r.total > MaxTotalSize {
			return fmt.Errorf("files total more than %d bytes", MaxTotalSize)
		}
		r.files[p] = data
		return nil
	})
}

// addBases reads, until none is left, each directory that a kustomization
// read so far names in resources, bases or components and that is not read
// yet. A directory outside the root is refused; remote references and names
// that are no directory are left to Validate and kustomize.
func (r *reader) addBases() error {
	done := map[string]bool{}
	for {
		var next []string
		for p := range r.files {
			if done[p] || !slices.Contains(kustomizationNames, filepath.Base(p)) {
				continue
			}
			done[p] = true
			var k map[string]any
			if err := yaml.Unmarshal(r.files[p], &k); err != nil {
				return fmt.Errorf("%s: invalid YAML: %w", r.rel(p), err)
			}
			for _, field := range []string{"resources", "bases", "components"} {
				for _, ref := range stringList(k[field]) {
					if isRemote(ref) || filepath.IsAbs(ref) {
						continue
					}
					target := filepath.Join(filepath.Dir(p), filepath.FromSlash(ref))
					if r.covered(target) {
						continue
					}
					if !within(r.root, target) {
						return &RefusedError{File: r.rel(p), What: fmt.Sprintf("%s %q", field, ref),
							Reason: fmt.Sprintf("path leaves the overlay root %s (lade reads an overlay's bases only below it: the git repository or working directory by default; set --overlay-root to widen it)", r.root)}
					}
					real, err := filepath.EvalSymlinks(target)
					if err != nil {
						continue // Validate names the missing path
					}
					if st, err := os.Stat(real); err != nil || !st.IsDir() {
						continue
					}
					if !within(r.root, real) {
						return &RefusedError{File: r.rel(p), What: fmt.Sprintf("%s %q", field, ref),
							Reason: fmt.Sprintf("symbolic link leaves the overlay root %s (to %s)", r.root, real)}
					}
					next = append(next, target)
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		sort.Strings(next)
		for _, d := range next {
			if r.covered(d) {
				continue
			}
			if err := r.readTree(d); err != nil {
				return err
			}
		}
	}
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
	return kustomizationIn(o.Files, o.entry())
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
