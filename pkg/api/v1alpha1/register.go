package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and Version name this API; Kind is the Release kind.
const (
	Group   = "lade.dev"
	Version = "v1alpha1"
	Kind    = "Release"
)

// GroupVersion is lade.dev/v1alpha1.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// SchemeBuilder registers the types of this package; AddToScheme adds
// them to a runtime.Scheme (a controller's or a client's).
var (
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	AddToScheme   = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Release{}, &ReleaseList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
