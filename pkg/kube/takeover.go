package kube

import (
	"context"
	"fmt"
	"log/slog"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/util/csaupgrade"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// Ownership takeover. Helm 3 (and Helm 4 with --server-side=false) writes
// objects client-side: its fields are owned by an Update entry of field
// manager "helm"; `kubectl apply` without --server-side leaves an Update
// entry (manager "kubectl-client-side-apply", "kubectl" in old versions)
// owning the last-applied-configuration annotation. A server-side apply by
// lade does not remove fields such an entry owns, so a field a new chart
// drops would stay. When lade's apply of an object of its release returns
// it with such entries, lade merges them into the apply entry of the
// release's field manager
// (k8s.io/client-go/util/csaupgrade, as Helm 4 does for its own manager and
// kubectl when it switches to server-side apply) and applies again, which
// removes what the chart no longer renders, as Helm 3's three-way merge (or
// kubectl apply) would have. Objects the release adopts are converted
// before their apply.
// Helm 4 converts its own manager only, on the first upgrade after a
// client-side revision, on every rollback and on adoption; lade converts
// whenever an apply of a release's object finds such entries (Helm 3 may
// have written the release again since) and on adoption, and kubectl's
// client-side managers too.

// lastAppliedPath is kubectl's client-side apply annotation.
var lastAppliedPath = fieldpath.NewSet(fieldpath.MakePathOrDie("metadata", "annotations", corev1.LastAppliedConfigAnnotation))

// ClientSideManagers returns the managers whose Update entries lade converts
// into the apply entry of manager (the release's field manager): Helm's
// "helm", and every other manager that owns kubectl's
// last-applied-configuration annotation with an Update, as kubectl finds its
// own client-side managers. Entries of subresources (status, scale) are
// never converted. Empty when there is nothing to do.
func ClientSideManagers(mf []metav1.ManagedFieldsEntry, manager string) sets.Set[string] {
	out := sets.New[string]()
	for _, e := range mf {
		if e.Operation == metav1.ManagedFieldsOperationUpdate && e.Subresource == "" && e.Manager == HelmFieldManager {
			out.Insert(e.Manager)
		}
	}
	for _, e := range csaupgrade.FindFieldsOwners(mf, metav1.ManagedFieldsOperationUpdate, lastAppliedPath) {
		if e.Subresource == "" && e.Manager != manager && e.Manager != FieldManager {
			out.Insert(e.Manager)
		}
	}
	return out
}

// takeOverPatch is the JSON patch converting obj's client-side entries into
// manager's apply entry (with a resourceVersion guard), nil when obj has none.
func takeOverPatch(obj runtime.Object, mf []metav1.ManagedFieldsEntry, manager string) ([]byte, error) {
	csa := ClientSideManagers(mf, manager)
	if csa.Len() == 0 {
		return nil, nil
	}
	return csaupgrade.UpgradeManagedFieldsPatch(obj, csa, manager)
}

// TakeOver converts, on each live object of rs, the Update entries of
// ClientSideManagers into the apply entry of manager ("" = FieldManager),
// so that its next apply owns (and may remove) the fields they set. live
// holds the objects' live metadata, in rs's order (nil where an object does
// not exist; a nil slice reads it). Only objects with such entries get a
// request: one JSON patch of managedFields, retried on a resourceVersion
// conflict. It returns the keys of the objects it converted.
func (c *Client) TakeOver(ctx context.Context, rs []*Resource, live []*metav1.ObjectMeta, manager string) (map[string]bool, error) {
	if manager == "" {
		manager = FieldManager
	}
	if live == nil {
		var err error
		if live, err = c.liveMetadata(ctx, rs); err != nil {
			return nil, err
		}
	}
	var todo []int
	for i, m := range live {
		if m != nil && ClientSideManagers(m.ManagedFields, manager).Len() > 0 {
			todo = append(todo, i)
		}
	}
	done := make([]bool, len(rs))
	err := c.each(len(todo), func(j int) error {
		i := todo[j]
		r := rs[i]
		meta := live[i]
		first := true
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			if !first {
				obj, err := c.client(r).Get(ctx, r.Name(), metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					meta = nil
					return nil
				}
				if err != nil {
					return err
				}
				meta = &metav1.ObjectMeta{ResourceVersion: obj.GetResourceVersion(), ManagedFields: obj.GetManagedFields()}
			}
			first = false
			if meta == nil {
				return nil
			}
			pm := &metav1.PartialObjectMetadata{ObjectMeta: *meta}
			patch, err := takeOverPatch(pm, meta.ManagedFields, manager)
			if err != nil || patch == nil {
				return err
			}
			_, err = c.client(r).Patch(ctx, r.Name(), types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: manager})
			if err == nil {
				done[i] = true
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("take over the client-side field ownership of %s: %w", r, err)
		}
		return nil
	})
	out := map[string]bool{}
	for i, d := range done {
		if d {
			out[rs[i].Key()] = true
		}
	}
	if len(out) > 0 {
		slog.Debug("converted client-side field ownership to server-side apply", "manager", manager, "objects", len(out))
	}
	return out, err
}

// PredictTakeOver corrects pred, a dry-run server-side apply of r as
// manager ("" = FieldManager) against live, for the TakeOver of the real
// apply: the fields the
// converted entries owned that the apply no longer sets, and no other
// manager owns, are removed as the API server's apply removes them, and
// the result is sent as a dry-run update so that the API server defaults
// and validates it as it would the apply's. It returns pred unchanged and
// no managers when live has no client-side entries; else the corrected
// object and the managers converted (conflicts with them are gone after
// the takeover).
func (c *Client) PredictTakeOver(ctx context.Context, r *Resource, manager string, live, pred *unstructured.Unstructured) (*unstructured.Unstructured, sets.Set[string], error) {
	if manager == "" {
		manager = FieldManager
	}
	if live == nil || pred == nil {
		return pred, nil, nil
	}
	csa := ClientSideManagers(live.GetManagedFields(), manager)
	if csa.Len() == 0 {
		return pred, nil, nil
	}
	conv := live.DeepCopy()
	if err := csaupgrade.UpgradeManagedFields(conv, csa, manager); err != nil {
		return nil, nil, fmt.Errorf("predict the ownership takeover of %s: %w", r, err)
	}
	var owned *fieldpath.Set // manager's apply entry after the conversion
	others := fieldpath.NewSet()
	for _, e := range conv.GetManagedFields() {
		s, err := entrySet(e)
		if err != nil {
			return nil, nil, fmt.Errorf("predict the ownership takeover of %s: managed fields of %q: %w", r, e.Manager, err)
		}
		if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "" {
			if e.APIVersion != pred.GetAPIVersion() {
				// The apply converts between versions; paths cannot be
				// compared here. The server's dry-run stands.
				return pred, csa, nil
			}
			owned = s
			continue
		}
		others = others.Union(s)
	}
	applied := fieldpath.NewSet()
	for _, e := range pred.GetManagedFields() {
		if e.Manager == manager && e.Operation == metav1.ManagedFieldsOperationApply && e.Subresource == "" {
			s, err := entrySet(e)
			if err != nil {
				return nil, nil, fmt.Errorf("predict the ownership takeover of %s: %w", r, err)
			}
			applied = s
		}
	}
	if owned == nil {
		return pred, csa, nil
	}
	keep := applied.Union(others)
	drop := owned.Difference(keep)
	var gone []fieldpath.Path
	drop.Iterate(func(p fieldpath.Path) {
		if hasDescendants(keep, p) {
			return
		}
		for i := 1; i < len(p); i++ {
			if drop.Has(p[:i]) && !hasDescendants(keep, p[:i]) {
				return // removed with its ancestor (whose key it may be)
			}
		}
		gone = append(gone, p.Copy())
	})
	if len(gone) == 0 {
		return pred, csa, nil
	}
	// Last first, so list indexes stay valid.
	sort.Slice(gone, func(i, j int) bool { return gone[j].Compare(gone[i]) < 0 })
	out := pred.DeepCopy()
	for _, p := range gone {
		out.Object = removePath(out.Object, p).(map[string]any)
	}
	// The object may have changed since it was read (a controller's status
	// update): the dry-run update goes to the newest version of it.
	var got *unstructured.Unstructured
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		got, err = c.client(r).Update(ctx, out, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: manager})
		if apierrors.IsConflict(err) {
			cur, gerr := c.client(r).Get(ctx, r.Name(), metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			out.SetResourceVersion(cur.GetResourceVersion())
		}
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("predict the ownership takeover of %s: dry-run update: %w", r, err)
	}
	return got, csa, nil
}

func entrySet(e metav1.ManagedFieldsEntry) (*fieldpath.Set, error) {
	s := fieldpath.NewSet()
	if e.FieldsV1 == nil {
		return s, nil
	}
	if err := s.FromJSON(e.FieldsV1.GetRawReader()); err != nil {
		return nil, err
	}
	return s, nil
}

// hasDescendants reports whether s holds a path strictly below p.
func hasDescendants(s *fieldpath.Set, p fieldpath.Path) bool {
	for _, pe := range p {
		child, ok := s.Children.Get(pe)
		if !ok {
			return false
		}
		s = child
	}
	return !s.Empty()
}

// removePath deletes the item at p below node (a map field, a list element
// by key, by value or by index), with everything under it; a path that is
// not there changes nothing. It returns node (a list may be re-sliced).
func removePath(node any, p fieldpath.Path) any {
	if len(p) == 0 {
		return node
	}
	pe := p[0]
	switch n := node.(type) {
	case map[string]any:
		if pe.FieldName == nil {
			return n
		}
		child, ok := n[*pe.FieldName]
		if !ok {
			return n
		}
		if len(p) == 1 {
			delete(n, *pe.FieldName)
		} else {
			n[*pe.FieldName] = removePath(child, p[1:])
		}
		return n
	case []any:
		i := elementIndex(n, pe)
		if i < 0 {
			return n
		}
		if len(p) == 1 {
			return append(n[:i:i], n[i+1:]...)
		}
		n[i] = removePath(n[i], p[1:])
		return n
	}
	return node
}

// elementIndex finds the element of list pe selects, -1 when none does.
func elementIndex(list []any, pe fieldpath.PathElement) int {
	switch {
	case pe.Index != nil:
		if *pe.Index >= 0 && *pe.Index < len(list) {
			return *pe.Index
		}
	case pe.Value != nil:
		for i, e := range list {
			if value.Equals(value.NewValueInterface(e), *pe.Value) {
				return i
			}
		}
	case pe.Key != nil:
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			match := true
			for _, f := range *pe.Key {
				v, ok := m[f.Name]
				if !ok || !value.Equals(value.NewValueInterface(v), f.Value) {
					match = false
					break
				}
			}
			if match {
				return i
			}
		}
	}
	return -1
}
