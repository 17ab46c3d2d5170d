package rules

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The lifecycle k8s.io/api types declare (zz_generated.prerelease-lifecycle.go).
type lifecycleDeprecated interface{ APILifecycleDeprecated() (int, int) }
type lifecycleRemoved interface{ APILifecycleRemoved() (int, int) }
type lifecycleReplacement interface {
	APILifecycleReplacement() schema.GroupVersionKind
}

// KubeVersion is the major/minor Kubernetes version deprecations are judged at.
type KubeVersion struct{ Major, Minor string }

// deprecation reports an apiVersion/kind deprecated at kv with the API
// server's warning text ("x is deprecated in v1.21+, unavailable in v1.25+; use y").
func deprecation(apiVersion, kind string, kv KubeVersion) error {
	if apiVersion == "" || kind == "" {
		return nil
	}
	obj := NewBuiltin(apiVersion, kind)
	if obj == nil {
		return nil
	}
	major, err := strconv.Atoi(kv.Major)
	if err != nil {
		return err
	}
	minor, err := strconv.Atoi(kv.Minor)
	if err != nil {
		return err
	}
	dep, ok := obj.(lifecycleDeprecated)
	if !ok {
		return nil
	}
	dMajor, dMinor := dep.APILifecycleDeprecated()
	if dMajor == 0 && dMinor == 0 {
		return nil
	}
	if !(major == 0 && minor == 0) && (dMajor > major || (dMajor == major && dMinor > minor)) {
		return nil
	}
	gvk := schema.FromAPIVersionAndKind(apiVersion, kind)
	msg := fmt.Sprintf("%s %s is deprecated in v%d.%d+", gvk.GroupVersion().String(), kind, dMajor, dMinor)
	if rm, ok := obj.(lifecycleRemoved); ok {
		if rMajor, rMinor := rm.APILifecycleRemoved(); rMajor != 0 || rMinor != 0 {
			msg += fmt.Sprintf(", unavailable in v%d.%d+", rMajor, rMinor)
		}
	}
	if rp, ok := obj.(lifecycleReplacement); ok {
		if r := rp.APILifecycleReplacement(); !r.Empty() {
			msg += fmt.Sprintf("; use %s %s", r.GroupVersion().String(), r.Kind)
		}
	}
	return deprecatedAPIError(msg)
}

type deprecatedAPIError string

func (e deprecatedAPIError) Error() string { return string(e) }
