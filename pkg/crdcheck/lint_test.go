package crdcheck

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	preserve := `
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true`
	notStructural := `
        openAPIV3Schema:
          type: object
          properties:
            spec: {description: no type}`
	for _, c := range []struct {
		name     string
		versions []string
		want     []string // "field|rejected|message part"
	}{
		{"good", []string{ver("v1", true, true, widgetSchema(nil, ""))}, nil},
		{"stored version without schema", []string{ver("v1beta1", true, false, widgetSchema(nil, "")), ver("v1", true, true, "")},
			[]string{"spec.versions[1].schema|true|storage version v1 has no schema"}},
		{"not structural", []string{ver("v1", true, true, notStructural)},
			[]string{"spec.versions[0].schema.openAPIV3Schema|true|version v1: the schema is not structural: openAPIV3Schema.properties[spec].type: Required value"}},
		{"preserve at root", []string{ver("v1", true, true, preserve)},
			[]string{"spec.versions[0].schema.openAPIV3Schema.x-kubernetes-preserve-unknown-fields|false|version v1: x-kubernetes-preserve-unknown-fields at the schema root"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs := Lint(widgetCRD(t, "Namespaced", c.versions...))
			if len(fs) != len(c.want) {
				t.Fatalf("findings %+v, want %v", fs, c.want)
			}
			for i, w := range c.want {
				parts := strings.SplitN(w, "|", 3)
				f := fs[i]
				if f.Field != parts[0] || (parts[1] == "true") != f.Rejected || !strings.Contains(f.Message, parts[2]) {
					t.Errorf("finding %+v, want %s", f, w)
				}
			}
		})
	}
}

func TestDecodeRefusesOldAPIVersion(t *testing.T) {
	_, err := Decode(object(t, "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: a.b.c}"))
	if err == nil || !strings.Contains(err.Error(), `CustomResourceDefinition "a.b.c": apiVersion "apiextensions.k8s.io/v1beta1" is not served`) {
		t.Fatalf("err %v", err)
	}
	if !IsCRD(object(t, "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition")) || IsCRD(object(t, "apiVersion: v1\nkind: CustomResourceDefinition")) {
		t.Fatal("IsCRD")
	}
}
