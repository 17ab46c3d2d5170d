package repo

import (
	"path/filepath"

	"github.com/lade-dev/lade/internal/helmenv"
)

// Paths are where repository state lives.
type Paths struct {
	// Config is repositories.yaml (HELM_REPOSITORY_CONFIG).
	Config string
	// Cache is the index cache directory (HELM_REPOSITORY_CACHE).
	Cache string
}

// DefaultPaths are Helm's repository files, found as Helm v4 finds them
// (internal/helmenv, shared with `lade env`): HELM_REPOSITORY_CONFIG, else
// repositories.yaml in Helm's configuration directory (HELM_CONFIG_HOME,
// XDG_CONFIG_HOME/helm, ~/.config/helm on Linux); HELM_REPOSITORY_CACHE,
// else repository/ in Helm's cache directory.
func DefaultPaths() Paths {
	return Paths{Config: helmenv.RepositoryConfig(), Cache: helmenv.RepositoryCache()}
}

// IndexFile is the cached index of repository name (Helm's NAME-index.yaml).
func (p Paths) IndexFile(name string) string { return filepath.Join(p.Cache, name+"-index.yaml") }

// ChartsFile is the cached chart list of repository name (NAME-charts.txt).
func (p Paths) ChartsFile(name string) string { return filepath.Join(p.Cache, name+"-charts.txt") }

// CompactFile is lade's compact form of repository name's index.
func (p Paths) CompactFile(name string) string {
	return filepath.Join(p.Cache, name+"-index.lade.json")
}
