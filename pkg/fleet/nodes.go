package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/fleet/load"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/release"
	"github.com/lade-dev/lade/pkg/values"
)

// ChartLoader fetches the chart a Release names (spec.chart: ref, version
// constraint, digest pin) and loads it.
type ChartLoader func(ctx context.Context, ref, version, digest string) (*chart.Chart, error)

// Sources are where the releases of a loaded fleet get their charts and
// values from.
type Sources struct {
	Chart ChartLoader
	// Kube reads spec.valuesFrom (ConfigMaps, Secrets) when KubeValues
	// allows it; without, a Release with valuesFrom fails to plan.
	Kube       *kube.Client
	KubeValues bool
}

// FromLoad turns a loaded fleet into the nodes to plan, in its order,
// leaving out suspended Releases, and returns the keys of every Release
// (suspended ones included: they are still members, never pruned).
func FromLoad(f *load.Fleet, s Sources) (nodes []*Node, members []Key) {
	for _, r := range f.Releases {
		k := Key{Namespace: r.Namespace, Name: r.Name}
		members = append(members, k)
		if r.Spec.Suspend {
			continue
		}
		n := &Node{Key: k}
		for _, d := range r.Dependencies() {
			n.DependsOn = append(n.DependsOn, Key{Namespace: d.Namespace, Name: d.Name})
		}
		n.Options = func(ctx context.Context) (release.UpgradeOptions, error) {
			o, err := s.options(ctx, r)
			if err != nil {
				return o, fmt.Errorf("%s: %w", r.Source, err)
			}
			return o, nil
		}
		nodes = append(nodes, n)
	}
	return nodes, members
}

// options are the upgrade options a Release asks for.
func (s Sources) options(ctx context.Context, r *load.Release) (release.UpgradeOptions, error) {
	sp := &r.Spec
	o := SpecOptions(r.Name, sp)
	ch, err := s.Chart(ctx, sp.Chart.Ref, sp.Chart.Version, sp.Chart.Digest)
	if err != nil {
		return o, fmt.Errorf("spec.chart: %w", err)
	}
	vals, err := s.values(ctx, r)
	if err != nil {
		return o, err
	}
	ov, err := releaseOverlay(sp.Overlay)
	if err != nil {
		return o, fmt.Errorf("spec.overlay: %w", err)
	}
	o.Chart, o.Values, o.Overlay = ch, vals, ov
	return o, nil
}

// SpecOptions turns what a Release spec says of the operation into an
// upgrade --install of release name: CRD policy, namespace creation, wait
// and timeout (5m), rollback on failure, ownership, history (10). The
// chart, values and overlay are left to the caller (lade apply reads
// files, the controller refuses them). Both lade apply and the
// controller use it, so a Release means the same to both.
func SpecOptions(name string, sp *v1alpha1.ReleaseSpec) release.UpgradeOptions {
	var o release.UpgradeOptions
	o.Name, o.Install = name, true
	o.CreateNamespace = sp.CreateNamespace
	o.CRDs = release.CRDsCreate
	if sp.CRDs != "" {
		o.CRDs = release.CRDPolicy(sp.CRDs)
	}
	o.Wait = sp.Wait == nil || *sp.Wait
	o.Timeout = duration(sp.Timeout, 5*time.Minute)
	o.Atomic, o.TakeOwnership = sp.RollbackOnFailure, sp.TakeOwnership
	if o.Atomic {
		o.Wait = true
	}
	o.HistoryMax = 10
	if sp.MaxHistory != nil {
		o.HistoryMax = int(*sp.MaxHistory)
	}
	return o
}

func duration(d *metav1.Duration, def time.Duration) time.Duration {
	if d == nil || d.Duration <= 0 {
		return def
	}
	return d.Duration
}

// values merges, later winning as -f files do: spec.valuesFrom in order,
// spec.valuesFiles in order, then spec.values.
func (s Sources) values(ctx context.Context, r *load.Release) (map[string]any, error) {
	sp := &r.Spec
	var docs []string
	for i, ref := range sp.ValuesFrom {
		if !s.KubeValues || s.Kube == nil {
			return nil, fmt.Errorf("spec.valuesFrom[%d]: reading %s %s/%s from the cluster needs --kube-values", i, ref.Kind, r.Namespace, ref.Name)
		}
		data, err := s.kubeValues(ctx, r.Namespace, ref)
		if err != nil {
			return nil, fmt.Errorf("spec.valuesFrom[%d]: %w", i, err)
		}
		if data == nil {
			continue
		}
		m, err := values.LoadValues(data)
		if err != nil {
			return nil, fmt.Errorf("spec.valuesFrom[%d]: %s %s key %s: %w", i, ref.Kind, ref.Name, ref.Key, err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		docs = append(docs, string(b))
	}
	files, err := (&values.Options{ValueFiles: sp.ValuesFiles}).MergeValues()
	if err != nil {
		return nil, fmt.Errorf("spec.valuesFiles: %w", err)
	}
	b, err := json.Marshal(files)
	if err != nil {
		return nil, err
	}
	docs = append(docs, string(b))
	if sp.Values != nil && len(sp.Values.Raw) > 0 {
		docs = append(docs, string(sp.Values.Raw))
	}
	vals, err := (&values.Options{JSONValues: docs}).MergeValues()
	if err != nil {
		return nil, fmt.Errorf("spec.values: %w", err)
	}
	return vals, nil
}

// kubeValues reads the values document a valuesFrom names; nil when it
// is optional and missing.
func (s Sources) kubeValues(ctx context.Context, ns string, ref v1alpha1.ValuesReference) ([]byte, error) {
	key := ref.Key
	if key == "" {
		key = "values.yaml"
	}
	var data []byte
	found := false
	switch ref.Kind {
	case "ConfigMap":
		cm, err := s.Kube.Clientset.CoreV1().ConfigMaps(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err == nil {
			var v string
			v, found = cm.Data[key]
			data = []byte(v)
		} else if !apierrors.IsNotFound(err) {
			return nil, err
		}
	case "Secret":
		sec, err := s.Kube.Clientset.CoreV1().Secrets(ns).Get(ctx, ref.Name, metav1.GetOptions{})
		if err == nil {
			data, found = sec.Data[key]
		} else if !apierrors.IsNotFound(err) {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("kind %q: must be ConfigMap or Secret", ref.Kind)
	}
	if !found {
		if ref.Optional {
			return nil, nil
		}
		return nil, fmt.Errorf("%s %s/%s has no key %q", ref.Kind, ns, ref.Name, key)
	}
	return data, nil
}

// releaseOverlay loads spec.overlay: a kustomization directory, or an
// inline kustomization.
func releaseOverlay(ov *v1alpha1.Overlay) (*release.Overlay, error) {
	switch {
	case ov == nil:
		return nil, nil
	case ov.Path != "":
		o, err := overlay.Load(ov.Path)
		if err != nil {
			return nil, err
		}
		rec := release.NewOverlay(o, false)
		rec.Dir = ov.Path
		return rec, nil
	case ov.Inline != nil:
		data, err := yaml.JSONToYAML(ov.Inline.Raw)
		if err != nil {
			return nil, fmt.Errorf("inline: %w", err)
		}
		return release.NewOverlay(&overlay.Overlay{Files: map[string][]byte{"kustomization.yaml": data}}, false), nil
	}
	return nil, nil
}
