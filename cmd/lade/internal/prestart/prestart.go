// Package prestart starts loading the chart named on lade's command line
// while the rest of the program initialises. Package initialisation (the
// JSON Schema library's metaschemas, client-go's scheme) takes one core for
// most of lade's first 20 ms; the chart load runs on the other one, and the
// command's own chart.Load takes the result (chart.LoadAhead).
//
// Importing the package is all it takes. It imports nothing of lade but
// pkg/chart, so that it runs early in initialisation. Nothing is written and
// nothing printed: a guess that names the wrong path costs only the load.
package prestart

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/lade-dev/lade/pkg/chart"
)

func init() {
	for _, p := range chartArgs(os.Args[1:]) {
		chart.LoadAhead(p)
	}
}

// renders are the commands that load a chart from a positional argument
// and render it.
var renders = map[string]bool{"template": true, "install": true, "upgrade": true, "diff": true, "lint": true}

// maxGuesses bounds the charts loaded ahead (lint takes several; the
// release name before the chart may name a chart directory as well).
const maxGuesses = 2

// chartArgs returns the arguments of a render command that name a chart on
// disk: a directory holding Chart.yaml, or a .tgz file. Flags and their
// values are skipped by shape only; a flag value that is itself a chart is
// loaded for nothing.
func chartArgs(args []string) []string {
	var found []string
	command := false
	for _, a := range args {
		switch {
		case a == "--":
			continue
		case a == "-h" || a == "--help":
			return nil
		case a == "" || a[0] == '-':
			continue
		case !command:
			command = renders[a]
			continue
		}
		if len(found) < maxGuesses && isChart(a) {
			found = append(found, a)
		}
	}
	return found
}

// isChart reports whether p is a chart directory or a chart archive file.
func isChart(p string) bool {
	if strings.HasSuffix(p, ".tgz") {
		fi, err := os.Stat(p)
		return err == nil && fi.Mode().IsRegular()
	}
	fi, err := os.Stat(filepath.Join(p, "Chart.yaml"))
	return err == nil && fi.Mode().IsRegular()
}
