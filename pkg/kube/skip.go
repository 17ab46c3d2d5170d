package kube

import (
	"encoding/json"
	"math"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// upToDate reports whether a server-side apply of desired by lade would
// change nothing on live: lade's apply entry in live's managedFields owns
// every field desired sets, and live holds desired's value at each of them.
// Any doubt (a null, a list of another length or order, a field lade does
// not own, numbers that cannot be compared exactly) answers false. Callers
// use it only for objects whose desired state is identical to what lade
// applied in the deployed revision, so lade's field set has not shrunk and
// no field needs removing.
func upToDate(desired, live *unstructured.Unstructured) bool {
	return UpToDateFor(desired, live, FieldManager)
}

// UpToDate is the check behind ApplyOptions.Unchanged (see upToDate): true
// only when a server-side apply of desired by lade would change nothing on
// live. Use it only for objects identical to what lade applied for them in
// the release's newest revision.
func UpToDate(desired, live *unstructured.Unstructured) bool {
	return UpToDateFor(desired, live, FieldManager)
}

// UpToDateFor is UpToDate for an apply as field manager manager.
func UpToDateFor(desired, live *unstructured.Unstructured, manager string) bool {
	if live == nil || live.GetDeletionTimestamp() != nil {
		return false
	}
	if ClientSideManagers(live.GetManagedFields(), manager).Len() > 0 {
		// Applied after a takeover, it may remove fields Helm's or
		// kubectl's client-side apply set (see takeover.go).
		return false
	}
	var owned map[string]any
	for _, mf := range live.GetManagedFields() {
		if mf.Manager != manager || mf.Operation != metav1.ManagedFieldsOperationApply || mf.Subresource != "" {
			continue
		}
		if owned != nil || mf.FieldsV1 == nil || mf.APIVersion != desired.GetAPIVersion() {
			return false
		}
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &owned); err != nil || owned == nil {
			return false
		}
	}
	if owned == nil {
		return false
	}
	for k, v := range desired.Object {
		switch k {
		case "apiVersion", "kind":
			if !sameValue(v, live.Object[k]) {
				return false
			}
			continue
		case "metadata":
			md, ok := v.(map[string]any)
			if !ok {
				return false
			}
			rest := make(map[string]any, len(md))
			for mk, mv := range md {
				if mk == "name" || mk == "namespace" {
					// Identity, not in managedFields: the live object was
					// found by these.
					continue
				}
				rest[mk] = mv
			}
			lm, _ := live.Object["metadata"].(map[string]any)
			if len(rest) == 0 {
				continue
			}
			om, _ := owned["f:metadata"].(map[string]any)
			if om == nil || !covered(rest, om) || !holds(rest, lm) {
				return false
			}
			continue
		}
		of, ok := owned["f:"+k].(map[string]any)
		if !ok || !coveredValue(v, of) || !holdsValue(v, live.Object[k]) {
			return false
		}
	}
	return true
}

// covered reports whether the fieldsV1 set fs owns every field of d.
func covered(d map[string]any, fs map[string]any) bool {
	for k, v := range d {
		child, ok := fs["f:"+k].(map[string]any)
		if !ok || !coveredValue(v, child) {
			return false
		}
	}
	return true
}

func coveredValue(v any, fs map[string]any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case map[string]any:
		// No children: an atomic map or struct (a selector), owned whole.
		// Whoever changes it takes it over, so holds() suffices.
		return len(fs) == 0 || covered(v, fs)
	case []any:
		if len(fs) == 0 {
			// An atomic list, owned whole.
			return true
		}
		for _, e := range v {
			if !coveredElement(e, fs) {
				return false
			}
		}
		return true
	default:
		return true
	}
}

// coveredElement finds the fieldsV1 entry of one list element: k:{keys}
// for an associative list, v:value for a set. A key field the element does
// not set (the server defaulted it, as a port's protocol) matches any value,
// but then the entry must be the only one that matches.
func coveredElement(e any, fs map[string]any) bool {
	if m, ok := e.(map[string]any); ok {
		var found map[string]any
		n := 0
		for name, child := range fs {
			if !strings.HasPrefix(name, "k:") {
				continue
			}
			var keys map[string]any
			if err := json.Unmarshal([]byte(name[2:]), &keys); err != nil || len(keys) == 0 {
				return false
			}
			match, set := true, 0
			for kk, kv := range keys {
				dv, ok := m[kk]
				if !ok {
					continue
				}
				set++
				if !sameValue(kv, dv) {
					match = false
					break
				}
			}
			if !match || set == 0 {
				continue
			}
			n++
			found, _ = child.(map[string]any)
		}
		return n == 1 && found != nil && covered(m, found)
	}
	for name := range fs {
		if !strings.HasPrefix(name, "v:") {
			continue
		}
		var val any
		if err := json.Unmarshal([]byte(name[2:]), &val); err == nil && sameValue(val, e) {
			return true
		}
	}
	return false
}

// holds reports whether live holds every value of d at the same path.
func holds(d, live map[string]any) bool {
	if live == nil {
		return false
	}
	for k, v := range d {
		lv, ok := live[k]
		if !ok || !holdsValue(v, lv) {
			return false
		}
	}
	return true
}

func holdsValue(v, lv any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case map[string]any:
		lm, ok := lv.(map[string]any)
		return ok && holds(v, lm)
	case []any:
		ll, ok := lv.([]any)
		if !ok || len(ll) != len(v) {
			return false
		}
		for i := range v {
			if !holdsValue(v[i], ll[i]) {
				return false
			}
		}
		return true
	default:
		return sameValue(v, lv)
	}
}

// sameValue compares scalars exactly, numbers by value whatever their Go
// type (YAML gives float64 or int64, the API int64 or float64).
func sameValue(a, b any) bool {
	if af, ok := number(a); ok {
		bf, ok := number(b)
		return ok && af == bf
	}
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	}
	return false
}

// number converts a number to float64 when that is exact.
func number(x any) (float64, bool) {
	const exact = 1 << 53
	switch x := x.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0) && math.Abs(x) <= exact
	case float32:
		return number(float64(x))
	case int64:
		return float64(x), x <= exact && x >= -exact
	case int:
		return number(int64(x))
	case int32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		return number(f)
	}
	return 0, false
}
