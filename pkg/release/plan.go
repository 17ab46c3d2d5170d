package release

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/crdcheck"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// Operation is what a Plan does to a release.
type Operation string

// The operations a Plan can hold.
const (
	OpInstall  Operation = "install"
	OpUpgrade  Operation = "upgrade"
	OpRollback Operation = "rollback"
)

// ErrPlanStale is returned by Deploy when the release's newest revision
// changed after the plan was made.
var ErrPlanStale = errors.New("the release changed since the plan was made")

// Plan is what one operation would do, computed without the lease and
// changing nothing; Deploy carries it out (at most once), Preview predicts it.
type Plan struct {
	Operation Operation
	// Next is the revision Deploy would write (status pending-*).
	Next *Release
	// Current is the revision it replaces; nil for an install.
	Current *Release

	// install holds the options of an install or upgrade (values and
	// overlay as reused, chart, CRD and namespace handling).
	install *InstallOptions
	// common are the options of the deploy (hooks, wait, atomic...).
	common CommonOptions
	// newest is the release's newest revision when planned (nil: none).
	newest *Summary
	// replaced is the uninstalled or failed revision an install re-uses the name of.
	replaced *Summary
	// res is the render of an install or upgrade (for HideSecret).
	res *render.Result
	// crds are the chart's crds/ objects the CRD step creates or applies
	// first (crdStep, see crds.go): the render sees them served.
	crds    []*kube.Resource
	crdStep *crdStep
	// crdResults are the compatibility checks of the definitions the
	// operation changes (crds/, then templates/ once templatesChecked: an
	// install creating CRDs first builds, and checks, its objects in the deploy).
	crdResults       []*crdcheck.Result
	templatesChecked bool
	// built says whether objs, unmapped, old and oldUnmapped are set: an
	// install that creates CRDs builds its objects after creating them.
	built bool
	// objs are the objects of Next (ownership metadata set); unmapped
	// those of kinds not served yet, which the deploy refuses.
	objs     []*kube.Resource
	unmapped []*unstructured.Unstructured
	// old are the objects of Current; oldUnmapped as unmapped.
	old         []*kube.Resource
	oldUnmapped []*unstructured.Unstructured
	// unchanged are the objects the deploy may skip (UnchangedObjects).
	unchanged map[string]bool
	// command is the command named to whoever finds the lease held.
	command string
}

// PlanInstall plans the install Install would deploy (lookups against the
// cluster; none with DryRunClient); nothing is locked, written or applied.
func (c *Config) PlanInstall(ctx context.Context, o InstallOptions) (*Plan, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return c.planInstall(ctx, &o, o.DryRun == DryRunClient)
}

// PlanUpgrade plans the upgrade Upgrade would deploy (values and overlay
// reused), or with o.Install an install of an absent or uninstalled release.
func (c *Config) PlanUpgrade(ctx context.Context, o UpgradeOptions) (*Plan, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	return c.planUpgrade(ctx, &o)
}

// PlanRollback plans re-deploying revision o.Version (0: the last deployed or
// superseded one before the newest) as a new revision.
func (c *Config) PlanRollback(ctx context.Context, o RollbackOptions) (*Plan, error) {
	if err := ValidateFieldManager(o.FieldManager); err != nil {
		return nil, err
	}
	return c.planRollback(ctx, &o)
}

// validate checks the options every install and upgrade plan checks.
func (o *InstallOptions) validate() error {
	if err := ValidateName(o.Name); err != nil {
		return fmt.Errorf("release name %q: %w", o.Name, err)
	}
	if o.Values == nil {
		o.Values = map[string]any{}
	}
	return ValidateFieldManager(o.FieldManager)
}

// stale returns ErrPlanStale when the release's newest revision is no longer
// the one p was planned over. A pending revision the lease marked failed
// (see lock) is not a change: the plan never counted on it.
func (c *Config) stale(ctx context.Context, p *Plan) error {
	sums, err := c.Storage().Summaries(ctx, p.Next.Name)
	if err != nil {
		return err
	}
	var now *Summary
	if len(sums) > 0 {
		now = sums[len(sums)-1]
	}
	was := p.newest
	switch {
	case was == nil && now == nil:
		return nil
	case was == nil:
		return fmt.Errorf("%w: release %q now has revision %d (%s); plan again", ErrPlanStale, p.Next.Name, now.Version, now.Status)
	case now == nil:
		return fmt.Errorf("%w: release %q no longer has revision %d; plan again", ErrPlanStale, p.Next.Name, was.Version)
	case now.Version != was.Version || (now.Status != was.Status && !was.Status.IsPending()):
		return fmt.Errorf("%w: release %q was at revision %d (%s) and is now at revision %d (%s); plan again",
			ErrPlanStale, p.Next.Name, was.Version, was.Status, now.Version, now.Status)
	}
	return nil
}

// SameAsCurrent reports whether p changes nothing but live drift: Current
// is deployed, Next has its chart, values, overlay, manifest and hooks.
func (p *Plan) SameAsCurrent() bool {
	cur, next := p.Current, p.Next
	if cur == nil || next == nil || cur.Info == nil || cur.Info.Status != StatusDeployed {
		return false
	}
	return next.Manifest == cur.Manifest && sameHooks(next.Hooks, cur.Hooks) &&
		sameChart(next.Chart, cur.Chart) && sameJSON(next.Config, cur.Config) && sameOverlay(next.Overlay, cur.Overlay)
}

// sameChart compares what a release records of a chart: name, version,
// templates, files, default values and schema, subcharts alike.
func sameChart(a, b *chart.Chart) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Name() != b.Name() || a.Metadata.Version != b.Metadata.Version || !bytes.Equal(a.Schema, b.Schema) ||
		!sameFiles(a.Templates, b.Templates) || !sameFiles(a.Files, b.Files) || !sameJSON(a.Values, b.Values) {
		return false
	}
	da, db := a.Dependencies(), b.Dependencies()
	return slices.EqualFunc(da, db, sameChart)
}

func sameFiles(a, b []*chart.File) bool {
	return slices.EqualFunc(a, b, func(x, y *chart.File) bool { return x.Name == y.Name && bytes.Equal(x.Data, y.Data) })
}

// sameJSON compares values as JSON: a stored record's numbers are float64
// where a fresh render's are ints.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	if bytes.Equal(ja, jb) {
		return true
	}
	// Empty maps and nil (a record leaves an empty config out).
	return isEmptyJSON(ja) && isEmptyJSON(jb)
}

func isEmptyJSON(b []byte) bool { return string(b) == "null" || string(b) == "{}" }

func sameOverlay(a, b *Overlay) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Entry == b.Entry && a.SkipHooks == b.SkipHooks && a.Package == b.Package && reflect.DeepEqual(a.Files, b.Files)
}

func sameHooks(a, b []*Hook) bool {
	return slices.EqualFunc(a, b, func(x, y *Hook) bool {
		return x.Name == y.Name && x.Kind == y.Kind && x.Path == y.Path && x.Manifest == y.Manifest &&
			x.Weight == y.Weight && slices.Equal(x.Events, y.Events) && slices.Equal(x.DeletePolicies, y.DeletePolicies) &&
			slices.Equal(x.OutputLogPolicies, y.OutputLogPolicies)
	})
}

// render renders the chart of o as revision rev. Unless o has an overlay,
// each manifest document is parsed whole as it is sorted (Manifest.Object),
// so building the objects of the revision parses nothing again
// (renderedObjects); clientOnly (a client-side dry-run, which
// builds no objects) skips that. crds are the CRDs an install creates before
// it renders: the render sees them served (see withCRDs).
func (c *Config) render(ctx context.Context, o *InstallOptions, rev int, upgrade, clientOnly bool, crds []*kube.Resource) (*render.Result, error) {
	caps := o.Capabilities
	eng := render.Engine{EnableDNS: o.EnableDNS, Limits: o.Limits}
	if caps == nil {
		var err error
		if caps, err = c.Kube.Capabilities(); err != nil {
			return nil, err
		}
		caps = withCRDs(caps, crds)
		if !o.DryRun.Enabled() || o.DryRun == DryRunServer {
			eng.Lookup = c.Kube.Lookup
		}
	}
	res, err := render.Chart(ctx, o.Chart, o.Values, render.Options{
		ReleaseName: o.Name, Namespace: c.Namespace, Revision: rev, IsUpgrade: upgrade,
		Capabilities: caps, SkipSchemaValidation: o.SkipSchemaValidation, SubNotes: o.SubNotes, Engine: eng,
		ParseObjects: o.Overlay == nil && !clientOnly, Schemas: o.Schemas,
	})
	if err != nil || o.Overlay == nil {
		return res, err
	}
	return o.Overlay.Apply(res)
}

// withCRDs returns caps with the API versions the CRDs serve once created
// (group/version and group/version/Kind, as discovery lists them): an
// install creates its chart's crds/ before it renders, as Helm does, so its
// templates see them in .Capabilities.APIVersions. caps is not modified.
func withCRDs(caps *common.Capabilities, crds []*kube.Resource) *common.Capabilities {
	var add common.VersionSet
	for _, r := range crds {
		if r.Kind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(r.Object.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(r.Object.Object, "spec", "names", "kind")
		versions, _, _ := unstructured.NestedSlice(r.Object.Object, "spec", "versions")
		for _, v := range versions {
			m, _ := v.(map[string]any)
			name, _ := m["name"].(string)
			if served, _ := m["served"].(bool); !served || name == "" {
				continue
			}
			for _, s := range []string{group + "/" + name, group + "/" + name + "/" + kind} {
				if !caps.APIVersions.Has(s) && !slices.Contains(add, s) {
					add = append(add, s)
				}
			}
		}
	}
	if len(add) == 0 {
		return caps
	}
	out := *caps
	out.APIVersions = append(slices.Clone(caps.APIVersions), add...)
	return &out
}

func (c *Config) newRelease(o *InstallOptions, res *render.Result, rev int, st Status, desc string) *Release {
	now := time.Now()
	return &Release{
		Name: o.Name, Namespace: c.Namespace, Version: rev, Chart: res.Chart, Config: o.Values,
		Manifest: res.ManifestText(false), rendered: res.Manifests, Hooks: recordHooks(res.Hooks), ApplyMethod: "ssa",
		Labels: o.Labels, Holder: c.holder(), Overlay: o.Overlay, FieldManager: fieldManager(o.FieldManager),
		ChartAnnotations: o.ChartAnnotations,
		Info:             &Info{FirstDeployed: now, LastDeployed: now, Status: st, Description: desc, Notes: res.Notes},
	}
}

// buildNext builds the objects of p.Next, a new render, marked as the
// release's; kinds not served yet are kept apart (p.unmapped).
func (c *Config) buildNext(p *Plan) error {
	b, err := c.renderedObjects(p.Next, true)
	objs, unmapped := b.Resources, b.Unmapped
	if err != nil {
		if p.Operation == OpInstall {
			return fmt.Errorf("unable to build kubernetes objects from release manifest: %w", err)
		}
		return fmt.Errorf("unable to build kubernetes objects from new release manifest: %w", err)
	}
	kube.SetOwnership(objs, p.Next.Name, c.Namespace)
	for _, u := range unmapped {
		kube.SetOwnership([]*kube.Resource{{Object: u}}, p.Next.Name, c.Namespace)
	}
	p.objs, p.unmapped, p.built = objs, unmapped, true
	return nil
}

// buildCurrent builds the objects of p.Current, a stored revision (see
// StoredObjects).
func (c *Config) buildCurrent(p *Plan) error {
	b, err := c.StoredObjects(p.Current, true)
	if err != nil {
		return fmt.Errorf("unable to build kubernetes objects from current release manifest: %w", err)
	}
	p.old, p.oldUnmapped = b.Resources, b.Unmapped
	return nil
}
