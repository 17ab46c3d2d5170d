package values

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/lade-dev/lade/internal/parallel"
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
	return validateSchemas(newConfig(opts).log, compileSchemas(c), vals, c)
}

func validateSchemas(log logger, set *schemaSet, vals map[string]any, c *chart.Chart) error {
	v := &schemaValidator{log: log, set: set, warnedURNs: map[string]bool{}}
	if err := v.validate(c, vals); err != nil {
		return fmt.Errorf("%s%w", schemaErrorHeader, err)
	}
	return nil
}

// schemaSet holds the compiled values.schema.json of every chart in a tree.
// Compiling does not depend on values, so it runs in the background while
// values are coalesced; ready is closed when every schema is compiled.
type schemaSet struct {
	ready   chan struct{}
	byChart map[*chart.Chart]*compiledSchema
}

// compiledSchema is one chart's schema, or why it does not compile, with the
// diagnostics compiling logged, replayed when (and if) the chart is
// validated so they appear where Helm prints them.
type compiledSchema struct {
	sch  *jsonschema.Schema
	err  error
	logs []schemaLog
}

// schemaLog is a diagnostic of compiling: a debug record, or the URN a
// reference resolved permissively (warned about once per validation).
type schemaLog struct {
	msg  string
	args []any
	urn  string
}

// compileSchemas starts compiling the schema of c and of every chart below
// it, concurrently; a chart whose values are never validated (disabled, or
// no values) costs CPU but logs nothing.
func compileSchemas(c *chart.Chart) *schemaSet {
	set := &schemaSet{ready: make(chan struct{}), byChart: map[*chart.Chart]*compiledSchema{}}
	var charts []*chart.Chart
	var walk func(*chart.Chart)
	walk = func(ch *chart.Chart) {
		if ch.Schema != nil {
			charts = append(charts, ch)
			set.byChart[ch] = &compiledSchema{}
		}
		for _, d := range ch.Dependencies() {
			walk(d)
		}
	}
	walk(c)
	if len(charts) == 0 {
		close(set.ready)
		return set
	}
	go func() {
		defer close(set.ready)
		parallel.For(0, len(charts), func(i int) {
			set.byChart[charts[i]].compile(charts[i].Schema)
		})
	}()
	return set
}

// get waits for the compiled schema of ch.
func (s *schemaSet) get(ch *chart.Chart) *compiledSchema {
	<-s.ready
	return s.byChart[ch]
}

type schemaValidator struct {
	log        logger
	set        *schemaSet
	warnedURNs map[string]bool
}

// validate is Helm's ValidateAgainstSchema: c's own schema, then each
// subchart with the table of values under its name.
func (v *schemaValidator) validate(c *chart.Chart, vals map[string]any) error {
	var sb strings.Builder
	if c.Schema != nil {
		v.log.debug("chart name", "chart-name", c.Name())
		if err := v.validateSingle(vals, v.set.get(c)); err != nil {
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

// validateSingle validates vals against one compiled schema, first logging
// what compiling it logged.
func (v *schemaValidator) validateSingle(vals map[string]any, cs *compiledSchema) (reterr error) {
	for _, l := range cs.logs {
		switch {
		case l.urn == "":
			v.log.debug(l.msg, l.args...)
		case !v.warnedURNs[l.urn]:
			v.warnedURNs[l.urn] = true
			v.log.warn("unresolved URN reference ignored; using permissive schema", "urn", l.urn)
		}
	}
	if cs.err != nil {
		return cs.err
	}
	defer func() {
		if r := recover(); r != nil {
			reterr = fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	if vals == nil {
		vals = map[string]any{}
	}
	if err := cs.sch.Validate(vals); err != nil {
		var verr *jsonschema.ValidationError
		if errors.As(err, &verr) {
			sortValidationError(verr)
		}
		msg := strings.TrimPrefix(err.Error(), "jsonschema validation failed with '"+schemaURL+"#'\n")
		return errors.New(msg + "\n")
	}
	return nil
}

// compile compiles one schema document as Helm does, keeping the error.
func (cs *compiledSchema) compile(schemaJSON []byte) {
	defer func() {
		if r := recover(); r != nil {
			cs.sch, cs.err = nil, fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		cs.err = err
		return
	}
	cs.logs = append(cs.logs, schemaLog{msg: "unmarshalled JSON schema", args: []any{"schema", schemaJSON}})

	compiler := jsonschema.NewCompiler()
	compiler.UseLoader(jsonschema.SchemeURLLoader{
		"file":  refusingLoader{"a $ref to another file is not supported: only references inside values.schema.json are allowed"},
		"http":  refusingLoader{"remote $ref is not supported: lade does not fetch schemas, only references inside values.schema.json are allowed"},
		"https": refusingLoader{"remote $ref is not supported: lade does not fetch schemas, only references inside values.schema.json are allowed"},
		"urn":   urnLoader{cs},
	})
	if err := compiler.AddResource(schemaURL, doc); err != nil {
		cs.err = err
		return
	}
	cs.sch, cs.err = compiler.Compile(schemaURL)
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
// permissive schema true, noting the URN for a warning (one per URN).
type urnLoader struct{ cs *compiledSchema }

func (l urnLoader) Load(urn string) (any, error) {
	l.cs.logs = append(l.cs.logs, schemaLog{urn: urn})
	return true, nil
}
