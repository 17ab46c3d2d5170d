package common

import (
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// HelmVersion is the Helm release whose behaviour lade matches; charts see it
// as .Capabilities.HelmVersion.Version.
const HelmVersion = "v4.3.1"

// DefaultKubeVersion is the Kubernetes version templates see when no cluster
// or --kube-version says otherwise (Helm derives it from its client-go: v1.37).
const DefaultKubeVersion = "v1.37.0"

// defaultAPIVersions are the group/versions Helm's client-go scheme knows, in
// Helm's order; .Capabilities.APIVersions starts from them in client-only mode.
var defaultAPIVersions = []string{
	"v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1",
	"admissionregistration.k8s.io/v1beta1", "internal.apiserver.k8s.io/v1alpha1", "apps/v1",
	"apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1", "authentication.k8s.io/v1alpha1",
	"authentication.k8s.io/v1beta1", "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1",
	"autoscaling/v1", "autoscaling/v2", "batch/v1", "batch/v1beta1", "certificates.k8s.io/v1",
	"certificates.k8s.io/v1beta1", "certificates.k8s.io/v1alpha1", "coordination.k8s.io/v1alpha2",
	"coordination.k8s.io/v1beta1", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
	"discovery.k8s.io/v1beta1", "events.k8s.io/v1", "events.k8s.io/v1beta1", "extensions/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1",
	"flowcontrol.apiserver.k8s.io/v1beta2", "flowcontrol.apiserver.k8s.io/v1beta3",
	"lifecycle.k8s.io/v1alpha1", "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "node.k8s.io/v1",
	"node.k8s.io/v1alpha1", "node.k8s.io/v1beta1", "policy/v1", "policy/v1beta1",
	"rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
	"rbac.authorization.k8s.io/v1alpha1", "resource.k8s.io/v1", "resource.k8s.io/v1beta2",
	"resource.k8s.io/v1beta1", "resource.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha3",
	"scheduling.k8s.io/v1beta1", "scheduling.k8s.io/v1", "storage.k8s.io/v1beta1", "storage.k8s.io/v1",
	"storage.k8s.io/v1alpha1", "storagemigration.k8s.io/v1", "storagemigration.k8s.io/v1beta1",
	"apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1",
}

// Capabilities is the .Capabilities object of templates, shaped as Helm's.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion BuildInfo
}

// KubeVersion is .Capabilities.KubeVersion.
type KubeVersion struct {
	Version           string // full version as given, e.g. v1.33.4-gke.1245000
	normalizedVersion string // v1.33.4, used for constraint checks
	Major             string
	Minor             string
}

// String returns the normalised version (vMAJOR.MINOR.PATCH).
func (kv *KubeVersion) String() string {
	if kv.normalizedVersion != "" {
		return kv.normalizedVersion
	}
	return kv.Version
}

// GitVersion returns the full version string.
func (kv *KubeVersion) GitVersion() string { return kv.Version }

// VersionSet is the list behind .Capabilities.APIVersions.
type VersionSet []string

// Has reports whether the set holds apiVersion ("apps/v1" or "apps/v1/Deployment").
func (v VersionSet) Has(apiVersion string) bool { return slices.Contains(v, apiVersion) }

// BuildInfo is .Capabilities.HelmVersion.
type BuildInfo struct {
	Version           string `json:"version,omitempty"`
	GitCommit         string `json:"git_commit,omitempty"`
	GitTreeState      string `json:"git_tree_state,omitempty"`
	GoVersion         string `json:"go_version,omitempty"`
	KubeClientVersion string `json:"kube_client_version"`
}

var genericVersion = regexp.MustCompile(`^v?([0-9]+(?:\.[0-9]+)*)(.*)$`)

// ParseKubeVersion parses a Kubernetes version such as "1.33", "v1.33.0" or
// "v1.33.4-gke.1" the way Helm's --kube-version does.
func ParseKubeVersion(version string) (*KubeVersion, error) {
	m := genericVersion.FindStringSubmatch(strings.TrimSpace(version))
	if m == nil {
		return nil, fmt.Errorf("could not parse %q as version", version)
	}
	parts := strings.Split(m[1], ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("illegal version string %q", version)
	}
	nums := make([]string, len(parts))
	for i, p := range parts {
		if len(p) > 1 && p[0] == '0' {
			return nil, fmt.Errorf("illegal zero-prefixed version component %q in %q", p, version)
		}
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("illegal version string %q: %w", version, err)
		}
		nums[i] = strconv.FormatUint(n, 10)
	}
	git := version
	if !strings.HasPrefix(version, "v") {
		git = "v" + version
	}
	return &KubeVersion{
		Version:           git,
		normalizedVersion: "v" + strings.Join(nums, "."),
		Major:             nums[0],
		Minor:             nums[1],
	}, nil
}

// DefaultCapabilities returns client-only capabilities as `helm template` sees them:
// Kubernetes v1.37.0, Helm's built-in API versions plus extra, and Helm v4.3.1.
func DefaultCapabilities(kube *KubeVersion, extraAPIVersions ...string) *Capabilities {
	kv, _ := ParseKubeVersion(DefaultKubeVersion)
	if kube != nil {
		kv = kube
	}
	apis := make(VersionSet, 0, len(defaultAPIVersions)+len(extraAPIVersions))
	apis = append(apis, defaultAPIVersions...)
	apis = append(apis, extraAPIVersions...)
	return &Capabilities{
		KubeVersion: *kv,
		APIVersions: apis,
		HelmVersion: BuildInfo{
			Version:           HelmVersion,
			GitTreeState:      "clean",
			GoVersion:         runtime.Version(),
			KubeClientVersion: "v1.37",
		},
	}
}
