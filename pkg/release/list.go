package release

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/labels"
)

// ListOptions select, order and page the releases List returns.
type ListOptions struct {
	// AllNamespaces lists the releases of every namespace, not only the
	// Config's.
	AllNamespaces bool
	// Statuses keeps the releases whose listed revision has one of these
	// statuses; empty keeps all.
	Statuses []Status
	// AllRevisions lists every revision rather than the newest of each
	// release (Helm lists so for --superseded alone).
	AllRevisions bool
	// Filter keeps the releases whose name it matches; nil keeps all.
	Filter *regexp.Regexp
	// Selector keeps the releases whose record labels it matches; nil keeps all.
	Selector labels.Selector
	// ByDate orders oldest first (to the second, then by name) instead of
	// by name; Reverse reverses either order.
	ByDate, Reverse bool
	// Offset skips that many releases of the ordered list; Max (> 0)
	// returns at most that many after them.
	Offset, Max int
}

// List returns the newest revision of each release (or every revision, see
// AllRevisions) as summaries read from the records' metadata only: records
// written by Helm, which carry no summary, have their newest revision read
// whole, a few at a time. A record that cannot be read (corrupt, or over the
// size limit: anyone who may create Secrets can plant one) is left out with
// a warning naming it, as Helm does.
func (c *Config) List(ctx context.Context, o ListOptions) ([]*Summary, error) {
	st := c.Storage()
	if o.AllNamespaces {
		st = NewStorage(c.Kube.Clientset, c.Kube.Metadata, "")
	}
	sums, err := st.Summaries(ctx, "")
	if err != nil {
		return nil, err
	}
	var picked []*Summary
	latest := map[string]*Summary{}
	for _, sm := range sums {
		if o.Filter != nil && !o.Filter.MatchString(sm.Name) {
			continue
		}
		if o.AllRevisions {
			picked = append(picked, sm)
			continue
		}
		k := sm.Namespace + "/" + sm.Name
		if cur, ok := latest[k]; !ok || cur.Version < sm.Version {
			latest[k] = sm
		}
	}
	for _, sm := range latest {
		picked = append(picked, sm)
	}
	var mask map[Status]bool
	if len(o.Statuses) > 0 {
		mask = map[Status]bool{}
		for _, s := range o.Statuses {
			mask[s] = true
		}
	}
	var rows []*Summary
	for _, sm := range picked {
		if mask != nil && !mask[sm.Status] {
			continue
		}
		if o.Selector != nil && !o.Selector.Matches(labels.Set(sm.Labels)) {
			continue
		}
		rows = append(rows, sm)
	}
	if rows, err = fillSummaries(ctx, st, rows); err != nil {
		return nil, err
	}
	// As Helm 4: by name, or by date oldest first (to the second, then by
	// name); Reverse reverses either order.
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if o.Reverse {
			a, b = b, a
		}
		if o.ByDate && a.Updated.Unix() != b.Updated.Unix() {
			return a.Updated.Unix() < b.Updated.Unix()
		}
		return a.Name < b.Name
	})
	if o.Offset >= len(rows) {
		return nil, nil
	}
	last := len(rows)
	if o.Max > 0 && o.Offset+o.Max < last {
		last = o.Offset + o.Max
	}
	return rows[o.Offset:last], nil
}

// fillSummaries reads the records without summary annotations (written by
// Helm), eight at a time, and drops those that cannot be read.
func fillSummaries(ctx context.Context, st *Storage, rows []*Summary) ([]*Summary, error) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make([]error, len(rows))
	for i, sm := range rows {
		if sm.Chart != "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = st.Fill(ctx, sm)
		}()
	}
	wg.Wait()
	kept := rows[:0]
	for i, err := range errs {
		var re *RecordError
		if errors.As(err, &re) {
			slog.Warn("skipping release " + rows[i].Namespace + "/" + rows[i].Name + ": " + err.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		kept = append(kept, rows[i])
	}
	return kept, nil
}
