package release

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
)

// PreviewUpgrade predicts an upgrade (or, with Install, an install) without
// changing anything: the revision Upgrade would render, dry-run applied against the live cluster,
// with the objects it would delete.
func (c *Config) PreviewUpgrade(ctx context.Context, uo UpgradeOptions, o diff.Options) (*diff.Report, error) {
	next, current, err := c.PlanUpgrade(ctx, uo)
	if err != nil {
		return nil, err
	}
	in, err := c.diffInput(ctx, next, current, false)
	if err != nil {
		return nil, err
	}
	if current == nil && !uo.SkipCRDs && len(uo.Chart.CRDObjects()) > 0 {
		// An install creates the chart's crds/ first (those not present yet).
		var docs strings.Builder
		for _, crd := range uo.Chart.CRDObjects() {
			fmt.Fprintf(&docs, "---\n%s\n", crd.File.Data)
		}
		crds, err := c.Kube.Build(docs.String(), c.Namespace)
		if err != nil {
			return nil, fmt.Errorf("CRDs of chart %s: %w", uo.Chart.Name(), err)
		}
		var fresh []*kube.Resource
		for _, r := range crds {
			live, err := c.Kube.Get(ctx, r)
			if err != nil {
				return nil, err
			}
			if live == nil {
				fresh = append(fresh, r)
			}
		}
		in.Desired = append(fresh, in.Desired...)
	}
	in.ForceConflicts, in.Adopt = uo.ForceConflicts, uo.TakeOwnership
	in.Unchanged = UnchangedObjects(next, current, in.Desired, in.Previous)
	rep, err := diff.Apply(ctx, c.Kube, in, o)
	if err != nil {
		return nil, err
	}
	rep.From = "live"
	if current == nil {
		rep.To = fmt.Sprintf("install of %s (revision %d)", next.Name, next.Version)
	} else {
		rep.To = fmt.Sprintf("upgrade of %s to revision %d", next.Name, next.Version)
	}
	return rep, nil
}

// diffInput builds the objects of next (with Helm's ownership metadata, as
// the operation applies them) and of current (the revision replaced). next
// is a new render, or with nextStored a stored revision (a rollback's
// target, drift's deployed revision), whose objects of API versions the
// cluster no longer serves are taken at their replacements, as the
// operation takes them (StoredObjects); current always is.
func (c *Config) diffInput(ctx context.Context, next, current *Release, nextStored bool) (diff.Input, error) {
	var in diff.Input
	var err error
	if nextStored {
		var b kube.Built
		b, err = c.StoredObjects(next, true)
		in.Desired, in.Unmapped = b.Resources, b.Unmapped
	} else {
		var b kube.Built
		b, err = c.renderedObjects(next, true)
		in.Desired, in.Unmapped = b.Resources, b.Unmapped
	}
	if err != nil {
		return in, fmt.Errorf("unable to build kubernetes objects from the new manifest: %w", err)
	}
	kube.SetOwnership(in.Desired, next.Name, c.Namespace)
	in.FieldManager = FieldManagerFor("", next)
	for _, u := range in.Unmapped {
		kube.SetOwnership([]*kube.Resource{{Object: u}}, next.Name, c.Namespace)
	}
	if current != nil {
		// Read the live objects (a few LISTs: the client waits on the API
		// server) while the current manifest is parsed (the API server
		// waits on the client); dry-runs do not wait for them.
		in.ReadLive = diff.ReadLive(ctx, c.Kube, in.Desired)
		var b kube.Built
		b, err = c.StoredObjects(current, true)
		in.Previous = b.Resources
		if err != nil {
			return in, fmt.Errorf("unable to build kubernetes objects from the current manifest: %w", err)
		}
	}
	return in, nil
}

// PreviewRollback predicts what Rollback to version (0: the previous
// revision) would change in the live cluster, without changing anything.
func (c *Config) PreviewRollback(ctx context.Context, name string, version int, forceConflicts bool, o diff.Options) (*diff.Report, error) {
	target, current, err := c.PlanRollback(ctx, name, version)
	if err != nil {
		return nil, err
	}
	in, err := c.diffInput(ctx, target, current, true)
	if err != nil {
		return nil, err
	}
	in.FieldManager = FieldManagerFor("", current, target)
	in.ForceConflicts = forceConflicts
	rep, err := diff.Apply(ctx, c.Kube, in, o)
	if err != nil {
		return nil, err
	}
	rep.From, rep.To = "live", fmt.Sprintf("rollback of %s to revision %d", target.Name, target.Version)
	return rep, nil
}

// Drift compares the live objects of a release with its deployed revision:
// manual edits, deleted objects and fields other field managers took over.
func (c *Config) Drift(ctx context.Context, name string, o diff.Options) (*diff.Report, error) {
	rel, err := c.Storage().Deployed(ctx, name)
	if err != nil {
		return nil, err
	}
	in, err := c.diffInput(ctx, rel, nil, true)
	if err != nil {
		return nil, err
	}
	rep, err := diff.Drift(ctx, c.Kube, in.Desired, in.Unmapped, o)
	if err != nil {
		return nil, err
	}
	rep.From, rep.To = "live", fmt.Sprintf("%s revision %d (deployed)", rel.Name, rel.Version)
	return rep, nil
}

// DiffRevisions compares two stored revisions of a release, object by
// object; the cluster is only read (the records, the kinds they use).
func (c *Config) DiffRevisions(ctx context.Context, name string, from, to int, o diff.Options) (*diff.Report, error) {
	var sides [2][]*unstructured.Unstructured
	for i, rev := range [2]int{from, to} {
		r, err := c.Storage().Get(ctx, name, rev)
		if err != nil {
			return nil, err
		}
		b, err := c.StoredObjects(r, true)
		if err != nil {
			return nil, fmt.Errorf("revision %d: %w", rev, err)
		}
		for _, x := range b.Resources {
			sides[i] = append(sides[i], x.Object)
		}
		sides[i] = append(sides[i], b.Unmapped...)
	}
	rep := diff.Objects(sides[0], sides[1], o)
	rep.From, rep.To = fmt.Sprintf("revision %d", from), fmt.Sprintf("revision %d", to)
	return rep, nil
}
