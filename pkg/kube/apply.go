package kube

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/metadata"

	"github.com/lade-dev/lade/internal/kubejson"
	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/object"
)

// Helm's ownership metadata.
const (
	ManagedByLabel          = "app.kubernetes.io/managed-by"
	ManagedByHelm           = "Helm"
	ReleaseNameAnnotation   = "meta.helm.sh/release-name"
	ReleaseNSAnnotation     = "meta.helm.sh/release-namespace"
	ResourcePolicyAnno      = "helm.sh/resource-policy"
	ResourcePolicyKeep      = "keep"
	crdKind                 = "CustomResourceDefinition"
	defaultEstablishTimeout = 60 * time.Second
)

// Build parses a multi-document manifest into resources mapped to the
// cluster's API; namespaced objects without a namespace get ns.
func (c *Client) Build(manifest, ns string) ([]*Resource, error) {
	b, err := c.build(manifestDocs(manifest), ns, false, false)
	return b.Resources, err
}

// BuildObjects builds the rendered objects of a new revision, as Build
// (lenient: BuildLenient) builds its manifest (object.Manifest(docs)),
// without parsing again the documents the render parsed (Doc.Object). The
// resources take those trees over and change them (namespace, ownership),
// so docs are built once: build them again from their manifest text.
func (c *Client) BuildObjects(docs []object.Doc, ns string, lenient bool) (Built, error) {
	return c.build(renderedDocs(docs), ns, lenient, false)
}

// source is one document to build: parsed already (obj), or its text.
type source struct {
	text string
	obj  map[string]any
}

// manifestDocs are the documents of a multi-document manifest, to parse.
func manifestDocs(manifest string) []source {
	docs := yamljson.SplitDocuments(manifest)
	out := make([]source, len(docs))
	for i, d := range docs {
		out[i].text = d
	}
	return out
}

// renderedDocs are the documents of docs' manifest: each doc's tree where
// the render parsed it (its text is then one document), else what
// splitting its text gives, to parse, as splitting the whole manifest would.
func renderedDocs(docs []object.Doc) []source {
	out := make([]source, 0, len(docs))
	for i := range docs {
		if docs[i].Object != nil {
			out = append(out, source{obj: docs[i].Object})
			continue
		}
		for _, t := range yamljson.SplitDocuments(docs[i].Text()) {
			out = append(out, source{text: t})
		}
	}
	return out
}

// parse parses the documents not parsed yet, in order, leaving out empty
// ones. Documents are parsed in parallel (one goroutine per CPU): parsing
// YAML is most of the client's work before the first request, and the
// cluster is idle meanwhile. yamljson gives what sigs.k8s.io/yaml gives,
// without its JSON round trip.
func parse(docs []source) ([]map[string]any, error) {
	objs := make([]map[string]any, len(docs))
	var todo []int
	for i, d := range docs {
		if d.obj != nil {
			objs[i] = d.obj
		} else {
			todo = append(todo, i)
		}
	}
	errs := make([]error, len(docs))
	workers := min(runtime.GOMAXPROCS(0), len(todo)/8+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				j := int(next.Add(1)) - 1
				if j >= len(todo) {
					return
				}
				i := todo[j]
				errs[i] = yamljson.UnmarshalMap([]byte(docs[i].text), &objs[i])
			}
		})
	}
	wg.Wait()
	out := objs[:0]
	for i, obj := range objs {
		if errs[i] != nil {
			return nil, fmt.Errorf("parse manifest: %w", errs[i])
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
	return out, nil
}

func (c *Client) resource(u *unstructured.Unstructured, ns string) (*Resource, error) {
	gvk := u.GroupVersionKind()
	if gvk.Kind == "" {
		return nil, fmt.Errorf("object %q has no kind", u.GetName())
	}
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.ResetMapper()
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, noMappingError(u)
		}
		return nil, fmt.Errorf("map %s %s: %w", gvk.Kind, u.GetName(), err)
	}
	r := &Resource{Object: u, Mapping: m, Namespaced: m.Scope.Name() == meta.RESTScopeNameNamespace}
	if r.Namespaced && u.GetNamespace() == "" {
		u.SetNamespace(ns)
	}
	if !r.Namespaced {
		u.SetNamespace("")
	}
	return r, nil
}

// SetOwnership adds Helm's ownership label and annotations to every object.
func SetOwnership(rs []*Resource, release, ns string) {
	for _, r := range rs {
		l := r.Object.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		l[ManagedByLabel] = ManagedByHelm
		r.Object.SetLabels(l)
		a := r.Object.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a[ReleaseNameAnnotation] = release
		a[ReleaseNSAnnotation] = ns
		r.Object.SetAnnotations(a)
	}
}

// CheckOwnership refuses objects that exist in the cluster but belong to
// another release (or to no release), as Helm does.
func (c *Client) CheckOwnership(ctx context.Context, rs []*Resource, release, ns string) error {
	live, err := c.liveMetadata(ctx, rs)
	if err != nil {
		return err
	}
	return c.each(len(rs), func(i int) error {
		live := live[i]
		if live == nil {
			return nil
		}
		var problems []string
		if v := live.GetLabels()[ManagedByLabel]; v != ManagedByHelm {
			problems = append(problems, fmt.Sprintf("label validation error: missing key %q: must be set to %q", ManagedByLabel, ManagedByHelm))
		}
		a := live.GetAnnotations()
		if v, ok := a[ReleaseNameAnnotation]; !ok {
			problems = append(problems, fmt.Sprintf("annotation validation error: missing key %q: must be set to %q", ReleaseNameAnnotation, release))
		} else if v != release {
			problems = append(problems, fmt.Sprintf("annotation validation error: key %q must equal %q: current value is %q", ReleaseNameAnnotation, release, v))
		}
		if v, ok := a[ReleaseNSAnnotation]; !ok {
			problems = append(problems, fmt.Sprintf("annotation validation error: missing key %q: must be set to %q", ReleaseNSAnnotation, ns))
		} else if v != ns {
			problems = append(problems, fmt.Sprintf("annotation validation error: key %q must equal %q: current value is %q", ReleaseNSAnnotation, ns, v))
		}
		if len(problems) > 0 {
			return fmt.Errorf("%s exists and cannot be imported into the current release: invalid ownership metadata; %s (use --take-ownership to adopt it)",
				rs[i], strings.Join(problems, "; "))
		}
		return nil
	})
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Force takes over fields owned by other managers (--force-conflicts).
	Force bool
	// DryRun sends the requests with dryRun=All.
	DryRun bool
	// Owned holds the keys (Resource.Key) of objects the release already
	// manages: their conflicts are forced, since the other manager is the
	// release's previous writer (Helm, whose field manager is its program
	// name, or lade). Other objects are forced only with Force. When a
	// real apply of an owned object finds client-side ownership on it
	// (Helm 3's "helm", kubectl's client-side apply), it converts it to
	// the apply entry of the field manager (TakeOver) and applies again, so fields the new object
	// drops are removed.
	Owned map[string]bool
	// Adopt (--take-ownership) converts the client-side ownership of every
	// existing object that is not owned before applying: the release
	// adopts them.
	Adopt bool
	// Unchanged holds the keys of objects whose desired state is identical
	// to what lade applied for them in the release's deployed revision.
	// Apply reads their live state (a LIST per resource type and namespace)
	// and skips those whose lade-owned fields all still hold the desired
	// values; any drift, or any doubt, and the object is applied.
	Unchanged map[string]bool
	// FieldManager is the field manager to apply as (default FieldManager).
	FieldManager string
	// TakeOverFrom are other field managers that applied these objects
	// before (a release's earlier manager): after each object is applied,
	// the fields those managers' apply entries own are handed over to
	// FieldManager (see takeOver), so that none is left behind. Not on dry runs.
	TakeOverFrom []string
	// TookOver, when set, is called (concurrently) for each object whose
	// fields were handed over, with the managers they were taken from.
	TookOver func(r *Resource, from []string)
}

// Apply server-side applies objects in order: consecutive objects of one kind
// concurrently (bounded), kinds in sequence.
func (c *Client) Apply(ctx context.Context, rs []*Resource, o ApplyOptions) error {
	if len(o.Unchanged) > 0 && !o.DryRun {
		var cand []*Resource
		for _, r := range rs {
			if o.Unchanged[r.Key()] {
				cand = append(cand, r)
			}
		}
		live, err := c.GetAll(ctx, cand)
		if err != nil {
			return err
		}
		skip := map[*Resource]bool{}
		for i, r := range cand {
			if UpToDateFor(r.Object, live[i], o.manager()) {
				skip[r] = true
			}
		}
		if len(skip) > 0 {
			todo := make([]*Resource, 0, len(rs)-len(skip))
			for _, r := range rs {
				if !skip[r] {
					todo = append(todo, r)
				}
			}
			slog.Debug("server-side apply skipped for unchanged objects", "skipped", len(skip), "applied", len(todo))
			rs = todo
		}
	}
	if o.Adopt && !o.DryRun {
		if err := c.takeOverAdopted(ctx, rs, o.Owned, o.manager()); err != nil {
			return err
		}
	}
	for start := 0; start < len(rs); {
		end := start + 1
		for end < len(rs) && rs[end].Kind() == rs[start].Kind() {
			end++
		}
		batch := rs[start:end]
		if err := c.each(len(batch), func(i int) error { return c.applyOne(ctx, batch[i], o) }); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// takeOverAdopted runs TakeOver, before their apply, on the objects of rs
// the release adopts (--take-ownership), not those it owns: applyOne
// converts those after their apply, with no read. An adopted object's
// apply is not forced, so the other manager's ownership must go first.
func (c *Client) takeOverAdopted(ctx context.Context, rs []*Resource, owned map[string]bool, manager string) error {
	var adopted []*Resource
	for _, r := range rs {
		if !owned[r.Key()] {
			adopted = append(adopted, r)
		}
	}
	if len(adopted) == 0 {
		return nil
	}
	_, err := c.TakeOver(ctx, adopted, nil, manager)
	return err
}

func (c *Client) applyOne(ctx context.Context, r *Resource, o ApplyOptions) error {
	owned, manager := o.Owned[r.Key()], o.manager()
	raw, err := c.sendApply(ctx, r, manager, o.Force || owned, o.DryRun)
	if err != nil || o.DryRun {
		return err
	}
	if owned && bytes.Contains(raw, updateOperation) {
		// An object of the release still written client-side (by Helm 3
		// or kubectl): its apply left what those entries own. Convert
		// them, as kubectl does after an apply, and apply again to remove
		// what the object no longer sets. Checking the response costs
		// nothing when there is nothing to convert (almost always);
		// reading every object first would cost a request per resource
		// type each operation.
		live, err := decodeObject(raw)
		if err != nil {
			return fmt.Errorf("apply %s: decode the response: %w", r, err)
		}
		if ClientSideManagers(live.GetManagedFields(), manager).Len() > 0 {
			meta := &metav1.ObjectMeta{ResourceVersion: live.GetResourceVersion(), ManagedFields: live.GetManagedFields()}
			if _, err := c.TakeOver(ctx, []*Resource{r}, []*metav1.ObjectMeta{meta}, manager); err != nil {
				return err
			}
			if raw, err = c.sendApply(ctx, r, manager, true, false); err != nil {
				return err
			}
		}
	}
	if len(o.TakeOverFrom) == 0 {
		return nil
	}
	// The response (the stored object) is read only to find the entries
	// of managers to take over from.
	prev, err := previousAppliers(raw, o.TakeOverFrom, manager)
	if err != nil {
		return fmt.Errorf("apply %s: read the applied object: %w", r, err)
	}
	if len(prev) == 0 {
		return nil
	}
	if err := c.takeOver(ctx, r, prev); err != nil {
		return err
	}
	if o.TookOver != nil {
		o.TookOver(r, prev)
	}
	return nil
}

// updateOperation is how a managedFields entry of an Update appears in an
// API response (JSON, compact).
var updateOperation = []byte(`"operation":"Update"`)

// sendApply server-side applies r as field manager manager and returns the
// response body (the object as stored).
func (c *Client) sendApply(ctx context.Context, r *Resource, manager string, force, dryRun bool) ([]byte, error) {
	body, err := kubejson.Marshal(r.Object.Object)
	if err != nil {
		return nil, err
	}
	rc, err := c.rawClient(true)
	if err != nil {
		return nil, err
	}
	req := rc.Patch(types.ApplyPatchType).AbsPath(urlSegments(r.Mapping.Resource, r.namespaceIfScoped(), r.Name())...).
		Body(body).Param("fieldManager", manager)
	if force {
		req.Param("force", "true")
	}
	if dryRun {
		req.Param("dryRun", metav1.DryRunAll)
	}
	if skipFieldValidation(r.Mapping.Resource) {
		req.Param("fieldValidation", string(metav1.FieldValidationIgnore))
	}
	res := req.Do(ctx)
	err = res.Error()
	if apierrors.IsConflict(err) {
		return nil, fmt.Errorf("apply %s: %w (another field manager owns these fields; pass --force-conflicts to take them over)", r, err)
	}
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", r, err)
	}
	raw, _ := res.Raw()
	return raw, nil
}

// Create creates objects (skipping those that exist), used for CRDs which
// Helm installs once and never upgrades.
func (c *Client) Create(ctx context.Context, rs []*Resource, dryRun bool) error {
	return c.CreateAs(ctx, rs, dryRun, FieldManager)
}

// CreateAs is Create as field manager manager ("" = FieldManager).
func (c *Client) CreateAs(ctx context.Context, rs []*Resource, dryRun bool, manager string) error {
	if manager == "" {
		manager = FieldManager
	}
	return c.each(len(rs), func(i int) error {
		opts := metav1.CreateOptions{FieldManager: manager}
		if dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		_, err := c.client(rs[i]).Create(ctx, rs[i].Object, opts)
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create %s: %w", rs[i], err)
		}
		return nil
	})
}

// WaitEstablished waits until every CustomResourceDefinition in rs is
// Established at its current generation, then resets the REST mapper so
// its kinds can be mapped.
func (c *Client) WaitEstablished(ctx context.Context, rs []*Resource, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = defaultEstablishTimeout
	}
	err := c.each(len(rs), func(i int) error {
		r := rs[i]
		if r.Kind() != crdKind {
			return nil
		}
		return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			live, err := c.Get(ctx, r)
			if err != nil || live == nil {
				return false, err
			}
			// A definition just changed is served with its new schema once
			// the API server's controllers saw its generation (reported by
			// Kubernetes 1.36 and later; earlier ones report nothing).
			gen := live.GetGeneration()
			if seen, ok, _ := unstructured.NestedInt64(live.Object, "status", "observedGeneration"); ok && seen < gen {
				return false, nil
			}
			conds, _, _ := unstructured.NestedSlice(live.Object, "status", "conditions")
			for _, cd := range conds {
				m, _ := cd.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					seen, ok, _ := unstructured.NestedInt64(m, "observedGeneration")
					return !ok || seen >= gen, nil
				}
			}
			return false, nil
		})
	})
	if err != nil {
		return fmt.Errorf("waiting for CustomResourceDefinitions to be established: %w", err)
	}
	c.ResetMapper()
	return nil
}

// DeleteOptions tune Delete.
type DeleteOptions struct {
	// Propagation is background (default), foreground or orphan.
	Propagation metav1.DeletionPropagation
	// Wait blocks until the objects are gone.
	Wait    bool
	Timeout time.Duration
}

// Delete deletes objects kind by kind (bounded concurrency within a kind);
// objects that are already gone are ignored. It returns what was deleted.
func (c *Client) Delete(ctx context.Context, rs []*Resource, o DeleteOptions) error {
	prop := o.Propagation
	if prop == "" {
		prop = metav1.DeletePropagationBackground
	}
	for start := 0; start < len(rs); {
		end := start + 1
		for end < len(rs) && rs[end].Kind() == rs[start].Kind() {
			end++
		}
		batch := rs[start:end]
		err := c.each(len(batch), func(i int) error {
			err := c.client(batch[i]).Delete(ctx, batch[i].Name(), metav1.DeleteOptions{PropagationPolicy: &prop})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete %s: %w", batch[i], err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		start = end
	}
	if !o.Wait {
		return nil
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	return c.each(len(rs), func(i int) error {
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			live, err := c.Get(ctx, rs[i])
			return live == nil, err
		})
		if err != nil {
			return fmt.Errorf("waiting for %s to be deleted: %w", rs[i], err)
		}
		return nil
	})
}

// liveMetadata reads the labels and annotations of objects that exist (nil
// for those that do not): one metadata-only LIST per resource type and
// namespace holding several of them, a GET for a lone object. Ownership
// checks need nothing more, and this replaces hundreds of GETs.
func (c *Client) liveMetadata(ctx context.Context, rs []*Resource) ([]*metav1.ObjectMeta, error) {
	type key struct {
		gvr schema.GroupVersionResource
		ns  string
	}
	groups := map[key][]int{}
	var keys []key
	for i, r := range rs {
		k := key{r.Mapping.Resource, r.Namespace()}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	out := make([]*metav1.ObjectMeta, len(rs))
	err := c.each(len(keys), func(gi int) error {
		k := keys[gi]
		idx := groups[k]
		ri := c.Metadata.Resource(k.gvr)
		var res metadata.ResourceInterface = ri
		if k.ns != "" {
			res = ri.Namespace(k.ns)
		}
		if len(idx) == 1 {
			r := rs[idx[0]]
			obj, err := res.Get(ctx, r.Name(), metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("get %s: %w", r, err)
			}
			out[idx[0]] = &obj.ObjectMeta
			return nil
		}
		list, err := res.List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list %s in %q: %w", k.gvr.Resource, k.ns, err)
		}
		byName := make(map[string]*metav1.ObjectMeta, len(list.Items))
		for i := range list.Items {
			byName[list.Items[i].Name] = &list.Items[i].ObjectMeta
		}
		for _, i := range idx {
			out[i] = byName[rs[i].Name()]
		}
		return nil
	})
	return out, err
}
