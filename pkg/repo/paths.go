package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Paths are where repository state lives.
type Paths struct {
	// Config is repositories.yaml (HELM_REPOSITORY_CONFIG).
	Config string
	// Cache is the index cache directory (HELM_REPOSITORY_CACHE).
	Cache string
}

// ResolvePaths finds Helm's repository files the way Helm v4 does:
// HELM_REPOSITORY_CONFIG, else $HELM_CONFIG_HOME/repositories.yaml, else
// $XDG_CONFIG_HOME/helm/..., else the platform default (~/.config/helm on
// Linux); likewise HELM_REPOSITORY_CACHE, HELM_CACHE_HOME, XDG_CACHE_HOME
// and ~/.cache/helm/repository. getenv is os.Getenv in the CLI; it is a
// parameter so that one environment layer can feed it.
func ResolvePaths(getenv func(string) string) (Paths, error) {
	var p Paths
	if p.Config = getenv("HELM_REPOSITORY_CONFIG"); p.Config == "" {
		dir, err := helmHome(getenv, "HELM_CONFIG_HOME", "XDG_CONFIG_HOME", ".config", "Library/Preferences")
		if err != nil {
			return Paths{}, err
		}
		p.Config = filepath.Join(dir, "repositories.yaml")
	}
	if p.Cache = getenv("HELM_REPOSITORY_CACHE"); p.Cache == "" {
		dir, err := helmHome(getenv, "HELM_CACHE_HOME", "XDG_CACHE_HOME", ".cache", "Library/Caches")
		if err != nil {
			return Paths{}, err
		}
		p.Cache = filepath.Join(dir, "repository")
	}
	return p, nil
}

// helmHome is one of Helm's base directories.
func helmHome(getenv func(string) string, helmVar, xdgVar, unixDir, darwinDir string) (string, error) {
	if d := getenv(helmVar); d != "" {
		return d, nil
	}
	if d := getenv(xdgVar); d != "" {
		return filepath.Join(d, "helm"), nil
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home directory to find Helm's repository files (set %s): %w", helmVar, err)
		}
		home = h
	}
	if home == "" {
		return "", errors.New("no home directory to find Helm's repository files")
	}
	if runtime.GOOS == "darwin" {
		return filepath.Join(home, darwinDir, "helm"), nil
	}
	return filepath.Join(home, unixDir, "helm"), nil
}

// IndexFile is the cached index of repository name (Helm's NAME-index.yaml).
func (p Paths) IndexFile(name string) string { return filepath.Join(p.Cache, name+"-index.yaml") }

// ChartsFile is the cached chart list of repository name (NAME-charts.txt).
func (p Paths) ChartsFile(name string) string { return filepath.Join(p.Cache, name+"-charts.txt") }

// CompactFile is lade's compact form of repository name's index.
func (p Paths) CompactFile(name string) string {
	return filepath.Join(p.Cache, name+"-index.lade.json")
}
