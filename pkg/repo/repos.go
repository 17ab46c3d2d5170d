package repo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"

	"golang.org/x/sync/errgroup"
)

// ErrExists is returned when adding a repository name that is taken by a
// different configuration.
var ErrExists = errors.New("repository name already exists")

// ErrNotFound is returned for a repository name that is not configured.
var ErrNotFound = errors.New("repository not found")

// Add downloads e's index and adds e to repositories.yaml. An identical
// entry is left alone (added false); a different one needs force.
func (c *Client) Add(ctx context.Context, e *Entry, force bool) (added bool, err error) {
	if err := ValidateName(e.Name); err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := LoadFile(c.opts.Paths.Config)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if old := f.Get(e.Name); old != nil && !force {
		if *old == *e {
			return false, nil
		}
		return false, fmt.Errorf("%w: %q (use --force-update to replace it)", ErrExists, e.Name)
	}
	if _, err := c.DownloadIndex(ctx, e, false); err != nil {
		return false, fmt.Errorf("looks like %q is not a valid chart repository or cannot be reached: %w", e.URL, err)
	}
	// Read, change and write the file under Helm's lock, so that a
	// concurrent helm or lade loses nothing.
	unlock, err := lockFile(c.opts.Paths.Config)
	if err != nil {
		return false, err
	}
	defer unlock()
	if f, err = LoadFile(c.opts.Paths.Config); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	f.Update(e)
	return true, f.WriteFile(c.opts.Paths.Config)
}

// Repositories are the configured repositories (ErrNoRepositories if none).
func (c *Client) Repositories() ([]*Entry, error) {
	f, err := LoadFile(c.opts.Paths.Config)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(f.Repositories) == 0) {
		return nil, ErrNoRepositories
	}
	if err != nil {
		return nil, err
	}
	return f.Repositories, nil
}

// Entry returns the configured repository called name.
func (c *Client) Entry(name string) (*Entry, error) {
	f, err := LoadFile(c.opts.Paths.Config)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	e := f.Get(name)
	if e == nil {
		return nil, fmt.Errorf("%w: %q (add it with 'lade repo add %s URL')", ErrNotFound, name, name)
	}
	return e, nil
}

// UpdateEvent reports one repository of Update.
type UpdateEvent struct {
	Entry  *Entry
	Result IndexResult
	Err    error
}

// Update revalidates the indexes of the named repositories (all if none
// named), at most parallel at a time (0: 4), calling report as each ends.
// The error lists the repositories that failed.
func (c *Client) Update(ctx context.Context, names []string, parallel int, report func(UpdateEvent)) error {
	all, err := c.Repositories()
	if err != nil {
		return err
	}
	var todo []*Entry
	if len(names) == 0 {
		todo = all
	} else {
		f := &File{Repositories: all}
		for _, n := range names {
			e := f.Get(n)
			if e == nil {
				return fmt.Errorf("%w: %q", ErrNotFound, n)
			}
			todo = append(todo, e)
		}
	}
	if parallel <= 0 {
		parallel = 4
	}
	var g errgroup.Group
	g.SetLimit(parallel)
	failed := make([]bool, len(todo))
	var mu sync.Mutex
	for i, e := range todo {
		g.Go(func() error {
			res, err := c.DownloadIndex(ctx, e, true)
			mu.Lock()
			defer mu.Unlock()
			failed[i] = err != nil
			if report != nil {
				report(UpdateEvent{Entry: e, Result: res, Err: err})
			}
			return nil
		})
	}
	_ = g.Wait()
	var bad []string
	for i, f := range failed {
		if f {
			bad = append(bad, todo[i].URL)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("failed to update the following repositories: %v", bad)
	}
	return nil
}

// Remove drops the named repositories and their cache files; all names
// must be configured, else nothing is removed.
func (c *Client) Remove(names []string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := lockFile(c.opts.Paths.Config)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := LoadFile(c.opts.Paths.Config)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(f.Repositories) == 0) {
		return ErrNoRepositories
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		if f.Get(n) == nil {
			return fmt.Errorf("%w: no repo named %q found", ErrNotFound, n)
		}
	}
	for _, n := range names {
		f.Remove(n)
	}
	if err := f.WriteFile(c.opts.Paths.Config); err != nil {
		return err
	}
	p := c.opts.Paths
	for _, n := range names {
		if ValidateName(n) != nil {
			continue // never a path outside the cache
		}
		for _, file := range []string{p.IndexFile(n), p.ChartsFile(n), p.CompactFile(n)} {
			if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}
