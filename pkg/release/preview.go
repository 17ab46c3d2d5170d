package release

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lade-dev/lade/pkg/crdcheck"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
)

// Preview predicts what deploying p would change in the live cluster: a
// server-side dry-run of its objects (and an install's new CRDs), and deletions.
func (c *Config) Preview(ctx context.Context, p *Plan, o diff.Options) (*diff.Report, error) {
	var in diff.Input
	if p.built {
		in.Desired, in.Unmapped, in.FieldManager = p.objs, p.unmapped, p.Next.FieldManager
	} else {
		var err error
		if in, err = c.previewInput(ctx, p); err != nil {
			return nil, err
		}
	}
	in.Desired, in.Unchecked = p.crdStep.ofChanged(in.Desired)
	results := p.crdResults
	if !p.templatesChecked && p.Next != nil {
		// An install creating CRDs first checks its templates' in the deploy.
		more, err := c.checkTemplateCRDs(ctx, in.Desired, p.Next.Name)
		if err != nil {
			return nil, err
		}
		results = append(append([]*crdcheck.Result(nil), results...), more...)
	}
	// The CRD step first: the crds/ applied, and those created that are absent.
	fresh, err := c.newCRDs(ctx, p)
	if err != nil {
		return nil, err
	}
	in.Desired = append(fresh, in.Desired...)
	if p.Current != nil {
		in.ReadLive = diff.ReadLive(ctx, c.Kube, in.Desired)
		in.Previous = p.old
	}
	in.ForceConflicts, in.Adopt, in.Unchanged = p.common.ForceConflicts, p.common.TakeOwnership, p.unchanged
	if p.Operation == OpInstall && p.install != nil && p.install.CreateNamespace {
		// Deploy creates the namespace first; until then it holds nothing.
		in.NewNamespaces = []string{c.Namespace}
	}
	rep, err := diff.Apply(ctx, c.Kube, in, o)
	if err != nil {
		return nil, err
	}
	rep.CRDs = results
	rep.From = "live"
	switch p.Operation {
	case OpInstall:
		rep.To = fmt.Sprintf("install of %s (revision %d)", p.Next.Name, p.Next.Version)
	case OpUpgrade:
		rep.To = fmt.Sprintf("upgrade of %s to revision %d", p.Next.Name, p.Next.Version)
	case OpRollback:
		rep.To = fmt.Sprintf("rollback of %s to revision %d", p.Next.Name, p.Next.Info.RollbackRevision)
	}
	return rep, nil
}

// PreviewUpgrade predicts an upgrade (or, with Install, an install) without
// changing anything: PlanUpgrade, then Preview of that plan (OnInstall is
// not called).
func (c *Config) PreviewUpgrade(ctx context.Context, uo UpgradeOptions, o diff.Options) (*diff.Report, error) {
	uo.OnInstall = nil
	p, err := c.PlanUpgrade(ctx, uo)
	if err != nil {
		return nil, err
	}
	return c.Preview(ctx, p, o)
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
// revision) would change in the live cluster, without changing anything:
// PlanRollback, then Preview of that plan.
func (c *Config) PreviewRollback(ctx context.Context, name string, version int, forceConflicts bool, o diff.Options) (*diff.Report, error) {
	p, err := c.PlanRollback(ctx, RollbackOptions{Name: name, Version: version, CommonOptions: CommonOptions{ForceConflicts: forceConflicts}})
	if err != nil {
		return nil, err
	}
	return c.Preview(ctx, p, o)
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
