package kube

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/lade-dev/lade/pkg/kubeapis"
)

var (
	// ErrNoMapping is matched (errors.Is) by Build's error for an object
	// whose apiVersion and kind the cluster does not serve.
	ErrNoMapping = errors.New("resource mapping not found")
	// ErrRemovedAPI is matched by Build's error for an object of an API
	// version Kubernetes removed (package kubeapis knows it).
	ErrRemovedAPI = errors.New("API version removed from Kubernetes")
)

// mappingError says that the cluster serves no such apiVersion/kind, and
// why when Kubernetes removed it.
type mappingError struct {
	msg     string
	removed bool
}

func (e *mappingError) Error() string { return e.msg }

func (e *mappingError) Is(target error) bool {
	return target == ErrNoMapping || (e.removed && target == ErrRemovedAPI)
}

// noMappingError is Helm's "resource mapping not found" error for u; for
// an API version Kubernetes removed it names the release that removed it
// and what replaces it, instead of the hint about CRDs.
func noMappingError(u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	msg := fmt.Sprintf("resource mapping not found for name: %q namespace: %q: no matches for kind %q in version %q: ",
		u.GetName(), u.GetNamespace(), gvk.Kind, gvk.GroupVersion())
	a, removed := kubeapis.Lookup(gvk.GroupVersion().String(), gvk.Kind)
	if !removed {
		return &mappingError{msg: msg + "ensure CRDs are installed first"}
	}
	msg += fmt.Sprintf("Kubernetes removed %s in %s", a, a.Removed)
	if s := kubeapis.Successors(a.APIVersion, a.Kind); len(s) > 0 {
		msg += "; use " + s[len(s)-1] + " " + a.Kind
	}
	return &mappingError{msg: msg, removed: true}
}

// Built is what BuildStored makes of a stored manifest.
type Built struct {
	// Resources are the objects the cluster serves, mapped.
	Resources []*Resource
	// Unmapped are custom resources whose CRD is in the same manifest and
	// not served yet (lenient builds only; see BuildLenient).
	Unmapped []*unstructured.Unstructured
	// Remapped lists the objects whose stored apiVersion the cluster no
	// longer serves, in manifest order.
	Remapped []Remapped
}

// Remapped is an object of a stored manifest taken at another apiVersion.
type Remapped struct {
	// Object is the object as built: converted to To (kubeapis.Convert),
	// or as stored when To is "".
	Object *unstructured.Unstructured
	// From is the stored apiVersion, which Kubernetes removed.
	From string
	// To is the apiVersion the cluster serves that replaces it; "" when the
	// cluster serves the kind in no version at all, so that no such object
	// can exist: it is left out of Resources.
	To string
}

// BuildStored builds the objects of a stored revision's manifest, written
// on a cluster that may have served API versions this one no longer does
// (policy/v1beta1 PodDisruptionBudget, networking.k8s.io/v1beta1 Ingress...).
// An object whose apiVersion the cluster does not serve and Kubernetes
// removed is converted to the nearest replacement the cluster serves
// (kubeapis.Successors, kubeapis.Convert); one whose kind the cluster
// serves in no version is left out, since it cannot exist. Each is listed
// in Remapped. Other objects are built as by Build (lenient: BuildLenient).
// Only stored manifests may be built so: a new chart's objects of removed
// versions must fail (Build's error matches ErrRemovedAPI).
func (c *Client) BuildStored(manifest, ns string, lenient bool) (Built, error) {
	return c.build(manifestDocs(manifest), ns, lenient, true)
}

// remap converts u when its apiVersion is one Kubernetes removed and the
// cluster does not serve; ok reports that it had to. Discovery is
// refreshed once per build (*refreshed), before the first conclusion.
func (c *Client) remap(u *unstructured.Unstructured, refreshed *bool) (Remapped, bool, error) {
	gvk := u.GroupVersionKind()
	from := gvk.GroupVersion().String()
	if _, removed := kubeapis.Lookup(from, gvk.Kind); !removed || c.serves(gvk, false) {
		return Remapped{}, false, nil
	}
	// Cached discovery may predate the cluster's current APIs: refresh it
	// once before concluding what the cluster serves.
	if !*refreshed {
		*refreshed = true
		if c.serves(gvk, true) {
			return Remapped{}, false, nil
		}
	}
	for _, to := range kubeapis.Successors(from, gvk.Kind) {
		gv, err := schema.ParseGroupVersion(to)
		if err != nil {
			return Remapped{}, false, err
		}
		if !c.serves(gv.WithKind(gvk.Kind), false) {
			continue
		}
		if err := kubeapis.Convert(u.Object, to); err != nil {
			return Remapped{}, false, fmt.Errorf("%s %s: %w", gvk.Kind, u.GetName(), err)
		}
		return Remapped{Object: u, From: from, To: to}, true, nil
	}
	// No replacement is served: when the kind is not served in any
	// version either (PodSecurityPolicy), no such object can exist.
	kinds := []schema.GroupKind{gvk.GroupKind()}
	for _, to := range kubeapis.Successors(from, gvk.Kind) {
		gv, _ := schema.ParseGroupVersion(to)
		kinds = append(kinds, gv.WithKind(gvk.Kind).GroupKind())
	}
	for _, gk := range kinds {
		if _, err := c.Mapper.RESTMapping(gk); !meta.IsNoMatchError(err) {
			return Remapped{}, false, noMappingError(u)
		}
	}
	return Remapped{Object: u, From: from}, true, nil
}

// serves reports whether the cluster serves gvk, refreshing cached
// discovery first when refresh is set.
func (c *Client) serves(gvk schema.GroupVersionKind, refresh bool) bool {
	if refresh {
		c.ResetMapper()
	}
	_, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	return err == nil
}
