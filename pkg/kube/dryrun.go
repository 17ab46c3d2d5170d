package kube

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/lade-dev/lade/internal/kubejson"
)

// DryRunApply server-side applies r with dryRun=All and field manager lade
// (forcing conflicts when force) and returns the object the API server would
// store. A field-manager conflict is returned as a *ConflictError.
func (c *Client) DryRunApply(ctx context.Context, r *Resource, force bool) (*unstructured.Unstructured, error) {
	return c.DryRunApplyAs(ctx, r, FieldManager, force)
}

// DryRunApplyAs is DryRunApply as field manager manager.
func (c *Client) DryRunApplyAs(ctx context.Context, r *Resource, manager string, force bool) (*unstructured.Unstructured, error) {
	body, err := kubejson.Marshal(r.Object.Object)
	if err != nil {
		return nil, err
	}
	rc, err := c.rawClient(false)
	if err != nil {
		return nil, err
	}
	req := rc.Patch(types.ApplyPatchType).AbsPath(urlSegments(r.Mapping.Resource, r.namespaceIfScoped(), r.Name())...).
		Body(body).Param("dryRun", metav1.DryRunAll).Param("fieldManager", manager)
	if force {
		req.Param("force", "true")
	}
	if skipFieldValidation(r.Mapping.Resource) {
		req.Param("fieldValidation", string(metav1.FieldValidationIgnore))
	}
	// Error, not Raw, makes the Status of a failure the error (with the
	// conflict causes), as the dynamic client does.
	res := req.Do(ctx)
	err = res.Error()
	if apierrors.IsConflict(err) {
		if ce := conflictFrom(err); ce != nil {
			return nil, ce
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dry-run apply %s: %w", r, err)
	}
	raw, err := res.Raw()
	if err != nil {
		return nil, fmt.Errorf("dry-run apply %s: %w", r, err)
	}
	out, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("dry-run apply %s: %w", r, err)
	}
	return out, nil
}

// builtinGroups are the API groups kube-apiserver serves itself (not CRDs
// or aggregated servers).
var builtinGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true, "networking.k8s.io": true,
	"rbac.authorization.k8s.io": true, "storage.k8s.io": true, "scheduling.k8s.io": true, "coordination.k8s.io": true,
	"discovery.k8s.io": true, "node.k8s.io": true, "certificates.k8s.io": true, "admissionregistration.k8s.io": true,
	"apiextensions.k8s.io": true, "events.k8s.io": true, "flowcontrol.apiserver.k8s.io": true, "resource.k8s.io": true,
	"apiregistration.k8s.io": true, "storagemigration.k8s.io": true, "internal.apiserver.k8s.io": true,
}

// skipFieldValidation reports whether an apply of gvr may be sent with
// fieldValidation=Ignore and behave exactly as with the default (Warn).
// Warn makes the API server decode the apply body a second time, strictly,
// to warn about duplicate fields (lade's bodies are marshalled maps: none)
// and unknown ones; for a built-in kind an unknown field fails the server-side
// apply anyway ("field not declared in schema"), whatever fieldValidation
// says. Ignore cut the API server's CPU for 200 dry-run applies by about a
// fifth. Custom resources keep the default, so the API server's warnings
// about fields it prunes still reach the user.
func skipFieldValidation(gvr schema.GroupVersionResource) bool {
	return builtinGroups[gvr.Group]
}

// rawClients are a Client's REST clients for the dynamic API whose
// responses are decoded by kubejson.Decode rather than the dynamic client's
// decoder, or not at all (an apply's response), made on first use. The
// limited one has the Client's rate limit (applies, GetAll's LISTs); the
// other none (dry-runs: they write nothing and their callers bound their
// concurrency, so a QPS limiter would only queue them: 200 dry-runs at 100
// QPS wait 1-2 s).
type rawClients struct {
	mu               sync.Mutex
	limited, unlimit *rest.RESTClient
}

func (c *Client) rawClient(limited bool) (*rest.RESTClient, error) {
	c.raw.mu.Lock()
	defer c.raw.mu.Unlock()
	slot := &c.raw.unlimit
	if limited {
		slot = &c.raw.limited
	}
	if *slot != nil {
		return *slot, nil
	}
	cfg := dynamic.ConfigFor(c.Config)
	if !limited {
		cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
	}
	cfg.GroupVersion = nil
	cfg.APIPath = "/"
	rc, err := rest.UnversionedRESTClientFor(cfg)
	if err != nil {
		return nil, err
	}
	*slot = rc
	return rc, nil
}

// urlSegments is the path of a resource (and of one object when name is
// set), as the dynamic client builds it.
func urlSegments(gvr schema.GroupVersionResource, ns, name string) []string {
	url := []string{"api"}
	if gvr.Group != "" {
		url = []string{"apis", gvr.Group}
	}
	url = append(url, gvr.Version)
	if ns != "" {
		url = append(url, "namespaces", ns)
	}
	url = append(url, gvr.Resource)
	if name != "" {
		url = append(url, name)
	}
	return url
}

func (r *Resource) namespaceIfScoped() string {
	if r.Namespaced {
		return r.Namespace()
	}
	return ""
}

// decodeObject decodes an API object as the dynamic client does, with
// kubejson.Decode; anything it does not take goes the dynamic client's way.
func decodeObject(raw []byte) (*unstructured.Unstructured, error) {
	if v, err := kubejson.Decode(raw); err == nil {
		if m, ok := v.(map[string]any); ok && m["kind"] != nil && m["kind"] != "" {
			if _, list := m["items"]; !list {
				return &unstructured.Unstructured{Object: m}, nil
			}
		}
	}
	obj, err := runtime.Decode(unstructured.UnstructuredJSONScheme, raw)
	if err != nil {
		return nil, err
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("unexpected %T in the response", obj)
	}
	return u, nil
}

// listObjects reads the objects of a resource in a namespace ("" for all
// or cluster-scoped), decoded with kubejson.Decode: at most limit of them
// (0: every one). complete is false when the API server has more.
func (c *Client) listObjects(ctx context.Context, gvr schema.GroupVersionResource, ns string, limit int64) (items []*unstructured.Unstructured, complete bool, err error) {
	rc, err := c.rawClient(true)
	if err != nil {
		return nil, false, err
	}
	req := rc.Get().AbsPath(urlSegments(gvr, ns, "")...)
	if limit > 0 {
		req = req.Param("limit", strconv.FormatInt(limit, 10))
	}
	res := req.Do(ctx)
	if err := res.Error(); err != nil {
		return nil, false, err
	}
	raw, err := res.Raw()
	if err != nil {
		return nil, false, err
	}
	if v, err := kubejson.Decode(raw); err == nil {
		if m, ok := v.(map[string]any); ok {
			if items, ok := m["items"].([]any); ok {
				out := make([]*unstructured.Unstructured, 0, len(items))
				for _, it := range items {
					im, ok := it.(map[string]any)
					if !ok {
						out = nil
						break
					}
					out = append(out, &unstructured.Unstructured{Object: im})
				}
				if out != nil || len(items) == 0 {
					meta, _ := m["metadata"].(map[string]any)
					cont, _ := meta["continue"].(string)
					return out, cont == "", nil
				}
			}
		}
	}
	obj, err := runtime.Decode(unstructured.UnstructuredJSONScheme, raw)
	if err != nil {
		return nil, false, err
	}
	l, ok := obj.(*unstructured.UnstructuredList)
	if !ok {
		return nil, false, fmt.Errorf("unexpected %T in the list response", obj)
	}
	out := make([]*unstructured.Unstructured, len(l.Items))
	for i := range l.Items {
		out[i] = &l.Items[i]
	}
	return out, l.GetContinue() == "", nil
}

// FieldConflict is one field another manager owns with a different value.
type FieldConflict struct {
	// Field is the field path as the API server reports it (".spec.replicas").
	Field string `json:"field"`
	// Manager is the field manager that owns it.
	Manager string `json:"manager"`
}

// ConflictError is a server-side apply conflict with the fields at stake.
type ConflictError struct {
	Conflicts []FieldConflict
	Err       error
}

func (e *ConflictError) Error() string { return e.Err.Error() }
func (e *ConflictError) Unwrap() error { return e.Err }

var managerRE = regexp.MustCompile(`conflict with "([^"]*)"`)

func conflictFrom(err error) *ConflictError {
	var se apierrors.APIStatus
	if !asStatus(err, &se) {
		return nil
	}
	st := se.Status()
	if st.Details == nil {
		return nil
	}
	ce := &ConflictError{Err: err}
	for _, cause := range st.Details.Causes {
		if cause.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		m := ""
		if g := managerRE.FindStringSubmatch(cause.Message); g != nil {
			m = g[1]
		}
		ce.Conflicts = append(ce.Conflicts, FieldConflict{Field: cause.Field, Manager: m})
	}
	if len(ce.Conflicts) == 0 {
		return nil
	}
	return ce
}

func asStatus(err error, out *apierrors.APIStatus) bool {
	for e := err; e != nil; {
		if s, ok := e.(apierrors.APIStatus); ok {
			*out = s
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// BuildLenient is Build for manifests that may contain custom resources of
// kinds the cluster does not serve yet (their CustomResourceDefinition is in
// the same manifest): those objects are returned unmapped instead of failing.
// Namespaced unmapped objects without a namespace get ns when the CRD in the
// manifest says so.
func (c *Client) BuildLenient(manifest, ns string) ([]*Resource, []*unstructured.Unstructured, error) {
	b, err := c.build(manifestDocs(manifest), ns, true, false)
	return b.Resources, b.Unmapped, err
}

// build is Build of docs (BuildLenient with lenient); with stored, objects
// of API versions Kubernetes removed are taken at the version the cluster
// serves (see BuildStored).
func (c *Client) build(docs []source, ns string, lenient, stored bool) (Built, error) {
	var b Built
	parsed, err := parse(docs)
	if err != nil {
		return b, err
	}
	objs := make([]*unstructured.Unstructured, 0, len(parsed))
	scopes := map[string]string{} // group/kind of CRDs in the manifest -> scope
	for _, obj := range parsed {
		u := &unstructured.Unstructured{Object: obj}
		objs = append(objs, u)
		if lenient && u.GetKind() == crdKind {
			g, _, _ := unstructured.NestedString(obj, "spec", "group")
			k, _, _ := unstructured.NestedString(obj, "spec", "names", "kind")
			s, _, _ := unstructured.NestedString(obj, "spec", "scope")
			scopes[g+"/"+k] = s
		}
	}
	b.Resources = make([]*Resource, 0, len(objs))
	refreshed := false
	var errs []error // every object that cannot be mapped is named
	for _, u := range objs {
		if stored {
			rm, ok, err := c.remap(u, &refreshed)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if ok {
				b.Remapped = append(b.Remapped, rm)
				if rm.To == "" {
					continue
				}
			}
		}
		r, err := c.resource(u, ns)
		if err != nil {
			gvk := u.GroupVersionKind()
			scope, defined := scopes[gvk.Group+"/"+gvk.Kind]
			if !defined || !errors.Is(err, ErrNoMapping) {
				errs = append(errs, err)
				continue
			}
			if scope == string(meta.RESTScopeNameNamespace) || scope == "Namespaced" {
				if u.GetNamespace() == "" {
					u.SetNamespace(ns)
				}
			} else {
				u.SetNamespace("")
			}
			b.Unmapped = append(b.Unmapped, u)
			continue
		}
		b.Resources = append(b.Resources, r)
	}
	if err := joinErrors(errs); err != nil {
		return Built{}, err
	}
	return b, nil
}

// listThreshold is the number of objects of one resource in one namespace
// from which GetAll lists them instead of getting them one by one.
const listThreshold = 8

// listCacheKey is the context key of a listCache (WithListCache).
type listCacheKey struct{}

// listCache holds the LISTs GetAll made under one WithListCache context.
type listCache struct {
	mu sync.Mutex
	m  map[string]*listEntry
}

type listEntry struct {
	once     sync.Once
	items    []*unstructured.Unstructured
	complete bool
	err      error
}

// WithListCache returns a context under which GetAll lists each resource
// type in each namespace once and shares the answer between its calls: for
// a caller that reads the live objects of many releases at one moment and
// changes nothing meanwhile (lade apply planning a fleet, whose releases
// often share namespaces: without it each release would list every
// release's objects). Callers get copies of the objects.
func WithListCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, listCacheKey{}, &listCache{m: map[string]*listEntry{}})
}

// listShared lists the objects of gvr in ns for GetAll's n wanted objects.
// Under a list cache (WithListCache) the LIST is whole, made once and
// shared (shared reports that the items are the cache's, not to be
// changed): every release of the fleet reads the same answer. Without one
// it is bounded to listLimit(n) objects (complete reports whether the page
// held every object).
func (c *Client) listShared(ctx context.Context, gvr schema.GroupVersionResource, ns string, n int) (items []*unstructured.Unstructured, complete, shared bool, err error) {
	lc, ok := ctx.Value(listCacheKey{}).(*listCache)
	if !ok {
		items, complete, err = c.listObjects(ctx, gvr, ns, listLimit(n))
		return items, complete, false, err
	}
	k := gvr.String() + "|" + ns
	lc.mu.Lock()
	e := lc.m[k]
	if e == nil {
		e = &listEntry{}
		lc.m[k] = e
	}
	lc.mu.Unlock()
	e.once.Do(func() { e.items, e.complete, e.err = c.listObjects(ctx, gvr, ns, 0) })
	return e.items, e.complete, true, e.err
}

// listLimit bounds GetAll's LIST of n wanted objects. A namespace shared by
// many releases (a fleet's: 50 releases of 12 Deployments) would otherwise be
// read and decoded whole by every release's plan, a cost that grows with the
// square of the fleet; with the bound, a crowded namespace costs one page
// and GETs of the wanted objects the page did not hold.
func listLimit(n int) int64 { return int64(max(4*n, 100)) }

// GetAll reads the live objects of rs (nil where an object does not exist).
// Objects of one resource type and namespace are read with a single LIST
// (of at most listLimit objects; whole and shared under WithListCache)
// when there are many of them, otherwise with
// concurrent GETs (bounded), so a large release costs a few requests instead
// of one per object.
func (c *Client) GetAll(ctx context.Context, rs []*Resource) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, len(rs))
	groups := map[string][]int{}
	var order []string
	for i, r := range rs {
		k := r.Mapping.Resource.String() + "|" + r.Namespace()
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var single []int
	var lists [][]int
	for _, k := range order {
		if idx := groups[k]; len(idx) >= listThreshold {
			lists = append(lists, idx)
		} else {
			single = append(single, idx...)
		}
	}
	err := c.each(len(lists)+len(single), func(j int) error {
		if j >= len(lists) {
			i := single[j-len(lists)]
			live, err := c.Get(ctx, rs[i])
			out[i] = live
			return err
		}
		idx := lists[j]
		items, complete, shared, err := c.listShared(ctx, rs[idx[0]].Mapping.Resource, rs[idx[0]].namespaceIfScoped(), len(idx))
		if err != nil {
			return fmt.Errorf("list %s: %w", rs[idx[0]].Mapping.Resource.Resource, err)
		}
		byName := make(map[string]*unstructured.Unstructured, len(items))
		for _, it := range items {
			byName[it.GetName()] = it
		}
		var missing []int
		for _, i := range idx {
			if live := byName[rs[i].Name()]; live != nil {
				if shared {
					live = live.DeepCopy()
				}
				// List items carry no kind; restore it as Get returns it.
				live.SetAPIVersion(rs[i].Object.GetAPIVersion())
				live.SetKind(rs[i].Kind())
				out[i] = live
			} else if !complete {
				missing = append(missing, i)
			}
		}
		// The page did not hold every object of the namespace: get the
		// wanted ones it did not hold.
		return c.each(len(missing), func(k int) error {
			live, err := c.Get(ctx, rs[missing[k]])
			out[missing[k]] = live
			return err
		})
	})
	return out, err
}
