package values

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/lade-dev/lade/pkg/chart"
)

// schemaURL is where each values.schema.json is registered, as in Helm, so
// relative references resolve against it.
const schemaURL = "file:///values.schema.json"

// schemaErrorHeader starts every schema validation error, as in Helm.
const schemaErrorHeader = "values don't meet the specifications of the schema(s) in the following chart(s):\n"

// ValidateSchema checks vals (the coalesced values of the root chart c)
// against the values.schema.json of c and, with the values each one sees, of
// every subchart. The error lists each failing chart and the JSON paths, in Helm's format.
func ValidateSchema(c *chart.Chart, vals map[string]any, opts ...Option) error {
	return validateSchemas(newConfig(opts), c, vals)
}

func validateSchemas(cfg config, c *chart.Chart, vals map[string]any) error {
	v := &schemaValidator{log: cfg.log, ahead: cfg.precompiled, warnedURNs: map[string]bool{}}
	if err := v.validate(c, vals); err != nil {
		return fmt.Errorf("%s%w", schemaErrorHeader, err)
	}
	return nil
}

type schemaValidator struct {
	log        logger
	ahead      *Precompiled // compiles to start from (may be nil)
	warnedURNs map[string]bool
}

// validate is Helm's ValidateAgainstSchema: c's own schema, then each
// subchart with the table of values under its name.
func (v *schemaValidator) validate(c *chart.Chart, vals map[string]any) error {
	var sb strings.Builder
	if c.Schema != nil {
		v.log.debug("chart name", "chart-name", c.Name())
		if err := v.validateSingle(vals, c.Schema); err != nil {
			fmt.Fprintf(&sb, "%s:\n", c.Name())
			sb.WriteString(err.Error())
		}
	}
	v.log.debug("number of dependencies in the chart", "chart", c.Name(), "dependencies", len(c.Dependencies()))
	for _, sub := range c.Dependencies() {
		raw, ok := vals[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		subVals, ok := raw.(map[string]any)
		if !ok {
			fmt.Fprintf(&sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		if err := v.validate(sub, subVals); err != nil {
			sb.WriteString(err.Error())
		}
	}
	if sb.Len() > 0 {
		return errors.New(sb.String())
	}
	return nil
}

// validateSingle validates vals against one schema document.
func (v *schemaValidator) validateSingle(vals map[string]any, schemaJSON []byte) (reterr error) {
	defer func() {
		if r := recover(); r != nil {
			reterr = schemaPanic(r)
		}
	}()
	p := v.ahead.take(schemaJSON, v.log)
	if p == nil {
		p = v.prepare(schemaJSON)
	}
	// Only a success is taken from the fast road; anything else is
	// decided, and reported, on Helm's.
	if p.fast != nil && p.fast.Validate(orEmpty(vals)) == nil {
		return nil
	}
	sch, err := p.helm()
	if err != nil {
		return err
	}
	if err := sch.Validate(orEmpty(vals)); err != nil {
		var verr *jsonschema.ValidationError
		if errors.As(err, &verr) {
			sortValidationError(verr)
		}
		msg := strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaURL+"#'\n")
		return errors.New(msg + "\n")
	}
	return nil
}

// preparedSchema is a schema document compiled for validation.
type preparedSchema struct {
	// fast is the document compiled on the $defs-as-definitions road
	// (defsAsDefinitions), when that applies and compiled.
	fast *jsonschema.Schema
	// helm compiles the document as Helm does (once).
	helm func() (*jsonschema.Schema, error)
}

// failedSchema is a document that could not be prepared.
func failedSchema(err error) *preparedSchema {
	return &preparedSchema{helm: func() (*jsonschema.Schema, error) { return nil, err }}
}

// schemaPanic is the error for a panic of the schema library.
func schemaPanic(r any) error { return fmt.Errorf("unable to validate schema: %s", r) }

// prepare compiles a schema document: on Helm's road, or on the faster one
// only (Helm's is then compiled if the values fail on the fast one).
func (v *schemaValidator) prepare(schemaJSON []byte) (p *preparedSchema) {
	defer func() {
		if r := recover(); r != nil {
			p = failedSchema(schemaPanic(r))
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return failedSchema(err)
	}
	v.log.debug("unmarshalled JSON schema", "schema", schemaJSON)
	if defsAsDefinitions(doc) {
		p = &preparedSchema{helm: sync.OnceValues(func() (*jsonschema.Schema, error) {
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
			if err != nil {
				return nil, err
			}
			return v.compile(doc)
		})}
		if sch, err := v.compile(doc); err == nil {
			p.fast = sch
		}
		return p
	}
	sch, err := v.compile(doc)
	return &preparedSchema{helm: func() (*jsonschema.Schema, error) { return sch, err }}
}

// Precompiled are values.schema.json compiles started ahead of the
// validations that use them (Start), by schema text, for a program that
// knows the schema before it validates (lade compiles the schema of the
// chart it loads ahead while the process initialises). A validation given
// them (WithPrecompiled) starts from the result. The zero value holds no
// compiles; so does a nil *Precompiled. Safe for concurrent use.
type Precompiled struct {
	mu       sync.Mutex
	compiles map[string]*aheadSchema
}

type aheadSchema struct {
	done chan struct{}
	p    *preparedSchema
	held heldLog
}

// Start starts compiling schemaJSON in the background. What the compile
// logs is logged by the validation that takes it, with its logger. Each
// compile serves one validation (a second Start for the same text before
// then does nothing); until then the result is kept, so long-lived
// callers should only start compiles they will use.
func (pc *Precompiled) Start(schemaJSON []byte) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if _, started := pc.compiles[string(schemaJSON)]; started {
		return
	}
	if pc.compiles == nil {
		pc.compiles = map[string]*aheadSchema{}
	}
	a := &aheadSchema{done: make(chan struct{})}
	pc.compiles[string(schemaJSON)] = a
	v := &schemaValidator{log: logger{held: &a.held}, warnedURNs: map[string]bool{}}
	go func() {
		defer close(a.done)
		a.p = v.prepare(schemaJSON)
	}()
}

// take returns the compile started for schemaJSON, once it is over, having
// logged what it logged with log; nil if there is none.
func (pc *Precompiled) take(schemaJSON []byte, log logger) *preparedSchema {
	if pc == nil {
		return nil
	}
	pc.mu.Lock()
	a, ok := pc.compiles[string(schemaJSON)]
	delete(pc.compiles, string(schemaJSON))
	pc.mu.Unlock()
	if !ok {
		return nil
	}
	<-a.done
	a.held.replayTo(log)
	return a.p
}

func orEmpty(vals map[string]any) map[string]any {
	if vals == nil {
		return map[string]any{}
	}
	return vals
}

// compile compiles a schema document as Helm does.
func (v *schemaValidator) compile(doc any) (*jsonschema.Schema, error) {
	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(jsonschema.SchemeURLLoader{
		"file":  refusingLoader{"a $ref to another file is not supported: only references inside values.schema.json are allowed"},
		"http":  refusingLoader{"remote $ref is not supported: lade does not fetch schemas, only references inside values.schema.json are allowed"},
		"https": refusingLoader{"remote $ref is not supported: lade does not fetch schemas, only references inside values.schema.json are allowed"},
		"urn":   urnLoader{v},
	})
	if err := compiler.AddResource(schemaURL, doc); err != nil {
		return nil, err
	}
	return compiler.Compile(schemaURL)
}

// defsAsDefinitions moves the subschemas of a draft-06/07 schema kept under
// `$defs` (a 2019-09 keyword; cert-manager's generated schemas do this) to
// `definitions`, rewriting the references to them, and reports whether it
// did. Under `$defs` the library only finds each subschema through a
// reference, and processing each one copies all it knows of the document:
// 60% of compiling cert-manager's schema. The result compiles to the same
// schemas, except that every `definitions` member is checked against the
// metaschema, not just the referenced ones, so a schema can only fail
// where Helm's passes: callers take only successes from it. It gives up
// (false, doc possibly changed) on anything it cannot vouch for: `$id`s,
// other references into `$defs`, an existing `definitions`.
func defsAsDefinitions(doc any) bool {
	root, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	// The metaschema URLs the library reads as draft 6 or 7: either scheme,
	// with or without an empty fragment.
	draft, _ := root["$schema"].(string)
	draft = strings.TrimSuffix(draft, "#")
	if d, ok := strings.CutPrefix(draft, "http://"); ok {
		draft = d
	} else {
		draft = strings.TrimPrefix(draft, "https://")
	}
	if draft != "json-schema.org/draft-07/schema" && draft != "json-schema.org/draft-06/schema" {
		return false
	}
	defs, ok := root["$defs"].(map[string]any)
	if _, taken := root["definitions"]; !ok || taken {
		return false
	}
	delete(root, "$defs")
	root["definitions"] = defs
	return rewriteDefsRefs(root)
}

// rewriteDefsRefs rewrites "#/$defs/..." references in the draft-06/07
// schema s and its subschemas to "#/definitions/...".
func rewriteDefsRefs(s any) bool {
	m, ok := s.(map[string]any)
	if !ok {
		return true // a boolean schema
	}
	if _, ok := m["$id"]; ok {
		return false
	}
	if ref, ok := m["$ref"].(string); ok {
		if rest, found := strings.CutPrefix(ref, "#/$defs/"); found {
			m["$ref"] = "#/definitions/" + rest
		} else if strings.Contains(ref, "$defs") {
			return false
		}
	}
	for _, k := range []string{"additionalProperties", "additionalItems", "contains", "propertyNames", "if", "then", "else", "not"} {
		if x, ok := m[k]; ok && !rewriteDefsRefs(x) {
			return false
		}
	}
	var subs []any
	switch items := m["items"].(type) {
	case []any:
		subs = append(subs, items...)
	case map[string]any:
		subs = append(subs, items)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if l, ok := m[k].([]any); ok {
			subs = append(subs, l...)
		}
	}
	for _, k := range []string{"properties", "patternProperties", "definitions", "dependencies"} {
		if mm, ok := m[k].(map[string]any); ok {
			for _, x := range mm {
				if _, isList := x.([]any); !isList { // dependencies may list property names
					subs = append(subs, x)
				}
			}
		}
	}
	for _, x := range subs {
		if !rewriteDefsRefs(x) {
			return false
		}
	}
	return true
}

// sortValidationError puts the parts of a validation error that Helm lists
// in Go map order (so differently from run to run) in a fixed order: the
// names of additional properties sorted, and each run of errors about
// members of an object or array ordered by member name (or index).
func sortValidationError(e *jsonschema.ValidationError) {
	if ap, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
		sort.Strings(ap.Properties)
	}
	depth := len(e.InstanceLocation)
	member := func(c *jsonschema.ValidationError) (string, bool) {
		if len(c.InstanceLocation) > depth {
			return c.InstanceLocation[depth], true
		}
		return "", false
	}
	for i := 0; i < len(e.Causes); {
		j := i
		for j < len(e.Causes) {
			if _, ok := member(e.Causes[j]); !ok {
				break
			}
			j++
		}
		if j > i {
			run := e.Causes[i:j]
			sort.SliceStable(run, func(a, b int) bool {
				ma, _ := member(run[a])
				mb, _ := member(run[b])
				return lessMember(ma, mb)
			})
			i = j
			continue
		}
		i++
	}
	for _, c := range e.Causes {
		sortValidationError(c)
	}
}

// lessMember orders member names, numerically when both are indexes.
func lessMember(a, b string) bool {
	na, errA := strconv.Atoi(a)
	nb, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return na < nb
	}
	return a < b
}

// refusingLoader fails every load: lade resolves $ref only within the schema itself.
type refusingLoader struct{ reason string }

func (l refusingLoader) Load(string) (any, error) { return nil, errors.New(l.reason) }

// urnLoader resolves urn: references as Helm does without a resolver: to the
// permissive schema true, with one warning per URN.
type urnLoader struct{ v *schemaValidator }

func (l urnLoader) Load(urn string) (any, error) {
	if !l.v.warnedURNs[urn] {
		l.v.warnedURNs[urn] = true
		l.v.log.warn("unresolved URN reference ignored; using permissive schema", "urn", urn)
	}
	return true, nil
}
