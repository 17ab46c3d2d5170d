package load

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// Every CEL rule of the CRD has a Go check in this package: a new rule
// fails this test until Load checks it too.
func TestCELRulesHaveChecks(t *testing.T) {
	s, err := crdSchema()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	var walk func(path string, p *apiextensionsv1.JSONSchemaProps)
	walk = func(path string, p *apiextensionsv1.JSONSchemaProps) {
		for _, r := range p.XValidations {
			seen++
			if _, ok := celRules[r.Rule]; !ok {
				t.Errorf("%s: CEL rule %q has no check in pkg/fleet/load (add one and list it in celRules)", path, r.Rule)
			}
		}
		for k, c := range p.Properties {
			walk(path+"."+k, &c)
		}
		if p.Items != nil && p.Items.Schema != nil {
			walk(path+"[]", p.Items.Schema)
		}
	}
	walk("", s.props)
	if seen != len(celRules) {
		t.Errorf("celRules lists %d rules, the CRD has %d", len(celRules), seen)
	}
}
