package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/render"
)

// DryRunApply server-side applies r with dryRun=All and field manager lade
// (forcing conflicts when force) and returns the object the API server would
// store. A field-manager conflict is returned as a *ConflictError.
func (c *Client) DryRunApply(ctx context.Context, r *Resource, force bool) (*unstructured.Unstructured, error) {
	body, err := json.Marshal(r.Object.Object)
	if err != nil {
		return nil, err
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager, DryRun: []string{metav1.DryRunAll}}
	if force {
		opts.Force = &force
	}
	out, err := c.dryRunClient(r).Patch(ctx, r.Name(), types.ApplyPatchType, body, opts)
	if apierrors.IsConflict(err) {
		if ce := conflictFrom(err); ce != nil {
			return nil, ce
		}
	}
	if err != nil {
		return nil, fmt.Errorf("dry-run apply %s: %w", r, err)
	}
	return out, nil
}

// dryRunClients holds, per Client, a dynamic client without client-side
// rate limiting: dry-runs write nothing and their callers bound their
// concurrency, so the QPS limiter of the shared client would only queue them
// (200 dry-runs at 100 QPS wait 1-2 s for tokens).
var dryRunClients sync.Map // *Client -> dynamic.Interface

func (c *Client) dryRunClient(r *Resource) dynamic.ResourceInterface {
	d, ok := dryRunClients.Load(c)
	if !ok {
		cfg := rest.CopyConfig(c.Config)
		cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
		dyn, err := dynamic.NewForConfig(cfg)
		if err != nil {
			return c.client(r)
		}
		d, _ = dryRunClients.LoadOrStore(c, dyn)
	}
	ri := d.(dynamic.Interface).Resource(r.Mapping.Resource)
	if r.Namespaced {
		return ri.Namespace(r.Namespace())
	}
	return ri
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
	var out []*Resource
	var unmapped []*unstructured.Unstructured
	var objs []*unstructured.Unstructured
	scopes := map[string]string{} // group/kind of CRDs in the manifest -> scope
	for _, doc := range render.SplitDocuments(manifest) {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			return nil, nil, fmt.Errorf("parse manifest: %w", err)
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		objs = append(objs, u)
		if u.GetKind() == crdKind {
			g, _, _ := unstructured.NestedString(obj, "spec", "group")
			k, _, _ := unstructured.NestedString(obj, "spec", "names", "kind")
			s, _, _ := unstructured.NestedString(obj, "spec", "scope")
			scopes[g+"/"+k] = s
		}
	}
	for _, u := range objs {
		r, err := c.resource(u, ns)
		if err != nil {
			gvk := u.GroupVersionKind()
			scope, defined := scopes[gvk.Group+"/"+gvk.Kind]
			if !defined || !strings.Contains(err.Error(), "resource mapping not found") {
				return nil, nil, err
			}
			if scope == string(meta.RESTScopeNameNamespace) || scope == "Namespaced" {
				if u.GetNamespace() == "" {
					u.SetNamespace(ns)
				}
			} else {
				u.SetNamespace("")
			}
			unmapped = append(unmapped, u)
			continue
		}
		out = append(out, r)
	}
	return out, unmapped, nil
}

// listThreshold is the number of objects of one resource in one namespace
// from which GetAll lists them instead of getting them one by one.
const listThreshold = 8

// GetAll reads the live objects of rs (nil where an object does not exist).
// Objects of one resource type and namespace are read with a single LIST
// when there are many of them, otherwise with concurrent GETs (bounded), so
// a large release costs a few requests instead of one per object.
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
		l, err := c.client(rs[idx[0]]).List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list %s: %w", rs[idx[0]].Mapping.Resource.Resource, err)
		}
		byName := make(map[string]*unstructured.Unstructured, len(l.Items))
		for n := range l.Items {
			byName[l.Items[n].GetName()] = &l.Items[n]
		}
		for _, i := range idx {
			if live := byName[rs[i].Name()]; live != nil {
				// List items carry no kind; restore it as Get returns it.
				live.SetAPIVersion(rs[i].Object.GetAPIVersion())
				live.SetKind(rs[i].Kind())
				out[i] = live
			}
		}
		return nil
	})
	return out, err
}
