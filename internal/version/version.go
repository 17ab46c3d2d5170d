package version

import (
	"runtime"
	"runtime/debug"
)

// Set at build time with -ldflags "-X ...". Empty or "dev" means "not
// stamped": Get then falls back to the binary's build information.
var (
	Version = "dev"
	Commit  = ""
)

// Info is what `lade version` prints.
type Info struct {
	Version   string `json:"version"`
	GitCommit string `json:"gitCommit"`
	GoVersion string `json:"goVersion"`
}

// Get returns the build information of this binary.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuild(Version, Commit, bi)
}

// fromBuild prefers the stamped values and fills what is missing from the
// toolchain's record: the main module's version (a tag, or a pseudo-version
// such as v0.0.0-20261206121000-abcdef123456+dirty) and vcs.revision, with
// "-dirty" when vcs.modified says the tree had uncommitted changes.
func fromBuild(stampedVersion, stampedCommit string, bi *debug.BuildInfo) Info {
	info := Info{Version: stampedVersion, GitCommit: stampedCommit, GoVersion: runtime.Version()}
	if bi == nil {
		if info.Version == "" {
			info.Version = "dev"
		}
		return info
	}
	if info.Version == "" || info.Version == "dev" {
		info.Version = "dev"
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		}
	}
	if info.GitCommit == "" {
		var rev string
		var modified bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" && modified {
			rev += "-dirty"
		}
		info.GitCommit = rev
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	return info
}
