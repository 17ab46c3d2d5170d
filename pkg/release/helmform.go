package release

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/lade-dev/lade/pkg/chart"
)

// Where lade keeps its own data in a release record. Helm rewrites records
// through its Go structs (marking a revision superseded, uninstalled...),
// dropping every JSON field it does not know, and Secret annotations with
// them; it keeps the chart whole. So lade's data lives in the record's
// chart, which Helm also copies when it rolls back to the revision:
//   - the field manager lade applied the revision as: the chart metadata
//     annotation lade.dev/field-manager (shown by `helm get metadata`,
//     and so by `lade get metadata`);
//   - the overlay: the chart file lade.dev/overlay.json (JSON of Overlay),
//     which templates never see (stored charts are not rendered again).
//
// Records written by earlier lade versions carry the overlay in the
// top-level field "lade_overlay"; it is still read.
const (
	// AnnotationFieldManager records the field manager of a revision: in
	// its chart's metadata, and on the record Secret while the Secret is
	// as lade wrote it (Helm's rewrite drops Secret annotations).
	AnnotationFieldManager = "lade.dev/field-manager"
	// overlayFile is the chart file holding the overlay.
	overlayFile = "lade.dev/overlay.json"
)

// helmForm returns r as it is encoded: lade's fields moved into its chart
// (r is not modified; unchanged parts are shared).
func helmForm(r *Release) (*Release, error) {
	if r.Chart == nil || (r.FieldManager == "" && r.Overlay == nil && len(r.ChartAnnotations) == 0) {
		return r, nil
	}
	cp := *r
	ch := *r.Chart
	md := chart.Metadata{}
	if ch.Metadata != nil {
		md = *ch.Metadata
	}
	if r.FieldManager != "" {
		md.Annotations = maps.Clone(md.Annotations)
		if md.Annotations == nil {
			md.Annotations = map[string]string{}
		}
		md.Annotations[AnnotationFieldManager] = r.FieldManager
	}
	if len(r.ChartAnnotations) > 0 {
		md.Annotations = maps.Clone(md.Annotations)
		if md.Annotations == nil {
			md.Annotations = map[string]string{}
		}
		maps.Copy(md.Annotations, r.ChartAnnotations)
	}
	ch.Metadata = &md
	ch.Files = slices.DeleteFunc(slices.Clone(ch.Files), func(f *chart.File) bool { return f.Name == overlayFile })
	if r.Overlay != nil {
		js, err := json.Marshal(r.Overlay)
		if err != nil {
			return nil, fmt.Errorf("encode the overlay of release %q: %w", r.Name, err)
		}
		ch.Files = append(ch.Files, &chart.File{Name: overlayFile, Data: js})
		cp.Overlay = nil
	}
	cp.Chart = &ch
	return &cp, nil
}

// fromHelmForm reads lade's fields back from a decoded record's chart: the
// overlay file is taken out of the chart's files; the field-manager
// annotation stays in the chart's metadata (Helm shows it too).
func fromHelmForm(r *Release) error {
	if r.Chart == nil {
		return nil
	}
	if md := r.Chart.Metadata; md != nil {
		r.FieldManager = md.Annotations[AnnotationFieldManager]
	}
	i := slices.IndexFunc(r.Chart.Files, func(f *chart.File) bool { return f != nil && f.Name == overlayFile })
	if i < 0 {
		return nil
	}
	var ov Overlay
	if err := json.Unmarshal(r.Chart.Files[i].Data, &ov); err != nil {
		return fmt.Errorf("release %q revision %d: chart file %s: %w", r.Name, r.Version, overlayFile, err)
	}
	if r.Overlay == nil {
		r.Overlay = &ov
	}
	r.Chart.Files = slices.Delete(r.Chart.Files, i, i+1)
	if len(r.Chart.Files) == 0 {
		r.Chart.Files = nil
	}
	return nil
}

// writtenByLade reports whether lade wrote r (as opposed to a Helm upgrade
// or install, which records Helm's own chart): its chart carries lade's
// record, or, for records of earlier lade versions Helm has not rewritten,
// the overlay field or the lease holder annotation.
func writtenByLade(r *Release) bool {
	return r.FieldManager != "" || r.Overlay != nil || r.Holder != ""
}

// WrittenByLade reports whether lade wrote the revision (a Helm upgrade or
// install records Helm's chart, without lade's overlay or field manager).
func (r *Release) WrittenByLade() bool { return writtenByLade(r) }
