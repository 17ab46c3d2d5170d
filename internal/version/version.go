// Package version holds lade's build information, stamped by the Makefile.
package version

import "runtime"

// Set at build time with -ldflags "-X ...".
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
	return Info{Version: Version, GitCommit: Commit, GoVersion: runtime.Version()}
}
