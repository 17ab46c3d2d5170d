package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/values"
)

// WatchLabel, set to "true" on a ConfigMap or Secret, makes a change of it
// reconcile the Releases reading it at once; unlabelled values sources are
// read at each reconcile (spec.interval, or a change of the Release). The
// controller caches the metadata of labelled objects only.
const WatchLabel = "lade.dev/watch"

// DefaultValuesKey is the key of a valuesFrom source read when it names none.
const DefaultValuesKey = "values.yaml"

// errInvalidValues marks values that cannot be parsed: retrying will not help.
var errInvalidValues = errors.New("invalid values")

// source is one valuesFrom object as read, for the inputs fingerprint.
type valuesSource struct {
	Kind, Name, ResourceVersion string
}

// values reads the Release's values: each valuesFrom source in order
// (namespaced Gets, nothing cached), then spec.values on top, merged as
// Helm merges -f files.
func (r *Reconciler) values(ctx context.Context, rel *v1alpha1.Release) (map[string]any, []valuesSource, error) {
	out := map[string]any{}
	var sources []valuesSource
	for i, ref := range rel.Spec.ValuesFrom {
		key := ref.Key
		if key == "" {
			key = DefaultValuesKey
		}
		field := fmt.Sprintf("spec.valuesFrom[%d]", i)
		nn := types.NamespacedName{Namespace: rel.Namespace, Name: ref.Name}
		var data []byte
		var found bool
		var rv string
		switch ref.Kind {
		case "ConfigMap":
			cm := &corev1.ConfigMap{}
			if err := r.APIReader.Get(ctx, nn, cm); err != nil {
				if apierrors.IsNotFound(err) && ref.Optional {
					sources = append(sources, valuesSource{Kind: ref.Kind, Name: ref.Name})
					continue
				}
				return nil, nil, fmt.Errorf("%s: ConfigMap %s/%s: %w", field, nn.Namespace, nn.Name, err)
			}
			rv = cm.ResourceVersion
			var s string
			s, found = cm.Data[key]
			data = []byte(s)
			if b, ok := cm.BinaryData[key]; ok && !found {
				data, found = b, true
			}
		case "Secret":
			sec := &corev1.Secret{}
			if err := r.APIReader.Get(ctx, nn, sec); err != nil {
				if apierrors.IsNotFound(err) && ref.Optional {
					sources = append(sources, valuesSource{Kind: ref.Kind, Name: ref.Name})
					continue
				}
				return nil, nil, fmt.Errorf("%s: Secret %s/%s: %w", field, nn.Namespace, nn.Name, err)
			}
			rv = sec.ResourceVersion
			data, found = sec.Data[key]
		default:
			return nil, nil, fmt.Errorf("%s.kind: %q is neither ConfigMap nor Secret: %w", field, ref.Kind, errInvalidValues)
		}
		sources = append(sources, valuesSource{Kind: ref.Kind, Name: ref.Name, ResourceVersion: rv})
		if !found {
			if ref.Optional {
				continue
			}
			return nil, nil, fmt.Errorf("%s: %s %s/%s has no key %q", field, ref.Kind, nn.Namespace, nn.Name, key)
		}
		v, err := values.LoadValues(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %s %s/%s key %q: %w: %w", field, ref.Kind, nn.Namespace, nn.Name, key, err, errInvalidValues)
		}
		out = mergeValues(out, v)
	}
	if rel.Spec.Values != nil && len(rel.Spec.Values.Raw) > 0 {
		var v map[string]any
		if err := json.Unmarshal(rel.Spec.Values.Raw, &v); err != nil {
			return nil, nil, fmt.Errorf("spec.values: %w: %w", err, errInvalidValues)
		}
		out = mergeValues(out, v)
	}
	return out, sources, nil
}

// mergeValues merges src into dst as Helm merges values files: maps merge
// key by key, anything else in src replaces dst's.
func mergeValues(dst, src map[string]any) map[string]any {
	out := maps.Clone(dst)
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(dm, sm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// fingerprint digests the inputs of a reconcile: the Release's generation,
// the chart digest and the resource versions of the values sources.
func fingerprint(generation int64, chartDigest string, sources []valuesSource) string {
	h := sha256.New()
	h.Write([]byte(strconv.FormatInt(generation, 10) + "\x00" + chartDigest + "\x00"))
	for _, s := range sources {
		h.Write([]byte(s.Kind + "/" + s.Name + "@" + s.ResourceVersion + "\x00"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
