package repo

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// SearchOptions are `search repo`'s flags.
type SearchOptions struct {
	// Keyword is the search term (all arguments joined by spaces); empty
	// lists every chart.
	Keyword string
	// Regexp treats Keyword as a regular expression.
	Regexp bool
	// Versions lists every matching version, not only the newest.
	Versions bool
	// Version is a SemVer constraint; Devel (when Version is empty) admits
	// prereleases.
	Version string
	Devel   bool
}

// SearchResult is one row of `search repo`.
type SearchResult struct {
	// Name is REPO/CHART.
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"app_version"`
	Description string `json:"description"`

	score int
}

// searchSep separates the fields of a searched line, as in Helm.
const searchSep = "\v"

// Search searches the cached indexes of all configured repositories with
// Helm's rules: the keyword is matched (case-insensitively, or as a
// regular expression) against the chart name, REPO/CHART, description and
// keywords; results are ordered by where they matched, then name, then
// version (newest first); the constraint (default: releases only) picks
// the newest matching version of each chart unless Versions. Repositories
// whose cache is missing or corrupt are skipped with a warning.
func (c *Client) Search(o SearchOptions) ([]SearchResult, error) {
	repos, err := c.Repositories()
	if err != nil {
		return nil, err
	}
	version := o.Version
	if version == "" {
		version = ">0.0.0"
		if o.Devel {
			version = ">0.0.0-0"
		}
	}
	constraint, err := semver.NewConstraint(version)
	if err != nil {
		return nil, fmt.Errorf("an invalid version/constraint format: %w", err)
	}
	var match func(line string) int
	switch {
	case o.Keyword == "":
		match = func(string) int { return 0 }
	case o.Regexp:
		re, err := regexp.Compile(o.Keyword)
		if err != nil {
			return nil, err
		}
		match = func(line string) int {
			loc := re.FindStringIndex(line)
			if loc == nil {
				return -1
			}
			return score(line, loc[0])
		}
	default:
		term := strings.ToLower(o.Keyword)
		match = func(line string) int {
			lower := strings.ToLower(line)
			at := strings.Index(lower, term)
			if at < 0 {
				return -1
			}
			return score(lower, at)
		}
	}

	type hit struct {
		r SearchResult
		v *semver.Version
	}
	var hits []hit
	seen := map[string]int{}
	var line strings.Builder
	for _, e := range repos {
		cp, err := c.LoadCompact(e.Name)
		if err != nil {
			c.opts.Warn(fmt.Sprintf("repo %q is corrupt or missing: %v", e.Name, err))
			continue
		}
		for _, ch := range cp.Charts {
			full := e.Name + "/" + ch.Name
			for _, v := range ch.Versions {
				name := v.ChartName(ch.Name)
				line.Reset()
				line.WriteString(name)
				line.WriteString(searchSep)
				line.WriteString(e.Name + "/" + name)
				line.WriteString(searchSep)
				line.WriteString(v.Description)
				line.WriteString(searchSep)
				line.WriteString(strings.Join(v.Keywords, " "))
				s := match(line.String())
				key := full + "$$" + v.Version
				if prev, ok := seen[key]; ok {
					// A repeated version replaces the earlier one (Helm's map).
					hits[prev].r.score = -1
				}
				if s < 0 || s >= 25 {
					continue
				}
				sv, _ := semver.NewVersion(v.Version)
				seen[key] = len(hits)
				hits = append(hits, hit{SearchResult{Name: full, Version: v.Version, AppVersion: v.AppVersion, Description: v.Description, score: s}, sv})
			}
		}
	}
	kept := hits[:0]
	for _, h := range hits {
		if h.r.score >= 0 {
			kept = append(kept, h)
		}
	}
	hits = kept
	sort.SliceStable(hits, func(a, b int) bool {
		x, y := hits[a], hits[b]
		if x.r.score != y.r.score {
			return x.r.score < y.r.score
		}
		if x.r.Name != y.r.Name {
			return x.r.Name < y.r.Name
		}
		if x.v == nil || y.v == nil {
			return false
		}
		return x.v.GreaterThan(y.v)
	})
	out := []SearchResult{}
	found := map[string]bool{}
	for _, h := range hits {
		if !o.Versions && found[h.r.Name] {
			continue
		}
		if h.v == nil || !constraint.Check(h.v) {
			continue
		}
		out = append(out, h.r)
		found[h.r.Name] = true
	}
	return out, nil
}

// score is Helm's relevance of a match at byte offset at of line: the
// number of field separators before it (0: the chart name).
func score(line string, at int) int {
	n := 0
	for i := 0; i < len(line); i++ {
		if line[i] == searchSep[0] {
			if at <= i {
				return n
			}
			n++
		}
	}
	return n
}
