package diff

import (
	"maps"
	"slices"
	"sort"
)

// Fields the apply does not control, removed before comparing objects.
var ignoredMetadata = []string{
	"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
}

// Annotations written by clients or controllers rather than by the apply.
var ignoredAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
}

// Normalize returns a copy of obj without what the apply does not control:
// metadata.managedFields, resourceVersion, uid, generation,
// creationTimestamp, selfLink, deletion markers, kubectl's
// last-applied-configuration annotation, and status. The copy shares the
// subtrees it does not change with obj (deep-copying both sides of 200
// objects was a tenth of the diff's normalising); the maps this package
// later edits in place (the top level, metadata, annotations, a Secret's
// data and stringData) are its own, and dropAllocated copies before editing.
func Normalize(obj map[string]any) map[string]any {
	if obj == nil {
		return nil
	}
	out := maps.Clone(obj)
	delete(out, "status")
	if md, ok := out["metadata"].(map[string]any); ok {
		md = maps.Clone(md)
		out["metadata"] = md
		for _, k := range ignoredMetadata {
			delete(md, k)
		}
		if an, ok := md["annotations"].(map[string]any); ok {
			an = maps.Clone(an)
			md["annotations"] = an
			for _, k := range ignoredAnnotations {
				delete(an, k)
			}
			if len(an) == 0 {
				delete(md, "annotations")
			}
		}
	}
	if isSecret(out) {
		for _, f := range []string{"data", "stringData"} {
			if m, ok := out[f].(map[string]any); ok {
				out[f] = maps.Clone(m)
			}
		}
	}
	return out
}

// dropAllocated removes what the API server allocates when it creates an
// object and a dry-run cannot predict (it picks a value it then forgets):
// a Service's cluster IPs and node ports that the manifest left unset.
// pred is a Normalize result: the spec and ports it edits are copied first.
func dropAllocated(pred, manifest map[string]any) {
	if pred["kind"] != "Service" || pred["apiVersion"] != "v1" {
		return
	}
	spec, _ := pred["spec"].(map[string]any)
	mspec, _ := manifest["spec"].(map[string]any)
	if spec == nil {
		return
	}
	spec = maps.Clone(spec)
	pred["spec"] = spec
	for _, k := range []string{"clusterIP", "clusterIPs", "healthCheckNodePort"} {
		if _, set := mspec[k]; !set {
			delete(spec, k)
		}
	}
	ports, _ := spec["ports"].([]any)
	if ports != nil {
		ports = slices.Clone(ports)
		spec["ports"] = ports
	}
	mports, _ := mspec["ports"].([]any)
	for i, p := range ports {
		pm, _ := p.(map[string]any)
		var mp map[string]any
		if i < len(mports) {
			mp, _ = mports[i].(map[string]any)
		}
		if _, set := mp["nodePort"]; pm != nil && !set {
			pm = maps.Clone(pm)
			delete(pm, "nodePort")
			ports[i] = pm
		}
	}
}

// Comparable is the normalised object as YAML; for a created object also
// without what the server allocates at creation (a Service's cluster IPs
// and node ports). Predictions and live objects compare equal in this form
// when the apply did exactly what was predicted.
func Comparable(obj map[string]any, created bool) string {
	n := Normalize(obj)
	if created {
		dropAllocated(n, map[string]any{})
	}
	return toYAML(n)
}

// Masked is what a Secret value is shown as.
const (
	Masked       = "***"
	MaskedBefore = "*** (before)"
	MaskedAfter  = "*** (after)"
)

// maskSecrets replaces the values of Secret data and stringData in old and
// new (both already copies) so that no value is printed: unchanged keys
// become "***", changed keys "*** (before)" and "*** (after)". It returns
// the keys whose values differ.
func maskSecrets(old, new map[string]any) []string {
	if !isSecret(old) && !isSecret(new) {
		return nil
	}
	var changed []string
	for _, field := range []string{"data", "stringData"} {
		od, _ := fieldMap(old, field)
		nd, _ := fieldMap(new, field)
		keys := map[string]bool{}
		for k := range od {
			keys[k] = true
		}
		for k := range nd {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			ov, oin := od[k]
			nv, nin := nd[k]
			same := oin && nin && equalJSON(ov, nv)
			if !same {
				changed = append(changed, field+"."+k)
			}
			switch {
			case same:
				od[k], nd[k] = Masked, Masked
			default:
				if oin {
					od[k] = MaskedBefore
				}
				if nin {
					nd[k] = MaskedAfter
				}
			}
		}
	}
	return changed
}

func isSecret(obj map[string]any) bool {
	return obj != nil && obj["kind"] == "Secret" && obj["apiVersion"] == "v1"
}

func fieldMap(obj map[string]any, field string) (map[string]any, bool) {
	if obj == nil {
		return nil, false
	}
	m, ok := obj[field].(map[string]any)
	return m, ok
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
