package values

import (
	"fmt"

	"github.com/lade-dev/lade/pkg/chart"
)

// globalKey is the values key shared between a chart and all its subcharts.
const globalKey = "global"

// CoalesceValues returns the values the root chart c renders with: userVals
// coalesced over the defaults of c and all its subcharts (a null user value
// deletes the default it overrides), then checked against every
// values.schema.json unless SkipSchemaValidation(true) is given. Call it after
// ProcessDependencies; userVals is not modified.
func CoalesceValues(c *chart.Chart, userVals map[string]any, opts ...Option) (map[string]any, error) {
	cfg := newConfig(opts)
	vals, err := coalesceChart(cfg.log, c, userVals, false)
	if err != nil {
		return vals, err
	}
	if !cfg.skipSchema {
		if err := validateSchemas(cfg, c, vals); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// coalesceChart is Helm's util.CoalesceValues (merge false) and
// util.MergeValues (merge true, nulls kept) on a deep copy of vals.
func coalesceChart(log logger, c *chart.Chart, vals map[string]any, merge bool) (map[string]any, error) {
	dest, _ := chart.CopyValue(vals).(map[string]any)
	if dest == nil {
		dest = map[string]any{}
	}
	return coalesce(log, c, dest, "", merge)
}

func concatPrefix(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func istable(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// touchedCopy returns a copy of vals that coalescing chart c into it may
// modify: the top-level keys c's defaults set, "global" and the keys of c's
// subcharts are deep-copied; every other key is shared with vals, which
// coalescing neither modifies nor reaches through. The result equals a deep
// copy for coalesce(c, ...) at a cost proportional to what c touches.
func touchedCopy(c *chart.Chart, vals map[string]any) map[string]any {
	dest := make(map[string]any, len(vals))
	for k, x := range vals {
		dest[k] = x
	}
	touch := func(k string) {
		if x, ok := vals[k]; ok {
			dest[k] = chart.CopyValue(x)
		}
	}
	for k := range c.Values {
		touch(k)
	}
	touch(globalKey)
	for _, d := range c.Dependencies() {
		touch(d.Name())
	}
	return dest
}

// coalesce merges the values of chart c and of its subcharts into dest,
// dest taking priority.
func coalesce(log logger, c *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	coalesceValues(log, c, dest, prefix, merge)
	return coalesceDeps(log, c, dest, prefix, merge)
}

// coalesceDeps coalesces each subchart's defaults under its key of dest,
// after handing it the globals of dest.
func coalesceDeps(log logger, c *chart.Chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	for _, sub := range c.Dependencies() {
		name := sub.Name()
		if cur, ok := dest[name]; !ok {
			dest[name] = map[string]any{}
		} else if !istable(cur) {
			return dest, fmt.Errorf("type mismatch on %s: %t", name, cur)
		}
		subVals := dest[name].(map[string]any)
		subPrefix := concatPrefix(prefix, c.Name())
		coalesceGlobals(log, subVals, dest, subPrefix)
		var err error
		dest[name], err = coalesce(log, sub, subVals, subPrefix, merge)
		if err != nil {
			return dest, err
		}
	}
	return dest, nil
}

// coalesceGlobals merges the globals of src into those of dest; src (the
// parent) wins for scalars, tables are merged.
func coalesceGlobals(log logger, dest, src map[string]any, prefix string) {
	var dg, sg map[string]any
	if cur, ok := dest[globalKey]; !ok {
		dg = map[string]any{}
	} else if dg, ok = cur.(map[string]any); !ok {
		log.printf("warning: skipping globals because destination %s is not a table.", globalKey)
		return
	}
	if cur, ok := src[globalKey]; !ok {
		sg = map[string]any{}
	} else if sg, ok = cur.(map[string]any); !ok {
		log.printf("warning: skipping globals because source %s is not a table.", globalKey)
		return
	}

	for key, val := range sg {
		if vm, ok := val.(map[string]any); ok {
			// A shallow copy, as Helm makes: nested tables stay shared.
			vv := make(map[string]any, len(vm))
			for k, x := range vm {
				vv[k] = x
			}
			cur, ok := dg[key]
			if !ok {
				dg[key] = vv
				continue
			}
			curMap, ok := cur.(map[string]any)
			if !ok {
				log.printf("Conflict: cannot merge map onto non-map for %q. Skipping.", key)
				continue
			}
			coalesceTablesFullKey(log, vv, curMap, concatPrefix(prefix, key), true)
			dg[key] = vv
		} else if cur, ok := dg[key]; ok && istable(cur) {
			log.printf("key %s is table. Skipping", key)
		} else {
			dg[key] = val
		}
	}
	dest[globalKey] = dg
}

// coalesceValues merges the defaults of chart c into v, v taking priority.
func coalesceValues(log logger, c *chart.Chart, v map[string]any, prefix string, merge bool) {
	subPrefix := concatPrefix(prefix, c.Name())
	defaults, _ := chart.CopyValue(c.Values).(map[string]any)

	for key, val := range defaults {
		value, ok := v[key]
		if !ok {
			// Not overridden: take the default. When coalescing, a null
			// default is dropped and nulls nested in a default table too.
			if !merge {
				if val == nil {
					continue
				}
				if m, ok := val.(map[string]any); ok {
					cleanNilValues(m)
				}
			}
			v[key] = val
			continue
		}
		if value == nil && !merge {
			// A null user value deletes the key.
			delete(v, key)
			continue
		}
		dst, ok := value.(map[string]any)
		if !ok {
			continue
		}
		src, ok := val.(map[string]any)
		if !ok {
			if val != nil {
				log.printf("warning: skipped value for %s.%s: Not a table.", subPrefix, key)
			}
			continue
		}
		// The values of a subchart are merged, keeping their nulls for the
		// subchart's own pass.
		m := merge || isSubchart(c, key)
		if !m {
			cleanNilValues(src)
		}
		coalesceTablesFullKey(log, dst, src, concatPrefix(subPrefix, key), m)
	}
}

// isSubchart reports whether key names a subchart of c.
func isSubchart(c *chart.Chart, key string) bool {
	for _, sub := range c.Dependencies() {
		if sub.Name() == key {
			return true
		}
	}
	return false
}

// coalesceTables merges src into dst, dst taking priority, as Helm's
// util.CoalesceTables (merge false) and util.MergeTables (merge true).
func coalesceTables(log logger, dst, src map[string]any, merge bool) map[string]any {
	return coalesceTablesFullKey(log, dst, src, "", merge)
}

// coalesceTablesFullKey merges src into dst, dst taking priority; prefix
// names the tables in warnings. When coalescing, a null in dst deletes a
// non-null value of src.
func coalesceTablesFullKey(log logger, dst, src map[string]any, prefix string, merge bool) map[string]any {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	srcNonNil := make(map[string]bool, len(src))
	for key, val := range src {
		if val != nil {
			srcNonNil[key] = true
		}
	}
	for key, val := range dst {
		if val == nil {
			src[key] = nil
		}
	}
	for key, val := range src {
		fullKey := concatPrefix(prefix, key)
		dv, ok := dst[key]
		switch {
		case ok && !merge && dv == nil && srcNonNil[key]:
			delete(dst, key)
		case !ok:
			dst[key] = val
		case istable(val):
			if istable(dv) {
				coalesceTablesFullKey(log, dv.(map[string]any), val.(map[string]any), fullKey, merge)
			} else {
				log.printf("warning: cannot overwrite table with non table for %s (%v)", fullKey, val)
			}
		case istable(dv) && val != nil:
			log.printf("warning: destination for %s is a table. Ignoring non-table value (%v)", fullKey, val)
		}
	}
	return dst
}

// cleanNilValues deletes null entries from m and its nested tables.
func cleanNilValues(m map[string]any) {
	for key, val := range m {
		if val == nil {
			delete(m, key)
		} else if sub, ok := val.(map[string]any); ok {
			cleanNilValues(sub)
		}
	}
}
