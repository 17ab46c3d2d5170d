package repo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Entry is one repository of repositories.yaml, with Helm's field names.
type Entry struct {
	Name                  string `json:"name"`
	URL                   string `json:"url"`
	Username              string `json:"username"`
	Password              string `json:"password"`
	CertFile              string `json:"certFile"`
	KeyFile               string `json:"keyFile"`
	CAFile                string `json:"caFile"`
	InsecureSkipTLSVerify bool   `json:"insecure_skip_tls_verify"`
	PassCredentialsAll    bool   `json:"pass_credentials_all"`
}

// File is repositories.yaml.
type File struct {
	APIVersion   string    `json:"apiVersion"`
	Generated    time.Time `json:"generated"`
	Repositories []*Entry  `json:"repositories"`
}

// ErrNoRepositories is returned when no repository is configured.
var ErrNoRepositories = errors.New("no repositories configured")

// ErrInvalidName marks a repository name that cannot be used as a file name.
var ErrInvalidName = errors.New("invalid repository name")

// ValidateName refuses repository names that would escape the cache
// directory or cannot be told apart from a path: empty, ".", "..", or
// holding '/', '\', ".." or control characters.
func ValidateName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("%w %q", ErrInvalidName, name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("%w %q: it contains a path separator ('/' or '\\'); choose a name without one", ErrInvalidName, name)
	case strings.Contains(name, ".."):
		return fmt.Errorf("%w %q: it contains \"..\"", ErrInvalidName, name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w %q: it contains a control character", ErrInvalidName, name)
		}
	}
	return nil
}

// LoadFile reads repositories.yaml; a missing file is an empty File (check
// with errors.Is(err, fs.ErrNotExist) on the second result only when it
// matters: the returned File is usable either way).
func LoadFile(path string) (*File, error) {
	f := &File{APIVersion: "v1"}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	if err != nil {
		return f, fmt.Errorf("couldn't load repositories file (%s): %w", path, err)
	}
	if err := yaml.Unmarshal(b, f); err != nil {
		return f, fmt.Errorf("repositories file %s: %w", path, err)
	}
	// Drop null entries (a hand-edited file), as Helm's Remove does.
	kept := f.Repositories[:0]
	for _, e := range f.Repositories {
		if e != nil {
			kept = append(kept, e)
		}
	}
	f.Repositories = kept
	return f, nil
}

// Get returns the entry called name, or nil.
func (f *File) Get(name string) *Entry {
	for _, e := range f.Repositories {
		if e.Name == name {
			return e
		}
	}
	return nil
}

// Update replaces the entry with e's name, or appends e.
func (f *File) Update(e *Entry) {
	for i, old := range f.Repositories {
		if old.Name == e.Name {
			f.Repositories[i] = e
			return
		}
	}
	f.Repositories = append(f.Repositories, e)
}

// Remove drops the entry called name and reports whether it was there.
func (f *File) Remove(name string) bool {
	for i, e := range f.Repositories {
		if e.Name == name {
			f.Repositories = append(f.Repositories[:i], f.Repositories[i+1:]...)
			return true
		}
	}
	return false
}

// WriteFile writes the file as Helm does (YAML, mode 0600), atomically.
func (f *File) WriteFile(path string) error {
	if f.APIVersion == "" {
		f.APIVersion = "v1"
	}
	if f.Repositories == nil {
		f.Repositories = []*Entry{}
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	return atomicWrite(path, data, 0o600)
}

// atomicWrite writes data to a temporary file beside path and renames it.
func atomicWrite(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
