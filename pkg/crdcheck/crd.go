package crdcheck

import (
	"context"
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// Kind and APIVersion identify the CustomResourceDefinitions this package checks.
const (
	Kind       = "CustomResourceDefinition"
	APIVersion = "apiextensions.k8s.io/v1"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// IsCRD reports whether the object (as decoded from a manifest) is a
// CustomResourceDefinition, of any apiextensions.k8s.io version.
func IsCRD(obj map[string]any) bool {
	kind, _ := obj["kind"].(string)
	apiVersion, _ := obj["apiVersion"].(string)
	return kind == Kind && strings.HasPrefix(apiVersion, "apiextensions.k8s.io/")
}

// Decode converts a CustomResourceDefinition decoded from a manifest (or
// read with a dynamic client) into its typed form. Only
// apiextensions.k8s.io/v1 is accepted: clusters serve no other version.
func Decode(obj map[string]any) (*apiextensionsv1.CustomResourceDefinition, error) {
	name := ""
	if md, ok := obj["metadata"].(map[string]any); ok {
		name, _ = md["name"].(string)
	}
	if av, _ := obj["apiVersion"].(string); av != APIVersion {
		return nil, fmt.Errorf("CustomResourceDefinition %q: apiVersion %q is not served by Kubernetes 1.22 and later: use %s", name, av, APIVersion)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, crd); err != nil {
		return nil, fmt.Errorf("CustomResourceDefinition %q: %w", name, err)
	}
	return crd, nil
}

// Get reads the live CustomResourceDefinition name; nil (and no error) when
// the cluster has none of that name.
func Get(ctx context.Context, client dynamic.Interface, name string) (*apiextensionsv1.CustomResourceDefinition, error) {
	u, err := client.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read CustomResourceDefinition %s: %w", name, err)
	}
	return Decode(u.Object)
}

// version returns the named version of crd, or nil.
func version(crd *apiextensionsv1.CustomResourceDefinition, name string) *apiextensionsv1.CustomResourceDefinitionVersion {
	if crd == nil {
		return nil
	}
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == name {
			return &crd.Spec.Versions[i]
		}
	}
	return nil
}

// served reports whether crd serves the version name.
func served(crd *apiextensionsv1.CustomResourceDefinition, name string) bool {
	v := version(crd, name)
	return v != nil && v.Served
}

// storageVersion returns the version crd stores objects in ("" when none is marked).
func storageVersion(crd *apiextensionsv1.CustomResourceDefinition) string {
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return v.Name
		}
	}
	return ""
}

// webhookConversion reports whether crd converts between versions with a webhook.
func webhookConversion(crd *apiextensionsv1.CustomResourceDefinition) bool {
	return crd.Spec.Conversion != nil && crd.Spec.Conversion.Strategy == apiextensionsv1.WebhookConverter
}

// schemaOf returns the OpenAPI schema of a version, or nil.
func schemaOf(crd *apiextensionsv1.CustomResourceDefinition, name string) *apiextensionsv1.JSONSchemaProps {
	if v := version(crd, name); v != nil && v.Schema != nil {
		return v.Schema.OpenAPIV3Schema
	}
	return nil
}
