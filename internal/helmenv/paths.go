package helmenv

import (
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/client-go/util/homedir"
)

// Helm's configuration, cache and data directories, as Helm's helmpath
// finds them: HELM_CONFIG_HOME (HELM_CACHE_HOME, HELM_DATA_HOME), else
// helm/ under XDG_CONFIG_HOME (XDG_CACHE_HOME, XDG_DATA_HOME), else helm/
// under the platform's default (~/.config, ~/.cache, ~/.local/share on
// Linux). lade reads Helm's files there; it writes its own elsewhere.

// ConfigPath is elem under Helm's configuration directory.
func ConfigPath(elem ...string) string {
	return helmPath("HELM_CONFIG_HOME", "XDG_CONFIG_HOME", configHome, elem)
}

// CachePath is elem under Helm's cache directory.
func CachePath(elem ...string) string {
	return helmPath("HELM_CACHE_HOME", "XDG_CACHE_HOME", cacheHome, elem)
}

// DataPath is elem under Helm's data directory.
func DataPath(elem ...string) string {
	return helmPath("HELM_DATA_HOME", "XDG_DATA_HOME", dataHome, elem)
}

func helmPath(helmVar, xdgVar string, def func() string, elem []string) string {
	if base := os.Getenv(helmVar); base != "" {
		return filepath.Join(base, filepath.Join(elem...))
	}
	base := os.Getenv(xdgVar)
	if base == "" {
		base = def()
	}
	return filepath.Join(base, "helm", filepath.Join(elem...))
}

func configHome() string {
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(homedir.HomeDir(), "Library", "Preferences")
	case "windows":
		return os.Getenv("APPDATA")
	}
	return filepath.Join(homedir.HomeDir(), ".config")
}

func cacheHome() string {
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(homedir.HomeDir(), "Library", "Caches")
	case "windows":
		return os.Getenv("TEMP")
	}
	return filepath.Join(homedir.HomeDir(), ".cache")
}

func dataHome() string {
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(homedir.HomeDir(), "Library")
	case "windows":
		return os.Getenv("APPDATA")
	}
	return filepath.Join(homedir.HomeDir(), ".local", "share")
}

// envOr is the variable's value when it is set (even empty, as Helm
// reads its path variables), else def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// RegistryConfig is the credentials file `helm registry login` writes:
// $HELM_REGISTRY_CONFIG, else registry/config.json in Helm's configuration
// directory.
func RegistryConfig() string {
	return envOr("HELM_REGISTRY_CONFIG", ConfigPath("registry", "config.json"))
}

// RepositoryConfig is Helm's list of chart repositories:
// $HELM_REPOSITORY_CONFIG, else repositories.yaml in Helm's configuration
// directory.
func RepositoryConfig() string {
	return envOr("HELM_REPOSITORY_CONFIG", ConfigPath("repositories.yaml"))
}

// RepositoryCache is where Helm keeps repository indexes:
// $HELM_REPOSITORY_CACHE, else repository/ in Helm's cache directory.
func RepositoryCache() string {
	return envOr("HELM_REPOSITORY_CACHE", CachePath("repository"))
}

// ContentCache is Helm's cache of downloaded charts: $HELM_CONTENT_CACHE,
// else content/ in Helm's cache directory.
func ContentCache() string {
	return envOr("HELM_CONTENT_CACHE", CachePath("content"))
}

// Plugins is Helm's plugin directory: $HELM_PLUGINS, else plugins/ in
// Helm's data directory. lade runs no plugins; `lade env` shows it.
func Plugins() string {
	return envOr("HELM_PLUGINS", DataPath("plugins"))
}

// LadeConfigPath is elem under lade's own configuration directory: lade/
// under XDG_CONFIG_HOME, else under the platform's default (~/.config on
// Linux), beside Helm's.
func LadeConfigPath(elem ...string) string {
	base := os.Getenv("XDG_CONFIG_HOME")
	if base == "" {
		base = configHome()
	}
	return filepath.Join(base, "lade", filepath.Join(elem...))
}
