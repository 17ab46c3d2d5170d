package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// HelmFieldManager is the field manager of the helm command (Helm 4 sets
// it in its main; its SDK defaults to the program's base name).
const HelmFieldManager = "helm"

// manager is the field manager an apply with o runs as.
func (o *ApplyOptions) manager() string {
	if o.FieldManager != "" {
		return o.FieldManager
	}
	return FieldManager
}

// applyEntries is the part of an apply response takeOver reads.
type applyEntries struct {
	Metadata struct {
		ManagedFields []struct {
			Manager     string `json:"manager"`
			Operation   string `json:"operation"`
			Subresource string `json:"subresource"`
		} `json:"managedFields"`
	} `json:"metadata"`
}

// previousAppliers returns the managers of from that still hold a
// server-side apply entry in the object an apply returned (raw).
func previousAppliers(raw []byte, from []string, self string) ([]string, error) {
	var e applyEntries
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	var out []string
	for _, mf := range e.Metadata.ManagedFields {
		if mf.Operation != string(metav1.ManagedFieldsOperationApply) || mf.Subresource != "" || mf.Manager == self {
			continue
		}
		if slices.Contains(from, mf.Manager) && !slices.Contains(out, mf.Manager) {
			out = append(out, mf.Manager)
		}
	}
	return out, nil
}

// takeOver hands the fields the previous appliers of r own over to the
// manager that just applied r: each applies r's identity alone, so that its
// apply entry is emptied and dropped. Fields the new apply set as well stay
// (now owned by the new manager alone); fields only a previous applier
// owned, which the new configuration no longer sets, are removed, exactly
// as if one manager had applied both configurations.
func (c *Client) takeOver(ctx context.Context, r *Resource, previous []string) error {
	md := map[string]any{"name": r.Name()}
	if ns := r.namespaceIfScoped(); ns != "" {
		md["namespace"] = ns
	}
	body, err := json.Marshal(map[string]any{"apiVersion": r.Object.GetAPIVersion(), "kind": r.Kind(), "metadata": md})
	if err != nil {
		return err
	}
	rc, err := c.rawClient(true)
	if err != nil {
		return err
	}
	for _, m := range previous {
		req := rc.Patch(types.ApplyPatchType).AbsPath(urlSegments(r.Mapping.Resource, r.namespaceIfScoped(), r.Name())...).
			Body(body).Param("fieldManager", m).Param("force", "true")
		if err := req.Do(ctx).Error(); err != nil {
			return fmt.Errorf("apply %s: hand the fields of field manager %q over: %w", r, m, err)
		}
	}
	return nil
}
