package crdcheck

import (
	"context"
	"fmt"

	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
)

// validator validates the objects of one version of a definition as the API
// server validates them on create (customresource strategy): the OpenAPI
// schema, embedded resources, list-type invariants, then, unless an error
// blocks them, the CEL rules. It is safe for concurrent use.
type validator struct {
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator // nil without rules
}

// ErrNotStructural is wrapped by the errors of schemas the API server would
// not accept as structural.
var ErrNotStructural = fmt.Errorf("schema is not structural")

// newValidator builds the validator of a version's schema (nil: no schema,
// every object is valid). An error says why the schema is not structural.
func newValidator(props *apiextensionsv1.JSONSchemaProps) (*validator, error) {
	if props == nil {
		return nil, nil
	}
	s, internal, err := structural(props)
	if err != nil {
		return nil, err
	}
	sv, _, err := apiservervalidation.NewSchemaValidator(internal)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotStructural, err)
	}
	return &validator{
		structural: s,
		schema:     sv,
		cel:        cel.NewValidator(s, true, celconfig.PerCallLimit),
	}, nil
}

// structural converts a v1 schema to the API server's structural form, as
// the server does before serving it (defaults pruned), checking that it is
// structural.
func structural(props *apiextensionsv1.JSONSchemaProps) (*structuralschema.Structural, *apiextensionsinternal.JSONSchemaProps, error) {
	internal := &apiextensionsinternal.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(props, internal, nil); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotStructural, err)
	}
	s, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotStructural, err)
	}
	if errs := structuralschema.ValidateStructural(field.NewPath("openAPIV3Schema"), s); len(errs) > 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotStructural, errs.ToAggregate())
	}
	s = s.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(s); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNotStructural, err)
	}
	return s, internal, nil
}

// validate returns obj's errors. obj is not changed.
func (v *validator) validate(ctx context.Context, obj map[string]any) field.ErrorList {
	errs := apiservervalidation.ValidateCustomResource(nil, obj, v.schema)
	errs = append(errs, objectmeta.Validate(ctx, nil, obj, v.structural, false)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	if v.cel != nil && !blocking(errs) {
		celErrs, _ := v.cel.Validate(ctx, nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return errs
}

// prune removes from obj the fields the schema does not have, as the API
// server does when it reads an object, and returns their paths.
func (v *validator) prune(obj map[string]any) []string {
	return pruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
}

// blocking reports an error after which the API server does not evaluate
// CEL rules (the object's shape is wrong).
func blocking(errs field.ErrorList) bool {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
