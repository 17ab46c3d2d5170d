package release

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// Validate renders o as Install would for this cluster (its Kubernetes and
// API versions, live lookup calls, o's overlay) and checks the objects
// against it, as `helm template --dry-run=server` does: an object that
// exists without belonging to the release is a conflict (unless
// o.TakeOwnership, or upgrade), and the API server validates every object
// by a server-side dry-run apply. Nothing is written, no lease is taken and
// no release is read or recorded. It returns the render, whose parsed
// trees (Manifest.Object) the build took over (kube.Client.BuildObjects).
func (c *Config) Validate(ctx context.Context, o InstallOptions, upgrade bool) (*render.Result, error) {
	if err := ValidateName(o.Name); err != nil {
		return nil, fmt.Errorf("release name %q: %w", o.Name, err)
	}
	if o.Values == nil {
		o.Values = map[string]any{}
	}
	o.DryRun, o.Capabilities = DryRunServer, nil
	if o.crdPolicy() != CRDsSkip && len(o.Chart.CRDObjects()) > 0 {
		slog.Warn("This chart or one of its subcharts contains CRDs. Rendering may fail or contain inaccuracies.")
	}
	res, err := c.render(ctx, &o, 1, upgrade, false, nil)
	if err != nil {
		return res, err
	}
	objs, err := c.installObjects(ctx, &Release{Name: o.Name, Manifest: res.ManifestText(false), rendered: res.Manifests}, upgrade || o.TakeOwnership)
	if err != nil {
		return nil, err
	}
	if err := c.Kube.Apply(ctx, objs, kube.ApplyOptions{Force: o.ForceConflicts, DryRun: true, FieldManager: fieldManager(o.FieldManager)}); err != nil {
		return nil, err
	}
	return res, nil
}

// installObjects builds the objects of a new release (see
// renderedObjects), marked as the release's, and unless adopt checks that
// none of them exists outside it.
func (c *Config) installObjects(ctx context.Context, rel *Release, adopt bool) ([]*kube.Resource, error) {
	b, err := c.renderedObjects(rel, false)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from release manifest: %w", err)
	}
	kube.SetOwnership(b.Resources, rel.Name, c.Namespace)
	if !adopt {
		if err := c.Kube.CheckOwnership(ctx, b.Resources, rel.Name, c.Namespace); err != nil {
			return nil, fmt.Errorf("unable to continue with install: %w", err)
		}
	}
	return b.Resources, nil
}
