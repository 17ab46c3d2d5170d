package kubeapis

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Kubernetes minor release, such as v1.25.
type Version struct{ Major, Minor int }

// String is "v1.25".
func (v Version) String() string { return fmt.Sprintf("v%d.%d", v.Major, v.Minor) }

// IsZero reports the zero Version (no release).
func (v Version) IsZero() bool { return v == Version{} }

// AtLeast reports whether v is release o or later.
func (v Version) AtLeast(o Version) bool {
	return v.Major > o.Major || (v.Major == o.Major && v.Minor >= o.Minor)
}

// ParseVersion reads "v1.25", "1.25" or "1.25.3" (a patch and a suffix such
// as "+k3s1" or "-gke.100" are ignored).
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.SplitN(t, ".", 3)
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("kubernetes version %q: want MAJOR.MINOR", s)
	}
	major, err := strconv.Atoi(parts[0])
	if err != nil {
		return Version{}, fmt.Errorf("kubernetes version %q: major %q is not a number", s, parts[0])
	}
	m := parts[1]
	if i := strings.IndexFunc(m, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		m = m[:i]
	}
	minor, err := strconv.Atoi(m)
	if err != nil {
		return Version{}, fmt.Errorf("kubernetes version %q: minor %q is not a number", s, parts[1])
	}
	return Version{major, minor}, nil
}

// API is one built-in group/version/kind that Kubernetes deprecated and removed.
type API struct {
	// APIVersion and Kind name it, as manifests do ("policy/v1beta1", "PodDisruptionBudget").
	APIVersion, Kind string
	// Deprecated is the release that deprecated it.
	Deprecated Version
	// Removed is the first release whose API server no longer serves it.
	Removed Version
	// Replacement is the apiVersion of the same kind that replaces it, ""
	// when nothing does. It may itself be removed later (see Successors).
	Replacement string
}

// String is "policy/v1beta1 PodDisruptionBudget".
func (a API) String() string { return a.APIVersion + " " + a.Kind }

// DeprecatedAt reports whether release v deprecates (or no longer serves) a.
func (a API) DeprecatedAt(v Version) bool { return !a.Deprecated.IsZero() && v.AtLeast(a.Deprecated) }

// RemovedAt reports whether release v no longer serves a.
func (a API) RemovedAt(v Version) bool { return v.AtLeast(a.Removed) }

// Message says what the API server says of a deprecated API:
// "policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+, unavailable
// in v1.25+; use policy/v1 PodDisruptionBudget".
func (a API) Message() string {
	msg := fmt.Sprintf("%s is deprecated in %s+, unavailable in %s+", a, a.Deprecated, a.Removed)
	if a.Replacement != "" {
		msg += "; use " + a.Replacement + " " + a.Kind
	}
	return msg
}

// RemovedMessage says that release v no longer serves a, and what to use
// instead: "policy/v1beta1 PodDisruptionBudget is not served by Kubernetes
// v1.33 (removed in v1.25); use policy/v1 PodDisruptionBudget".
func (a API) RemovedMessage(v Version) string {
	msg := fmt.Sprintf("%s is not served by Kubernetes %s (removed in %s)", a, v, a.Removed)
	if r := a.ReplacementAt(v); r != "" {
		msg += "; use " + r + " " + a.Kind
	}
	return msg
}

type key struct{ apiVersion, kind string }

var index = func() map[key]API {
	m := make(map[key]API, len(table))
	for _, a := range table {
		k := key{a.APIVersion, a.Kind}
		if _, dup := m[k]; dup {
			panic("kubeapis: duplicate entry " + a.String())
		}
		m[k] = a
	}
	return m
}()

// Lookup returns the entry of apiVersion/kind, if Kubernetes deprecated
// and removed it.
func Lookup(apiVersion, kind string) (API, bool) {
	a, ok := index[key{apiVersion, kind}]
	return a, ok
}

// All returns every entry, in the table's order (by group, then version).
func All() []API { return append([]API(nil), table...) }

// Successors returns the apiVersions that replace apiVersion/kind, nearest
// first, following replacements that were removed in turn
// (flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema: v1beta3, then v1).
// It is empty when the API was not removed or nothing replaces it.
func Successors(apiVersion, kind string) []string {
	var out []string
	seen := map[string]bool{apiVersion: true}
	for {
		a, ok := Lookup(apiVersion, kind)
		if !ok || a.Replacement == "" || seen[a.Replacement] {
			return out
		}
		apiVersion = a.Replacement
		seen[apiVersion] = true
		out = append(out, apiVersion)
	}
}

// ReplacementAt returns the apiVersion to use instead of a at release v: the
// nearest successor that v still serves ("" when there is none).
func (a API) ReplacementAt(v Version) string {
	for _, s := range Successors(a.APIVersion, a.Kind) {
		if next, ok := Lookup(s, a.Kind); !ok || !next.RemovedAt(v) {
			return s
		}
	}
	return ""
}
