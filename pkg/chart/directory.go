package chart

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lade-dev/lade/pkg/chart/ignore"
)

// dirWalker collects the files of a chart directory.
type dirWalker struct {
	l       *loader
	root    string // the chart root with all symlinks resolved
	rules   *ignore.Rules
	files   []*BufferedFile
	entries int
}

// readDir reads a chart directory the way Helm does: entries of each
// directory in lexical order, depth first; .helmignore rules (then Helm's
// default rule) decide what is skipped, before anything else is checked;
// symlinks are followed, but must resolve inside the chart.
func (l *loader) readDir(dir string) ([]*BufferedFile, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	w := &dirWalker{l: l, root: root}
	if w.rules, err = w.readIgnoreFile(); err != nil {
		return nil, err
	}
	w.rules.AddDefaults()
	if err := w.walk(root, "", []string{root}); err != nil {
		return nil, err
	}
	return w.files, nil
}

// readIgnoreFile parses the chart's .helmignore, if there is one.
func (w *dirWalker) readIgnoreFile() (*ignore.Rules, error) {
	name := filepath.Join(w.root, ignore.HelmIgnore)
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return ignore.Empty(), nil
	}
	if err != nil {
		return nil, err
	}
	resolved := name
	if fi.Mode()&fs.ModeSymlink != 0 {
		if resolved, err = filepath.EvalSymlinks(name); err != nil {
			return nil, fmt.Errorf("error evaluating symlink %s: %w", ignore.HelmIgnore, err)
		}
		if !w.inside(resolved) {
			return nil, fmt.Errorf("symlink %s points outside the chart (to %s)", ignore.HelmIgnore, resolved)
		}
		if fi, err = os.Stat(resolved); err != nil {
			return nil, err
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot load irregular file %s as it has file mode type bits set (%s)", ignore.HelmIgnore, fileKind(fi.Mode()))
	}
	data, err := readFileLimited(resolved, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("error reading %s: %w", ignore.HelmIgnore, err)
	}
	rules, err := ignore.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ignore.HelmIgnore, err)
	}
	return rules, nil
}

// inside reports whether the resolved path p is the chart root or below it.
func (w *dirWalker) inside(p string) bool {
	if p == w.root {
		return true
	}
	prefix := w.root
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		prefix += string(filepath.Separator)
	}
	return strings.HasPrefix(p, prefix)
}

// walk visits the directory at dir (reached through the chart path rel,
// "" for the root); stack holds the resolved paths of dir and its parents.
func (w *dirWalker) walk(dir, rel string, stack []string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("read directory %s: %w", displayName(rel), err)
	}
	slices.Sort(names)
	resolved := stack[len(stack)-1]
	for _, name := range names {
		full := filepath.Join(dir, name)
		n := name
		if rel != "" {
			n = rel + "/" + name
		}
		fi, err := os.Lstat(full)
		if err != nil {
			return err
		}
		target := filepath.Join(resolved, name)
		isLink := fi.Mode()&fs.ModeSymlink != 0
		if isLink {
			if target, err = filepath.EvalSymlinks(full); err != nil {
				return fmt.Errorf("error evaluating symlink %s: %w", n, err)
			}
			if fi, err = os.Lstat(target); err != nil {
				return err
			}
		}
		// Ignore rules come first: an ignored entry is never looked at.
		if w.rules.Ignore(n, fi.IsDir()) {
			continue
		}
		if isLink && !w.inside(target) {
			return fmt.Errorf("symlink %s points outside the chart (to %s)", n, target)
		}
		if w.entries++; w.entries > maxDirEntries {
			return fmt.Errorf("chart has more than %d files and directories", maxDirEntries)
		}
		if fi.IsDir() {
			if slices.Contains(stack, target) {
				return fmt.Errorf("symlink %s creates a cycle (it points to %s)", n, target)
			}
			if err := w.walk(full, n, append(stack[:len(stack):len(stack)], target)); err != nil {
				return err
			}
			continue
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("cannot load irregular file %s as it has file mode type bits set (%s)", n, fileKind(fi.Mode()))
		}
		if fi.Size() > MaxFileSize {
			return fmt.Errorf("error reading %s: file is larger than the maximum size %d", n, MaxFileSize)
		}
		data, err := w.l.readFile(target)
		if err != nil {
			return fmt.Errorf("error reading %s: %w", n, err)
		}
		w.files = append(w.files, &BufferedFile{Name: n, ModTime: fi.ModTime(), Data: bytes.TrimPrefix(data, utf8BOM)})
	}
	return nil
}

// readFile reads a regular file within the load's limits.
func (l *loader) readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fileKind(fi.Mode()))
	}
	return l.readLimited(f, fi.Size())
}

// readFileLimited reads a whole file of at most limit bytes.
func readFileLimited(name string, limit int64) ([]byte, error) {
	l := &loader{dataLeft: limit}
	return l.readFile(name)
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeDir != 0:
		return "directory"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "irregular file"
}

func displayName(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}
