package crdcheck

import (
	"fmt"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// schemaV1 is a widget's schema: spec.size (integer 1-10), spec.color
// (enum), spec.tags (a set), with the extra properties given.
func widgetSchema(required []string, extra string) string {
	req := ""
	if len(required) > 0 {
		req = "\n              required: [" + strings.Join(required, ", ") + "]"
	}
	return `
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object` + req + `
              properties:
                size: {type: integer, minimum: 1, maximum: 10}
                color: {type: string, enum: [red, blue]}
                tags:
                  type: array
                  x-kubernetes-list-type: set
                  items: {type: string}` + extra + `
            status:
              type: object
              x-kubernetes-preserve-unknown-fields: true`
}

// ver is one entry of spec.versions.
func ver(name string, served, storage bool, schema string) string {
	s := fmt.Sprintf("\n    - name: %s\n      served: %t\n      storage: %t", name, served, storage)
	if schema != "" {
		s += "\n      schema:" + schema
	}
	return s
}

// widgetCRD is widgets.example.com with the given scope and versions.
func widgetCRD(t testing.TB, scope string, versions ...string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	return decodeYAML(t, `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: `+scope+`
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:`+strings.Join(versions, ""))
}

func decodeYAML(t testing.TB, y string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(y), &obj); err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	crd, err := Decode(obj)
	if err != nil {
		t.Fatal(err)
	}
	return crd
}

// object decodes an object as a dynamic client does (integers as int64).
func object(t testing.TB, y string) map[string]any {
	t.Helper()
	js, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// CRD shortens the type in tests.
type CRD = apiextensionsv1.CustomResourceDefinition

var (
	ConversionNone    = apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
	ConversionWebhook = apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter}
)
