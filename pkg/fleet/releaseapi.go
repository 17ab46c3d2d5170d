package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// This file is the fleet's use of pkg/release's operations: one plan, its
// preview, and its deploy.

// planned is the plan of one release.
type planned struct {
	plan          *release.Plan
	next, current *release.Release
	report        *diff.Report
	// sameAsCurrent: current is deployed and next would deploy the same
	// chart, values, overlay, manifest and hooks (only drift can differ).
	sameAsCurrent bool
}

// planRelease plans an upgrade (or install) of one release and previews it.
func planRelease(ctx context.Context, cfg *release.Config, o release.UpgradeOptions, do diff.Options) (*planned, error) {
	pl, err := cfg.PlanUpgrade(ctx, o)
	if err != nil {
		return nil, err
	}
	rep, err := cfg.Preview(ctx, pl, do)
	if err != nil {
		return nil, err
	}
	return &planned{plan: pl, next: pl.Next, current: pl.Current, report: rep, sameAsCurrent: pl.SameAsCurrent() || sameRender(pl)}, nil
}

// sameRender reports whether the plan renders what its current revision,
// the newest and deployed, holds: same chart name and version, values,
// overlay, manifest and hooks. Plan.SameAsCurrent also compares the
// chart's subcharts, which a stored record does not keep (Helm's format
// leaves them out), so it never holds for a chart with dependencies; the
// rendered manifest shows what the subcharts made.
func sameRender(pl *release.Plan) bool {
	cur, next := pl.Current, pl.Next
	if cur == nil || cur.Info == nil || cur.Info.Status != release.StatusDeployed || cur.Version != next.Version-1 {
		return false
	}
	if cur.ChartRef() != next.ChartRef() || cur.Manifest != next.Manifest || len(cur.Hooks) != len(next.Hooks) {
		return false
	}
	for i, h := range next.Hooks {
		if h.Manifest != cur.Hooks[i].Manifest || h.Path != cur.Hooks[i].Path {
			return false
		}
	}
	return sameJSON(cur.Config, next.Config) && sameJSON(cur.Overlay, next.Overlay)
}

// sameJSON compares as JSON (a record's numbers are float64, a render's
// ints); nil and empty maps are the same.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	empty := func(j []byte) bool { return string(j) == "null" || string(j) == "{}" }
	return err1 == nil && err2 == nil && (bytes.Equal(ja, jb) || empty(ja) && empty(jb))
}

// deployRelease deploys the plan made for the release; when the release
// changed since (another operation wrote a revision), it plans again from
// the same options and deploys that.
func deployRelease(ctx context.Context, cfg *release.Config, pl *release.Plan, o release.UpgradeOptions) (*release.Release, error) {
	rel, err := cfg.Deploy(ctx, pl)
	if !errors.Is(err, release.ErrPlanStale) {
		return rel, err
	}
	o.Labels = maps.Clone(o.Labels)
	if pl, err = cfg.PlanUpgrade(ctx, o); err != nil {
		return nil, err
	}
	return cfg.Deploy(ctx, pl)
}

// previewUninstall reports the objects uninstalling rel deletes: all of
// its manifest's but those annotated helm.sh/resource-policy: keep.
func previewUninstall(cfg *release.Config, rel *release.Release, do diff.Options) (*diff.Report, error) {
	b, err := cfg.StoredObjects(rel, true)
	if err != nil {
		return nil, err
	}
	var old []*unstructured.Unstructured
	for _, r := range b.Resources {
		if r.Object.GetAnnotations()[kube.ResourcePolicyAnno] != kube.ResourcePolicyKeep {
			old = append(old, r.Object)
		}
	}
	old = append(old, b.Unmapped...)
	rep := diff.Objects(old, nil, do)
	rep.From, rep.To = "live", "uninstall of "+rel.Name
	return rep, nil
}
