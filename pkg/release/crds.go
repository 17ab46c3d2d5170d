package release

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/crdcheck"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
)

// CRDPolicy is what install and upgrade do with a chart's crds/ (--crds).
type CRDPolicy string

const (
	// CRDsCreate creates, on install, the chart's definitions that do not
	// exist, and never changes one: Helm's behaviour, the default.
	CRDsCreate CRDPolicy = "create"
	// CRDsSkip leaves crds/ alone (--skip-crds).
	CRDsSkip CRDPolicy = "skip"
	// CRDsCreateReplace also applies, on install and upgrade, the
	// definitions that differ from the live ones: server-side, after the
	// compatibility check, before anything else of the release, waiting
	// until they are established.
	CRDsCreateReplace CRDPolicy = "create-replace"
)

// ParseCRDPolicy reads a --crds value ("" is CRDsCreate).
func ParseCRDPolicy(s string) (CRDPolicy, error) {
	switch p := CRDPolicy(s); p {
	case "":
		return CRDsCreate, nil
	case CRDsCreate, CRDsSkip, CRDsCreateReplace:
		return p, nil
	}
	return "", fmt.Errorf("invalid CRD policy %q: allowed values are skip, create, create-replace", s)
}

// CreatedByAnnotation marks a CustomResourceDefinition lade created from
// a release's templates/ ("NAMESPACE/RELEASE"): uninstall deletes only
// those; any other definition of the manifest (one that existed before
// and was adopted, or one Helm wrote) is left, with its custom resources.
const CreatedByAnnotation = "lade.dev/created-by"

func (o *InstallOptions) crdPolicy() CRDPolicy {
	if o.SkipCRDs {
		return CRDsSkip
	}
	if o.CRDs == "" {
		return CRDsCreate
	}
	return o.CRDs
}

// crdStep is the crds/ part of an operation.
type crdStep struct {
	create  []*kube.Resource   // created when absent, never changed (CRDsCreate on install)
	apply   []*kube.Resource   // applied server-side: absent or changed (CRDsCreateReplace)
	results []*crdcheck.Result // the checks of the definitions the operation changes
	// fresh is set when the step may create a definition: objects of its
	// kinds can only be built once it ran.
	fresh bool
}

// objects are the definitions the step creates or applies.
func (s *crdStep) objects() []*kube.Resource {
	if s == nil {
		return nil
	}
	return append(append([]*kube.Resource(nil), s.create...), s.apply...)
}

// ofChanged splits objs into the custom resources of the definitions the
// step applies (a dry-run before the step would check them against the
// live, old schema: diff.Input.Unchecked) and the others.
func (s *crdStep) ofChanged(objs []*kube.Resource) (others, custom []*kube.Resource) {
	if s == nil || len(s.apply) == 0 {
		return objs, nil
	}
	kinds := map[string]bool{}
	for _, r := range s.apply {
		g, _, _ := unstructured.NestedString(r.Object.Object, "spec", "group")
		k, _, _ := unstructured.NestedString(r.Object.Object, "spec", "names", "kind")
		kinds[g+"/"+k] = true
	}
	for _, r := range objs {
		gvk := r.Object.GroupVersionKind()
		if kinds[gvk.Group+"/"+gvk.Kind] {
			custom = append(custom, r)
		} else {
			others = append(others, r)
		}
	}
	return others, custom
}

// checkPlanTemplates checks the definitions among p's objects (see
// checkTemplateCRDs) and adds the results to p.crdResults.
func (c *Config) checkPlanTemplates(ctx context.Context, p *Plan) error {
	results, err := c.checkTemplateCRDs(ctx, p.objs, p.Next.Name)
	if err != nil {
		return err
	}
	p.crdResults, p.templatesChecked = append(p.crdResults, results...), true
	return nil
}

// planChartCRDs decides the crds/ step of an install (install true) or an
// upgrade under o's policy, checking each definition it would change
// against the live one. Nothing is changed.
//
// A definition in the same crds/ file as one of the previous chart's under
// another name (its group or plural changed) is checked against the live
// definition of the old name, which the check refuses: its objects would
// be left behind under the old one.
func (c *Config) planChartCRDs(ctx context.Context, o *InstallOptions, install bool, previous *chart.Chart) (*crdStep, error) {
	s := &crdStep{}
	policy := o.crdPolicy()
	if policy == CRDsSkip || len(o.Chart.CRDObjects()) == 0 || (policy == CRDsCreate && !install) {
		return s, nil // Helm's upgrade never touches crds/
	}
	var docs strings.Builder
	for _, crd := range o.Chart.CRDObjects() {
		fmt.Fprintf(&docs, "---\n%s\n", crd.File.Data)
	}
	objs, err := c.Kube.Build(docs.String(), c.Namespace)
	if err != nil {
		return nil, fmt.Errorf("CRDs of chart %s: %w", o.Chart.Name(), err)
	}
	if policy == CRDsCreate {
		s.create, s.fresh = objs, true
		return s, nil
	}
	renamed := renamedCRDs(previous, o.Chart)
	for _, r := range objs {
		res, err := c.checkCRD(ctx, r)
		if err != nil {
			return nil, err
		}
		if old, ok := renamed[r.Name()]; ok && res != nil && res.Change == crdcheck.Create {
			if res, err = c.checkRenamed(ctx, r, old); err != nil {
				return nil, err
			}
		}
		if res == nil || res.Change == crdcheck.Unchanged {
			continue
		}
		if res.Change == crdcheck.Create || renamed[r.Name()] != "" {
			s.fresh = true
		}
		s.results = append(s.results, res)
		s.apply = append(s.apply, r)
	}
	return s, nil
}

// renamedCRDs maps the name of each definition of next's crds/ to the
// name of the definition the same file held in previous, when the file
// holds one definition in both and the names differ.
func renamedCRDs(previous, next *chart.Chart) map[string]string {
	if previous == nil {
		return nil
	}
	names := func(data []byte) []string {
		var out []string
		for _, doc := range yamljson.SplitDocuments(string(data)) {
			var m map[string]any
			if yamljson.UnmarshalMap([]byte(doc), &m) != nil || m == nil || !crdcheck.IsCRD(m) {
				continue
			}
			md, _ := m["metadata"].(map[string]any)
			name, _ := md["name"].(string)
			out = append(out, name)
		}
		return out
	}
	was := map[string][]string{}
	for _, f := range previous.CRDObjects() {
		was[f.Filename] = names(f.File.Data)
	}
	renamed := map[string]string{}
	for _, f := range next.CRDObjects() {
		is, old := names(f.File.Data), was[f.Filename]
		if len(is) == 1 && len(old) == 1 && is[0] != old[0] {
			renamed[is[0]] = old[0]
		}
	}
	return renamed
}

// checkRenamed checks r against the live definition named old (the one
// the same crds/ file held before); nil result when none is live.
func (c *Config) checkRenamed(ctx context.Context, r *kube.Resource, old string) (*crdcheck.Result, error) {
	next, err := crdcheck.Decode(r.Object.Object)
	if err != nil {
		return nil, err
	}
	live, err := crdcheck.Get(ctx, c.Kube.Dynamic, old)
	if err != nil || live == nil {
		return nil, err
	}
	res, err := crdcheck.Check(ctx, live, next, crdcheck.Options{Client: c.Kube.Dynamic})
	if err != nil {
		return nil, err
	}
	for i := range res.Problems {
		res.Problems[i].Message = fmt.Sprintf("replaces %s (the same crds/ file): %s", old, res.Problems[i].Message)
	}
	return res, nil
}

// checkCRD checks replacing the live definition of r (a
// CustomResourceDefinition object) with r; nil for other kinds.
func (c *Config) checkCRD(ctx context.Context, r *kube.Resource) (*crdcheck.Result, error) {
	if !crdcheck.IsCRD(r.Object.Object) {
		return nil, nil
	}
	next, err := crdcheck.Decode(r.Object.Object)
	if err != nil {
		return nil, err
	}
	live, err := crdcheck.Get(ctx, c.Kube.Dynamic, next.Name)
	if err != nil {
		return nil, err
	}
	return crdcheck.Check(ctx, live, next, crdcheck.Options{Client: c.Kube.Dynamic})
}

// checkTemplateCRDs checks the definitions among a release's objects
// (rendered from templates/) that differ from the live ones, and marks
// those the release creates, or created before, with CreatedByAnnotation.
func (c *Config) checkTemplateCRDs(ctx context.Context, objs []*kube.Resource, name string) ([]*crdcheck.Result, error) {
	var results []*crdcheck.Result
	mark := c.Namespace + "/" + name
	for _, r := range objs {
		if !crdcheck.IsCRD(r.Object.Object) {
			continue
		}
		live, err := c.Kube.Get(ctx, r)
		if err != nil {
			return nil, err
		}
		if live == nil || live.GetAnnotations()[CreatedByAnnotation] == mark {
			ann := r.Object.GetAnnotations()
			if ann == nil {
				ann = map[string]string{}
			}
			ann[CreatedByAnnotation] = mark
			r.Object.SetAnnotations(ann)
		}
		res, err := c.checkCRD(ctx, r)
		if err != nil {
			return nil, err
		}
		if res.Change != crdcheck.Unchanged {
			results = append(results, res)
		}
	}
	return results, nil
}

// refuseCRDs returns the check's refusal of results, unless force: then it
// warns (Config.Warn) with what it overrides and lets the operation go on.
// The warnings of accepted changes (fields the new schema drops...) are
// printed too.
func (c *Config) refuseCRDs(results []*crdcheck.Result, force bool) error {
	warn := func(format string, args ...any) {
		if c.Warn != nil {
			fmt.Fprintf(c.Warn, format, args...)
		}
	}
	err := crdcheck.Refusal(results)
	if err != nil && !force {
		return err
	}
	for _, r := range results {
		if r.Refused() {
			continue
		}
		for _, w := range r.Warnings {
			warn("warning: CustomResourceDefinition %s: %s\n", r.Name, w)
		}
	}
	if err == nil {
		return nil
	}
	var b strings.Builder
	for _, r := range err.(*crdcheck.Error).Results {
		r.WriteText(&b)
	}
	warn("warning: --force-crd-update: applying CustomResourceDefinition changes the compatibility check refuses:\n%s", b.String())
	return nil
}

// runChartCRDs carries out the crds/ step before anything else of the
// release: creates (CRDsCreate) or applies server-side as the release's
// field manager, taking over the fields others own (CRDsCreateReplace),
// then waits until every definition is established with its new
// generation. A server-side dry run sends them with dryRun=All; a client
// one sends nothing.
func (c *Config) runChartCRDs(ctx context.Context, s *crdStep, o *InstallOptions) error {
	if s == nil || o.DryRun == DryRunClient || len(s.create)+len(s.apply) == 0 {
		return nil
	}
	dry := o.DryRun.Enabled()
	if len(s.create) > 0 {
		if err := c.Kube.CreateAs(ctx, s.create, dry, fieldManager(o.FieldManager)); err != nil {
			return err
		}
	}
	if len(s.apply) > 0 {
		if err := c.Kube.Apply(ctx, s.apply, kube.ApplyOptions{Force: true, DryRun: dry, FieldManager: fieldManager(o.FieldManager)}); err != nil {
			return fmt.Errorf("apply CustomResourceDefinitions: %w", err)
		}
	}
	if dry {
		return nil
	}
	return c.Kube.WaitEstablished(ctx, append(s.create, s.apply...), o.timeout())
}

// leaveCRDs takes out of objs (the objects an uninstall deletes) the
// definitions lade did not create from the release's templates/ (no
// CreatedByAnnotation of this release on the live one), and returns what
// is left to delete with the names of the definitions left in the cluster,
// those of the chart's crds/ included (never deleted, as Helm).
func (c *Config) leaveCRDs(ctx context.Context, rel *Release, objs []*kube.Resource) ([]*kube.Resource, []string, error) {
	mark := rel.Namespace + "/" + rel.Name
	var del []*kube.Resource
	var left []string
	seen := map[string]bool{}
	for _, r := range objs {
		if !crdcheck.IsCRD(r.Object.Object) {
			del = append(del, r)
			continue
		}
		live, err := c.Kube.Get(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case live == nil:
		case live.GetAnnotations()[CreatedByAnnotation] == mark:
			del = append(del, r)
		default:
			left, seen[r.Name()] = append(left, r.Name()), true
		}
	}
	if rel.Chart != nil && len(rel.Chart.CRDObjects()) > 0 {
		var docs strings.Builder
		for _, crd := range rel.Chart.CRDObjects() {
			fmt.Fprintf(&docs, "---\n%s\n", crd.File.Data)
		}
		crds, err := c.Kube.Build(docs.String(), c.Namespace)
		if err != nil {
			return nil, nil, fmt.Errorf("CRDs of chart %s: %w", rel.Chart.Name(), err)
		}
		for _, r := range crds {
			if seen[r.Name()] {
				continue
			}
			if live, err := c.Kube.Get(ctx, r); err != nil {
				return nil, nil, err
			} else if live != nil {
				left, seen[r.Name()] = append(left, r.Name()), true
			}
		}
	}
	return del, left, nil
}

// previewInput builds the objects of a plan that builds them in the deploy
// (its CRD step creates definitions): custom resources of the definitions
// the step creates are built unmapped, as those of definitions in the
// manifest are (kube.Client.BuildLenient), and shown from the manifest.
func (c *Config) previewInput(ctx context.Context, p *Plan) (diff.Input, error) {
	crds := p.crdStep.objects()
	if len(crds) == 0 {
		return c.diffInput(ctx, p.Next, nil, false)
	}
	var docs strings.Builder
	skip := map[string]bool{}
	for _, r := range crds {
		js, err := json.Marshal(r.Object.Object)
		if err != nil {
			return diff.Input{}, err
		}
		fmt.Fprintf(&docs, "---\n%s\n", js)
		skip[r.Key()] = true
	}
	objs, unmapped, err := c.Kube.BuildLenient(docs.String()+p.Next.Manifest, c.Namespace)
	if err != nil {
		return diff.Input{}, fmt.Errorf("unable to build kubernetes objects from the new manifest: %w", err)
	}
	var in diff.Input
	for _, r := range objs {
		if !skip[r.Key()] {
			in.Desired = append(in.Desired, r)
		}
	}
	kube.SetOwnership(in.Desired, p.Next.Name, c.Namespace)
	for _, u := range unmapped {
		kube.SetOwnership([]*kube.Resource{{Object: u}}, p.Next.Name, c.Namespace)
	}
	in.Unmapped, in.FieldManager = unmapped, FieldManagerFor("", p.Next)
	return in, nil
}

// crdStepAndObjects carries out the CRD step of an install or upgrade plan
// (the compatibility check's refusals, then the chart's crds/ under the
// policy) and returns the plan's objects, built once every kind is served
// (what: the error's prefix when they cannot be); definitions rendered
// from templates/ that the plan could not check yet are checked now.
func (c *Config) crdStepAndObjects(ctx context.Context, p *Plan, what string) ([]*kube.Resource, error) {
	o := p.install
	if err := c.refuseCRDs(p.crdResults, o.ForceCRDUpdate); err != nil {
		return nil, err
	}
	if err := c.runChartCRDs(ctx, p.crdStep, o); err != nil {
		return nil, err
	}
	objs, err := c.mappedNext(p, what)
	if err != nil {
		return nil, err
	}
	if !p.templatesChecked {
		results, err := c.checkTemplateCRDs(ctx, objs, p.Next.Name)
		if err != nil {
			return nil, err
		}
		if err := c.refuseCRDs(results, o.ForceCRDUpdate); err != nil {
			return nil, err
		}
	}
	return objs, nil
}
