package version

import (
	"runtime/debug"
	"testing"
)

func TestFromBuild(t *testing.T) {
	vcs := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/lade-dev/lade", Version: "v0.0.0-20261206121000-abcdef123456+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "abcdef1234567890"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name            string
		version, commit string
		bi              *debug.BuildInfo
		want            Info
	}{
		{"stamped by the Makefile", "v1.2.3", "0123abc", vcs, Info{"v1.2.3", "0123abc", "go1.26.8"}},
		{"plain go build in a checkout", "dev", "", vcs, Info{"v0.0.0-20261206121000-abcdef123456+dirty", "abcdef1234567890-dirty", "go1.26.8"}},
		{"go build -buildvcs=false", "dev", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, Info{"dev", "", "go1.26.8"}},
		{"go install module@v0.4.0", "dev", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.4.0"}}, Info{"v0.4.0", "", "go1.26.8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fromBuild(tc.version, tc.commit, tc.bi); got != tc.want {
				t.Errorf("fromBuild = %+v, want %+v", got, tc.want)
			}
		})
	}
}
