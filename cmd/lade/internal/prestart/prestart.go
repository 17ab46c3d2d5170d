// Package prestart starts loading the chart named on lade's command line
// while the rest of the program initialises. Package initialisation (the
// JSON Schema library's metaschemas, client-go's scheme) takes one core for
// most of lade's first 20 ms; the chart load runs on the other one, and the
// command loads its chart through Charts, which holds the result. The
// chart's values.schema.json can then compile on that core too (OnSchema).
//
// It imports nothing of lade but pkg/chart, so that it runs early in
// initialisation. Nothing is written and nothing printed: a guess that
// names the wrong path costs only the work.
package prestart

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lade-dev/lade/pkg/chart"
)

func init() {
	args := os.Args[1:]
	then := schemaLoaded
	if skipsSchema(args) {
		then = nil
	}
	for _, p := range chartArgs(args) {
		Charts.Start(p, then)
	}
}

// Charts are the loads started for the chart arguments of the command line
// (none in tests, whose command line names no chart): the commands pass
// them to the library calls that load charts (source.Options.Charts,
// lint.Options.Charts).
var Charts chart.Preloads

var (
	mu      sync.Mutex
	compile func(schemaJSON []byte) // set by OnSchema
	pending [][]byte                // schemas loaded before OnSchema
)

// OnSchema has f start compiling the values.schema.json of each chart
// loaded ahead: at once for those loaded already, else as soon as each has
// loaded, before the command can take it. f must not block. It is for
// a package initialised after the schema library (see precompile).
func OnSchema(f func(schemaJSON []byte)) {
	mu.Lock()
	defer mu.Unlock()
	compile = f
	for _, s := range pending {
		f(s)
	}
	pending = nil
}

// schemaLoaded passes a chart's schema on to OnSchema's function, or keeps
// it for it.
func schemaLoaded(ch *chart.Chart) {
	if len(ch.Schema) == 0 {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	if compile != nil {
		compile(ch.Schema)
	} else {
		pending = append(pending, ch.Schema)
	}
}

// skipsSchema reports whether the command line turns schema validation off.
func skipsSchema(args []string) bool {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--skip-schema-validation" || a == "--skip-schema-validation=true" {
			return true
		}
	}
	return false
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
