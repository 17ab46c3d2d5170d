package values

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
)

// ProcessDependencies applies Chart.yaml dependencies to c in place, as Helm's
// chartutil.ProcessDependencies: aliased subcharts are replaced by renamed
// copies, subcharts disabled by tags or conditions (evaluated on userVals
// coalesced with the defaults) are removed, recursively, and then
// import-values are merged into each parent's Values, deepest first.
func ProcessDependencies(c *chart.Chart, userVals map[string]any, opts ...Option) error {
	cfg := newConfig(opts)
	if err := processDependencyEnabled(cfg.log, c, userVals, ""); err != nil {
		return err
	}
	return processDependencyImportValues(cfg.log, c)
}

// isCompatibleRange reports whether version ver satisfies constraint.
func isCompatibleRange(constraint, ver string) bool {
	v, err := semver.NewVersion(ver)
	if err != nil {
		return false
	}
	cons, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	return cons.Check(v)
}

func chartVersion(c *chart.Chart) string {
	if c.Metadata == nil {
		return ""
	}
	return c.Metadata.Version
}

// processDependencyConditions sets Enabled from the first condition path
// that holds a bool.
func processDependencyConditions(log logger, reqs []*chart.Dependency, cvals map[string]any, cpath string) {
	for _, r := range reqs {
		for _, cond := range strings.Split(strings.TrimSpace(r.Condition), ",") {
			if cond == "" {
				continue
			}
			v, err := common.Values(cvals).PathValue(cpath + cond)
			if err == nil {
				if b, ok := v.(bool); ok {
					r.Enabled = b
					break
				}
				log.warn("returned non-bool value", "path", cond, "chart", r.Name)
			} else if !errors.As(err, new(common.ErrNoValue)) {
				log.warn("the method PathValue returned error", slog.Any("error", err))
			}
		}
	}
}

// processDependencyTags sets Enabled from the tags table: any true tag
// enables, otherwise any false tag disables.
func processDependencyTags(log logger, reqs []*chart.Dependency, cvals map[string]any) {
	if reqs == nil {
		return
	}
	tags, err := common.Values(cvals).Table("tags")
	if err != nil {
		return
	}
	for _, r := range reqs {
		var hasTrue, hasFalse bool
		for _, k := range r.Tags {
			v, ok := tags[k]
			if !ok {
				continue
			}
			if b, ok := v.(bool); ok {
				if b {
					hasTrue = true
				} else {
					hasFalse = true
				}
			} else {
				log.warn("returned non-bool value", "tag", k, "chart", r.Name)
			}
		}
		if !hasTrue && hasFalse {
			r.Enabled = false
		} else {
			r.Enabled = true
		}
	}
}

// aliasDependency returns a copy of the subchart that dep refers to, named
// after dep's alias if it has one; nil when no subchart matches.
func aliasDependency(charts []*chart.Chart, dep *chart.Dependency) *chart.Chart {
	for _, c := range charts {
		if c == nil || c.Name() != dep.Name || !isCompatibleRange(dep.Version, chartVersion(c)) {
			continue
		}
		out := *c
		out.Metadata = copyMetadata(c.Metadata)
		// Fresh shallow copies of the subcharts, so that two aliases of one
		// chart do not share parents.
		out.SetDependencies()
		for _, d := range c.Dependencies() {
			cp := *d
			out.AddDependency(&cp)
		}
		if dep.Alias != "" {
			out.Metadata.Name = dep.Alias
		}
		return &out
	}
	return nil
}

// copyMetadata copies md and its dependency entries.
func copyMetadata(md *chart.Metadata) *chart.Metadata {
	out := *md
	if md.Dependencies != nil {
		out.Dependencies = make([]*chart.Dependency, len(md.Dependencies))
		for i, d := range md.Dependencies {
			cp := *d
			out.Dependencies[i] = &cp
		}
	}
	return &out
}

// processDependencyEnabled resolves aliases, removes disabled subcharts from
// c and recurses into the ones kept. path is the dotted key of c's values in
// v ("" for the root, "sub." below it).
func processDependencyEnabled(log logger, c *chart.Chart, v map[string]any, path string) error {
	if c.Metadata == nil || c.Metadata.Dependencies == nil {
		return nil
	}

	// Subcharts that no Chart.yaml entry refers to are kept as they are.
	var deps []*chart.Chart
outer:
	for _, existing := range c.Dependencies() {
		for _, req := range c.Metadata.Dependencies {
			if req != nil && existing.Name() == req.Name && isCompatibleRange(req.Version, chartVersion(existing)) {
				continue outer
			}
		}
		deps = append(deps, existing)
	}
	for _, req := range c.Metadata.Dependencies {
		if req == nil {
			continue
		}
		if d := aliasDependency(c.Dependencies(), req); d != nil {
			deps = append(deps, d)
		}
		if req.Alias != "" {
			req.Name = req.Alias
		}
	}
	c.SetDependencies(deps...)

	for _, req := range c.Metadata.Dependencies {
		if req != nil {
			req.Enabled = true
		}
	}
	// v is the whole coalesced tree of the parent: copy only what coalescing
	// c touches (see touchedCopy) instead of all of it for every subchart.
	cvals, err := coalesce(log, c, touchedCopy(c, v), "", false)
	if err != nil {
		return err
	}
	reqs := nonNil(c.Metadata.Dependencies)
	processDependencyTags(log, reqs, cvals)
	processDependencyConditions(log, reqs, cvals, path)

	disabled := map[string]bool{}
	for _, r := range reqs {
		if !r.Enabled {
			disabled[r.Name] = true
		}
	}
	kept := []*chart.Chart{}
	for _, d := range c.Dependencies() {
		if !disabled[d.Name()] {
			kept = append(kept, d)
		}
	}
	keptMeta := []*chart.Dependency{}
	for _, r := range c.Metadata.Dependencies {
		if r == nil || !disabled[r.Name] {
			keptMeta = append(keptMeta, r)
		}
	}

	for _, d := range kept {
		if err := processDependencyEnabled(log, d, cvals, path+d.Name()+"."); err != nil {
			return err
		}
	}
	// Like Helm, this leaves Dependencies nil when none is kept.
	c.Metadata.Dependencies = append([]*chart.Dependency(nil), keptMeta...)
	c.SetDependencies(kept...)
	return nil
}

// nonNil drops nil entries (Helm would crash on them).
func nonNil(reqs []*chart.Dependency) []*chart.Dependency {
	if reqs == nil {
		return nil
	}
	out := make([]*chart.Dependency, 0, len(reqs))
	for _, r := range reqs {
		if r != nil {
			out = append(out, r)
		}
	}
	return out
}

// pathToMap nests data under the dotted path ("." is data itself).
func pathToMap(path string, data map[string]any) map[string]any {
	if path == "." {
		return data
	}
	keys := strings.Split(path, ".")
	cur := data
	for i := len(keys) - 1; i >= 0; i-- {
		cur = map[string]any{keys[i]: cur}
	}
	return cur
}

// processImportValues merges the tables that c's dependencies export (their
// import-values) into c.Values, below c's own values in priority.
func processImportValues(log logger, c *chart.Chart) error {
	if c.Metadata == nil || c.Metadata.Dependencies == nil {
		return nil
	}
	cvals, err := coalesceChart(log, c, nil, true)
	if err != nil {
		return err
	}
	b := map[string]any{}
	for _, r := range c.Metadata.Dependencies {
		if r == nil {
			continue
		}
		var out []any
		for _, riv := range r.ImportValues {
			switch iv := riv.(type) {
			case map[string]any:
				child := fmt.Sprintf("%v", iv["child"])
				parent := fmt.Sprintf("%v", iv["parent"])
				out = append(out, map[string]string{"child": child, "parent": parent})
				t, err := common.Values(cvals).Table(r.Name + "." + child)
				if err != nil {
					log.warn("ImportValues missing table from chart", slog.String("chart", r.Name), slog.Any("error", err))
					continue
				}
				b = coalesceTables(log, b, pathToMap(parent, asMap(t)), true)
			case string:
				child := "exports." + iv
				out = append(out, map[string]string{"child": child, "parent": "."})
				t, err := common.Values(cvals).Table(r.Name + "." + child)
				if err != nil {
					log.warn("ImportValues missing table", slog.Any("error", err))
					continue
				}
				b = coalesceTables(log, b, asMap(t), true)
			}
		}
		r.ImportValues = out
	}
	// Imported values rank below the parent's own values.
	own, _ := chart.CopyValue(cvals).(map[string]any)
	c.Values = coalesceTables(log, own, b, true)
	return nil
}

// asMap is Helm's Values.AsMap: never nil.
func asMap(m map[string]any) map[string]any {
	if len(m) == 0 {
		return map[string]any{}
	}
	return m
}

// processDependencyImportValues imports values bottom-up through the tree.
func processDependencyImportValues(log logger, c *chart.Chart) error {
	for _, d := range c.Dependencies() {
		if err := processDependencyImportValues(log, d); err != nil {
			return err
		}
	}
	return processImportValues(log, c)
}
