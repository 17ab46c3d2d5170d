package load

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
)

// The CRD's structural schema is checked with a JSON Schema validator
// rather than k8s.io/apiextensions-apiserver's: that one links CEL, the
// API server's feature gates and metrics registry into the CLI (about 3 ms
// and 2 MB more start-up for every lade command). The structural schema's
// keywords (type, properties, required, enum, pattern, minimum, lengths,
// min/maxProperties, items, default) mean the same in both; what the API
// server adds is done here by hand, in its order: null fields dropped,
// defaults filled, then validation, with unknown fields refused as
// `kubectl apply` (strict field validation) refuses them. The tests check
// that the test cluster accepts and refuses the same documents.

// crdSchema is the Release CRD's openAPIV3Schema, parsed once.
var crdSchema = sync.OnceValues(func() (*schema, error) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(v1alpha1.CRD(), &crd); err != nil {
		return nil, fmt.Errorf("the embedded Release CRD: %w", err)
	}
	var props *apiextensionsv1.JSONSchemaProps
	for _, v := range crd.Spec.Versions {
		if v.Name == v1alpha1.Version && v.Schema != nil {
			props = v.Schema.OpenAPIV3Schema
		}
	}
	if props == nil {
		return nil, fmt.Errorf("the embedded Release CRD has no %s schema", v1alpha1.Version)
	}
	doc, err := toJSONSchema(props)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	const url = "crd:releases.lade.dev#"
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("the embedded Release CRD schema: %w", err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("the embedded Release CRD schema: %w", err)
	}
	return &schema{props: props, compiled: sch}, nil
})

// celRules are the CRD's x-kubernetes-validations (CEL) rules, which the
// JSON Schema validator does not run, each with the Go check that stands in
// for it here (TestCELRulesHaveChecks keeps the list complete).
var celRules = map[string]string{
	"self.metadata.name.size() <= 53": "release.ValidateName in checkMetadata",
}

type schema struct {
	props    *apiextensionsv1.JSONSchemaProps
	compiled *jsonschema.Schema
}

// toJSONSchema turns a structural schema into a JSON Schema document that
// also refuses unknown fields: every object with properties and without
// x-kubernetes-preserve-unknown-fields gets additionalProperties false.
func toJSONSchema(props *apiextensionsv1.JSONSchemaProps) (any, error) {
	b, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
	if err != nil {
		return nil, err
	}
	var walk func(any)
	walk = func(v any) {
		m, ok := v.(map[string]any)
		if !ok {
			return
		}
		delete(m, "description") // only makes the compiled schema larger
		if p, ok := m["properties"].(map[string]any); ok {
			if m["x-kubernetes-preserve-unknown-fields"] != true && m["additionalProperties"] == nil {
				m["additionalProperties"] = false
			}
			for _, c := range p {
				walk(c)
			}
		}
		walk(m["items"])
		walk(m["additionalProperties"])
	}
	walk(doc)
	return doc, nil
}

// pruneNulls drops the fields of obj's schema whose value is null, as the
// API server does for fields not marked nullable (none in a Release), so
// `values:` with nothing after it is no error. Nulls in fields the schema
// does not describe (inside values: Helm's way to delete a default) stay.
func pruneNulls(v any, s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			p, known := s.Properties[k]
			switch {
			case !known:
			case c == nil:
				delete(v, k)
			default:
				pruneNulls(c, &p)
			}
		}
	case []any:
		if s.Items != nil {
			for _, c := range v {
				pruneNulls(c, s.Items.Schema)
			}
		}
	}
}

// applyDefaults fills the schema's defaults into obj, as the API server's
// structural defaulting does: a missing property with a default gets it,
// in objects that exist (and, in lists, in every item).
func applyDefaults(v any, s *apiextensionsv1.JSONSchemaProps) {
	if s == nil {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
			p := s.Properties[k]
			if _, ok := v[k]; !ok && p.Default != nil {
				var d any
				if err := json.Unmarshal(p.Default.Raw, &d); err == nil {
					v[k] = d
				}
			}
			if c, ok := v[k]; ok {
				applyDefaults(c, &p)
			}
		}
	case []any:
		if s.Items != nil && s.Items.Schema != nil {
			for _, c := range v {
				applyDefaults(c, s.Items.Schema)
			}
		}
	}
}

// fieldError is one schema violation: the field's path (JSON tokens) and
// what is wrong with it.
type fieldError struct {
	path []string
	msg  string
}

// validate checks obj against the CRD schema and returns every violation,
// in field order.
func (s *schema) validate(obj map[string]any) []fieldError {
	err := s.compiled.Validate(obj)
	if err == nil {
		return nil
	}
	verr, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []fieldError{{msg: err.Error()}}
	}
	var out []fieldError
	p := message.NewPrinter(language.English)
	var leaves func(*jsonschema.ValidationError)
	leaves = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				leaves(c)
			}
			return
		}
		loc := slices.Clone(e.InstanceLocation)
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, m := range k.Missing {
				out = append(out, fieldError{append(slices.Clone(loc), m), "required"})
			}
		case *kind.AdditionalProperties:
			for _, f := range k.Properties {
				out = append(out, fieldError{append(slices.Clone(loc), f), "unknown field"})
			}
		case *kind.Enum:
			want := make([]string, len(k.Want))
			for i, w := range k.Want {
				want[i] = strconv.Quote(fmt.Sprint(w))
			}
			out = append(out, fieldError{loc, fmt.Sprintf("unsupported value %s: supported values: %s", jsonText(k.Got), strings.Join(want, ", "))})
		case *kind.MinProperties, *kind.MaxProperties:
			out = append(out, fieldError{loc, "give exactly one of its fields (" + e.ErrorKind.LocalizedString(p) + ")"})
		default:
			out = append(out, fieldError{loc, e.ErrorKind.LocalizedString(p)})
		}
	}
	leaves(verr)
	slices.SortStableFunc(out, func(a, b fieldError) int { return strings.Compare(fieldPath(a.path), fieldPath(b.path)) })
	return out
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// fieldPath writes a JSON location as kubectl names fields:
// spec.valuesFrom[0].kind.
func fieldPath(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}
