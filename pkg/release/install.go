package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
	"github.com/lade-dev/lade/pkg/values"
)

// InstallOptions describe an install.
type InstallOptions struct {
	CommonOptions
	Name            string
	Chart           *chart.Chart
	Values          map[string]any
	CreateNamespace bool
	SkipCRDs        bool
	// CRDs is the policy for the chart's crds/ (--crds; "" is CRDsCreate,
	// SkipCRDs makes it CRDsSkip).
	CRDs                 CRDPolicy
	SkipSchemaValidation bool
	// Schemas are values.schema.json compiles started ahead (nil: none),
	// for the render's validation to start from.
	Schemas   *values.Precompiled
	SubNotes  bool
	EnableDNS bool
	// Limits bound the render (zero fields: render's defaults).
	Limits render.Limits
	Labels map[string]string
	// Capabilities overrides discovery (client dry-run).
	Capabilities *common.Capabilities
	// Overlay is applied to the render (see overlay.go); recorded in the release.
	Overlay *Overlay
	// Replace (--replace) re-uses the name of a release whose newest
	// revision is uninstalled (history kept) or failed, as Helm does: the
	// install becomes the next revision, and an uninstalled predecessor is
	// marked superseded. Without it such a name is refused, as any name in use.
	Replace bool
	// HideSecret (--hide-secret, dry runs only) leaves v1 Secrets out of
	// the returned release's manifest, each replaced by a "# HIDDEN" comment
	// under its "# Source" line, as Helm does.
	HideSecret bool
	// ChartAnnotations are recorded on the revision's chart metadata (never
	// seen by templates): the chart's verified digest and signer
	// (pkg/verify's Decision.Annotations), shown by get metadata.
	ChartAnnotations map[string]string
}

// ErrHideSecretNeedsDryRun is returned when HideSecret is set without a dry run.
var ErrHideSecretNeedsDryRun = errors.New("hiding Kubernetes secrets requires a dry-run mode")

// hideSecrets replaces the manifest of a dry-run release with one that
// leaves out v1 Secrets, when o asks for it.
func hideSecrets(o *InstallOptions, rel *Release, res *render.Result) {
	if !o.HideSecret || res == nil {
		return
	}
	var b strings.Builder
	for _, m := range res.Manifests {
		if m.Head != nil && m.Head.Kind == "Secret" && m.Head.APIVersion == "v1" {
			fmt.Fprintf(&b, "---\n# Source: %s\n# HIDDEN: The Secret output has been suppressed\n", m.Path)
			continue
		}
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Path, m.Content)
	}
	rel.Manifest = b.String()
}

// Install installs a chart as a new release: under the release's lease it
// plans the install (PlanInstall) and deploys the plan (Deploy).
func (c *Config) Install(ctx context.Context, o InstallOptions) (*Release, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.HideSecret && !o.DryRun.Enabled() {
		return nil, ErrHideSecretNeedsDryRun
	}
	if o.CreateNamespace && !o.DryRun.Enabled() {
		if err := c.createNamespace(ctx); err != nil {
			return nil, err
		}
	}
	return c.planAndDeploy(ctx, o.Name, "lade install", &o.CommonOptions, func(ctx context.Context) (*Plan, error) {
		return c.planInstall(ctx, &o, o.DryRun == DryRunClient)
	})
}

// planInstall plans an install; clientOnly (a client-side dry run) renders
// with default capabilities and reads nothing from the cluster.
func (c *Config) planInstall(ctx context.Context, o *InstallOptions, clientOnly bool) (*Plan, error) {
	if !clientOnly {
		sums, err := c.Storage().Summaries(ctx, o.Name)
		if err != nil {
			return nil, err
		}
		return c.planInstallOver(ctx, o, sums, "lade install")
	}
	if o.Capabilities == nil {
		o.Capabilities = common.DefaultCapabilities(nil)
	}
	res, err := c.render(ctx, o, 1, false, true, nil)
	if err != nil {
		return nil, err
	}
	p := &Plan{Operation: OpInstall, install: o, common: o.CommonOptions, res: res, command: "lade install"}
	p.Next = c.newRelease(o, res, 1, StatusPendingInstall, "Initial install underway")
	return p, nil
}

// planInstallOver plans an install over the release's revisions sums (none,
// or with Replace an uninstalled or failed one): the chart's CRDs, the
// render, and, unless the install creates CRDs first, the objects.
func (c *Config) planInstallOver(ctx context.Context, o *InstallOptions, sums []*Summary, command string) (*Plan, error) {
	p := &Plan{Operation: OpInstall, install: o, command: command}
	rev := 1
	if len(sums) > 0 {
		last := sums[len(sums)-1]
		if last.Status != StatusUninstalled && last.Status != StatusFailed {
			return nil, fmt.Errorf("cannot re-use a name that is still in use: release %q is %s in namespace %q (use `lade upgrade %s CHART`)", o.Name, last.Status, c.Namespace, o.Name)
		}
		if !o.Replace {
			return nil, fmt.Errorf("cannot re-use a name that is still in use: release %q is %s in namespace %q and its history is kept (pass --replace to install over it, or `lade uninstall %s` to delete its history)", o.Name, last.Status, c.Namespace, o.Name)
		}
		rev = last.Version + 1
		p.newest, p.replaced = last, last
	}
	step, err := c.planChartCRDs(ctx, o, true, nil)
	if err != nil {
		return nil, err
	}
	p.crdStep, p.crds, p.crdResults = step, step.objects(), step.results
	res, err := c.render(ctx, o, rev, false, false, p.crds)
	if err != nil {
		return nil, err
	}
	p.res = res
	p.Next = c.newRelease(o, res, rev, StatusPendingInstall, "Initial install underway")
	if p.replaced != nil {
		// Objects the replaced release kept (resource policy) may carry
		// its managers' entries.
		o.takeOverFrom = candidates(p.Next.FieldManager, nil)
	}
	p.common = o.CommonOptions
	if len(p.crds) == 0 {
		if err := c.buildNext(p); err != nil {
			return nil, err
		}
		if err := c.checkPlanTemplates(ctx, p); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// deployInstall carries out an install plan: the CRD step, the ownership
// check, the record, the objects and hooks; a failure is recorded and, with
// Atomic, the release uninstalled.
func (c *Config) deployInstall(ctx context.Context, p *Plan) (*Release, error) {
	o, rel := p.install, p.Next
	if o.DryRun == DryRunClient {
		rel.Info.Description = "Dry run complete"
		hideSecrets(o, rel, p.res)
		return rel, nil
	}
	objs, err := c.crdStepAndObjects(ctx, p, "unable to build kubernetes objects from release manifest")
	if err != nil {
		return nil, err
	}
	if !o.TakeOwnership {
		if err := c.Kube.CheckOwnership(ctx, objs, rel.Name, c.Namespace); err != nil {
			return nil, fmt.Errorf("unable to continue with install: %w", err)
		}
	}
	if o.DryRun == DryRunServer {
		if err := c.Kube.Apply(ctx, objs, kube.ApplyOptions{Force: o.ForceConflicts, DryRun: true, FieldManager: rel.FieldManager}); err != nil {
			return nil, err
		}
		rel.Info.Description = "Dry run complete"
		hideSecrets(o, rel, p.res)
		return rel, nil
	}
	st := c.Storage()
	if p.replaced != nil && p.replaced.Status == StatusUninstalled {
		// As Helm: the uninstalled revision is superseded by the new install
		// (a failed one keeps its status).
		prev, err := st.Get(ctx, rel.Name, p.replaced.Version)
		if err != nil {
			return nil, err
		}
		prev.Info.Status = StatusSuperseded
		prev.Info.Description = "superseded by new release"
		if err := st.Update(ctx, prev); err != nil {
			return nil, err
		}
	}
	if err := st.Create(ctx, rel); err != nil {
		return nil, err
	}
	err = c.applyRevision(ctx, rel, objs, nil, nil, render.HookPreInstall, render.HookPostInstall, &p.common)
	if err == nil {
		err = confirmLease(ctx)
	}
	if err == nil {
		rel.Info.Status = StatusDeployed
		rel.Info.Description = "Install complete"
		if o.Description != "" {
			rel.Info.Description = o.Description
		}
		if err := st.Update(ctx, rel); err != nil {
			return rel, err
		}
		return rel, nil
	}
	return rel, c.failed(ctx, rel, err, o.Atomic, undoUninstall, func(ctx context.Context) error {
		_, uerr := c.uninstall(ctx, &UninstallOptions{Name: rel.Name, CommonOptions: CommonOptions{Timeout: o.Timeout, Wait: true}})
		return uerr
	})
}
