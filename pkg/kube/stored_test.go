package kube

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestNoMappingError(t *testing.T) {
	obj := func(apiVersion, kind string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetName("web")
		u.SetNamespace("shop")
		return u
	}
	for _, c := range []struct {
		u       *unstructured.Unstructured
		msg     string
		removed bool
	}{
		{obj("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
			`resource mapping not found for name: "web" namespace: "shop": no matches for kind "FlowSchema" in version "flowcontrol.apiserver.k8s.io/v1beta2": Kubernetes removed flowcontrol.apiserver.k8s.io/v1beta2 FlowSchema in v1.29; use flowcontrol.apiserver.k8s.io/v1 FlowSchema`, true},
		{obj("policy/v1beta1", "PodSecurityPolicy"),
			`resource mapping not found for name: "web" namespace: "shop": no matches for kind "PodSecurityPolicy" in version "policy/v1beta1": Kubernetes removed policy/v1beta1 PodSecurityPolicy in v1.25`, true},
		{obj("monitoring.coreos.com/v1", "ServiceMonitor"),
			`resource mapping not found for name: "web" namespace: "shop": no matches for kind "ServiceMonitor" in version "monitoring.coreos.com/v1": ensure CRDs are installed first`, false},
	} {
		err := noMappingError(c.u)
		if err.Error() != c.msg {
			t.Errorf("got  %s\nwant %s", err, c.msg)
		}
		if !errors.Is(err, ErrNoMapping) || errors.Is(err, ErrRemovedAPI) != c.removed {
			t.Errorf("%s: errors.Is(ErrNoMapping) %v, errors.Is(ErrRemovedAPI) %v, want true, %v",
				c.u.GetKind(), errors.Is(err, ErrNoMapping), errors.Is(err, ErrRemovedAPI), c.removed)
		}
	}
}
