package values

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
)

// TestSchemaValidation covers values.schema.json checks of a chart and its
// subchart. Error texts are Helm v4.3.1's (checked with the oracle harness);
// where Helm lists sibling errors in random (Go map) order, lade sorts them.
func TestSchemaValidation(t *testing.T) {
	runChartCases(t, []chartCase{
		{name: "valid", want: `{"child": {"enabled": true, "global": {"env": "prod"}, "size": float64(3)}, "image": {"repository": "nginx", "tag": "latest"}, "ports": [float64(80)], "replicas": float64(1)}`},
		{name: "wrong type", opts: set("replicas=abc"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/replicas': got string, want integer
`},
		{name: "minimum", opts: set("replicas=0"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/replicas': minimum: got 0, want 1
`},
		{name: "float for integer", opts: Options{JSONValues: []string{"replicas=1.5"}}, err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/replicas': got number, want integer
`},
		{name: "integral float is an integer", opts: Options{JSONValues: []string{"replicas=2.0"}}, want: `{"child": {"enabled": true, "global": {"env": "prod"}, "size": float64(3)}, "image": {"repository": "nginx", "tag": "latest"}, "ports": [float64(80)], "replicas": float64(2)}`},
		{name: "additional property under a ref", opts: set("image.extra=1"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/image': additional properties 'extra' not allowed
`},
		{name: "null deletes a required key", opts: set("image=null"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '': missing property 'image'
`},
		{name: "ref relative to the same document", opts: set("ports={80,70000}"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/ports/1': maximum: got 70,000, want 65,535
`},
		{name: "enum", opts: set("mode=c"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/mode': value must be one of 'a', 'b'
`},
		{name: "several errors in one chart", opts: set("replicas=abc,image.repository=,mode=c"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/image/repository': minLength: got 0, want 1
- at '/mode': value must be one of 'a', 'b'
- at '/replicas': got string, want integer
`},
		{name: "subchart errors", opts: set("child.size=11,global.env=test,child.extra=1"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
child:
- at '/global/env': 'test' does not match pattern '^(prod|dev)$'
- at '/size': maximum: got 11, want 10
- at '': additional properties 'extra' not allowed
`},
		{name: "root and subchart errors", opts: set("replicas=0,child.size=abc"), err: `values don't meet the specifications of the schema(s) in the following chart(s):
schema:
- at '/replicas': minimum: got 0, want 1
child:
- at '/size': got string, want number
`},
		{name: "disabled subchart is not validated", opts: set("child.enabled=false,child.size=abc"), want: `{"child": {"enabled": false, "size": "abc"}, "image": {"repository": "nginx", "tag": "latest"}, "ports": [float64(80)], "replicas": float64(1)}`},
		{name: "skip validation", opts: set("replicas=abc,child.size=abc"), skip: true, want: `{"child": {"enabled": true, "global": {"env": "prod"}, "size": "abc"}, "image": {"repository": "nginx", "tag": "latest"}, "ports": [float64(80)], "replicas": "abc"}`},
	})
}

// TestSchemaRefs covers $ref resolution: references inside the document
// work; other files and remote documents are refused (Helm fetches them,
// lade deliberately does not); urn: references are permissive, as in Helm.
const defs07 = `{"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "#/$defs/root", "$defs": {
	"root": {"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}, "b": {"type": "array", "items": {"$ref": "#/$defs/b"}}}, "additionalProperties": false},
	"a": {"type": "string"}, "b": {"type": "integer", "minimum": 1}, "unused": {"type": 5}}}`

func TestSchemaRefs(t *testing.T) {
	const header = "values don't meet the specifications of the schema(s) in the following chart(s):\n"
	tests := []struct {
		name   string
		schema string
		vals   map[string]any
		err    string // substring of the error; "" for none
		exact  string // or the whole error
		logs   []string
	}{
		{
			name:   "fragment ref",
			schema: `{"properties": {"a": {"$ref": "#/definitions/s"}}, "definitions": {"s": {"type": "string"}}}`,
			vals:   map[string]any{"a": int64(1)},
			exact:  header + "refs:\n- at '/a': got number, want string\n",
		},
		{
			name:   "relative ref to the same document",
			schema: `{"properties": {"a": {"$ref": "values.schema.json#/definitions/s"}}, "definitions": {"s": {"type": "string"}}}`,
			vals:   map[string]any{"a": "ok"},
		},
		{
			name:   "ref to an $id inside the document",
			schema: `{"$id": "https://example.com/root.json", "properties": {"a": {"$ref": "item.json"}}, "$defs": {"i": {"$id": "item.json", "type": "boolean"}}}`,
			vals:   map[string]any{"a": "x"},
			exact:  header + "refs:\n- at '/a': got string, want boolean\n",
		},
		{
			name:   "remote ref refused",
			schema: `{"properties": {"a": {"$ref": "https://example.com/schemas/a.json"}}}`,
			vals:   map[string]any{"a": 1},
			err:    "refs:\nfailing loading \"https://example.com/schemas/a.json\": remote $ref is not supported",
		},
		{
			name:   "http ref refused",
			schema: `{"$ref": "http://example.com/s.json#/x"}`,
			vals:   map[string]any{},
			err:    `failing loading "http://example.com/s.json": remote $ref is not supported`,
		},
		{
			name:   "remote base makes relative refs remote",
			schema: `{"$id": "https://example.com/root.json", "properties": {"a": {"$ref": "other.json"}}}`,
			vals:   map[string]any{},
			err:    `failing loading "https://example.com/other.json": remote $ref is not supported`,
		},
		{
			name:   "file ref refused",
			schema: `{"properties": {"a": {"$ref": "other.schema.json"}}}`,
			vals:   map[string]any{},
			err:    `failing loading "file:///other.schema.json": a $ref to another file is not supported`,
		},
		{
			name:   "absolute file ref refused",
			schema: `{"properties": {"a": {"$ref": "file:///etc/passwd"}}}`,
			vals:   map[string]any{},
			err:    `failing loading "file:///etc/passwd": a $ref to another file is not supported`,
		},
		{
			name:   "unknown scheme",
			schema: `{"$ref": "ftp://example.com/s.json"}`,
			vals:   map[string]any{},
			err:    `no URLLoader registered for "ftp://example.com/s.json"`,
		},
		{
			name:   "urn ref is permissive",
			schema: `{"properties": {"a": {"$ref": "urn:example:thing"}, "b": {"$ref": "urn:example:thing"}}}`,
			vals:   map[string]any{"a": 1},
			logs:   []string{`level=WARN msg="unresolved URN reference ignored; using permissive schema" urn=urn:example:thing`},
		},
		{
			name:   "meta-schema refs are built in",
			schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"s": {"$ref": "http://json-schema.org/draft-07/schema#"}}}`,
			vals:   map[string]any{"s": map[string]any{"type": 5}},
			err:    "refs:\n- at '/s/type': 'anyOf' failed\n  - at '/s/type': value must be one of",
		},
		// Draft-07 schemas keeping subschemas under $defs (cert-manager's)
		// compile by a faster road; results and errors are Helm's
		// (texts from Helm v4.3.1 on the same schemas).
		{
			name:   "draft-07 $defs: valid values, an unused invalid member",
			schema: defs07,
			vals:   map[string]any{"a": "x", "b": []any{int64(1), int64(2)}},
		},
		{
			name:   "draft-07 $defs: invalid values",
			schema: defs07,
			vals:   map[string]any{"a": int64(1), "b": []any{int64(0), int64(2)}, "c": int64(1)},
			exact: header + "refs:\n- at '': validation failed\n  - at '/a': got number, want string\n" +
				"  - at '/b/0': minimum: got 0, want 1\n  - at '': additional properties 'c' not allowed\n",
		},
		{
			name:   "draft-07 $defs: a referenced member fails the metaschema",
			schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"a": {"$ref": "#/$defs/bad"}}, "$defs": {"bad": {"type": 5}}}`,
			vals:   map[string]any{"a": "x"},
			err: "refs:\n\"file:///values.schema.json#/$defs/bad\" is not valid against metaschema: jsonschema validation failed with 'http://json-schema.org/draft-07/schema#'\n" +
				"- at '/type': 'anyOf' failed\n",
		},
		{
			name:   "draft-07 $defs: urn ref warns once",
			schema: `{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"a": {"$ref": "#/$defs/u"}, "b": {"$ref": "#/$defs/bad"}}, "$defs": {"u": {"$ref": "urn:example:x"}, "bad": {"type": "string"}}}`,
			vals:   map[string]any{"a": "x", "b": int64(1)},
			exact:  header + "refs:\n- at '/b': got number, want string\n",
			logs:   []string{`level=WARN msg="unresolved URN reference ignored; using permissive schema" urn=urn:example:x`},
		},
		{
			name:   "invalid JSON",
			schema: `{"type": `,
			vals:   map[string]any{},
			exact:  header + "refs:\nunexpected EOF",
		},
		{
			name:   "empty schema file",
			schema: ``,
			vals:   map[string]any{},
			exact:  header + "refs:\nEOF",
		},
	}
	// Each case also runs on a compile started ahead (Precompiled): the
	// same error and the same logs, given to the validation's logger.
	for _, tt := range tests {
		for _, early := range []bool{false, true} {
			if early && tt.schema == "" {
				continue
			}
			name := tt.name
			if early {
				name += " (compiled ahead)"
			}
			t.Run(name, func(t *testing.T) {
				c := &chart.Chart{Metadata: &chart.Metadata{Name: "refs", Version: "1.0.0"}, Schema: []byte(tt.schema)}
				var pre Precompiled
				if early {
					pre.Start(c.Schema)
				}
				var rec logRecorder
				err := ValidateSchema(c, tt.vals, WithLogger(rec.logger()), WithPrecompiled(&pre))
				got := errString(err)
				switch {
				case tt.exact != "":
					if got != tt.exact {
						t.Errorf("error = %q\nwant    %q", got, tt.exact)
					}
				case tt.err != "":
					if !strings.Contains(got, tt.err) {
						t.Errorf("error = %q\nwant it to contain %q", got, tt.err)
					}
				case err != nil:
					t.Errorf("unexpected error: %v", err)
				}
				if strings.Join(rec.lines(), "\n") != strings.Join(tt.logs, "\n") {
					t.Errorf("logs = %q, want %q", rec.lines(), tt.logs)
				}
			})
		}
	}
}

// TestCoalesceValuesSkipsSchema checks that the schema is the last step
// and that SkipSchemaValidation turns it off.
func TestCoalesceValuesSkipsSchema(t *testing.T) {
	c := &chart.Chart{
		Metadata: &chart.Metadata{Name: "s", Version: "1.0.0"},
		Values:   map[string]any{"n": float64(1)},
		Schema:   []byte(`{"properties": {"n": {"type": "string"}}}`),
	}
	if _, err := CoalesceValues(c, nil); err == nil || !strings.Contains(err.Error(), "s:\n- at '/n': got number, want string") {
		t.Errorf("want a schema error, got %v", err)
	}
	vals, err := CoalesceValues(c, nil, SkipSchemaValidation(true))
	if err != nil || dump(vals) != `{"n": float64(1)}` {
		t.Errorf("got %s, %v", dump(vals), err)
	}
}

// TestDefsAsDefinitions checks when the faster road for draft-06/07 $defs
// is taken and that it rewrites every reference into $defs.
func TestDefsAsDefinitions(t *testing.T) {
	tests := []struct {
		name, schema string
		ok           bool
		want         string // the rewritten document, when ok
	}{
		{"draft-07 refs everywhere", `{"$schema": "http://json-schema.org/draft-07/schema#", "$ref": "#/$defs/r",
			"$defs": {"r": {"properties": {"p": {"$ref": "#/$defs/a"}}, "items": [{"$ref": "#/$defs/a"}], "anyOf": [{"not": {"$ref": "#/$defs/a/properties/x"}}],
			"additionalProperties": {"$ref": "#/$defs/a"}, "dependencies": {"p": ["q"], "q": {"$ref": "#/$defs/a"}}, "enum": [{"$ref": "#/$defs/data"}]}, "a": true}}`,
			true, `{"$ref":"#/definitions/r","$schema":"http://json-schema.org/draft-07/schema#","definitions":{"a":true,"r":{"additionalProperties":{"$ref":"#/definitions/a"},"anyOf":[{"not":{"$ref":"#/definitions/a/properties/x"}}],"dependencies":{"p":["q"],"q":{"$ref":"#/definitions/a"}},"enum":[{"$ref":"#/$defs/data"}],"items":[{"$ref":"#/definitions/a"}],"properties":{"p":{"$ref":"#/definitions/a"}}}}}`},
		{"2020-12 knows $defs", `{"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": {"a": true}}`, false, ""},
		{"no $schema (latest draft)", `{"$defs": {"a": true}}`, false, ""},
		{"definitions taken", `{"$schema": "http://json-schema.org/draft-07/schema#", "$defs": {"a": true}, "definitions": {}}`, false, ""},
		{"an $id", `{"$schema": "http://json-schema.org/draft-07/schema#", "$defs": {"a": {"$id": "a.json"}}}`, false, ""},
		{"another ref into $defs", `{"$schema": "http://json-schema.org/draft-07/schema#", "$defs": {"a": {"$ref": "values.schema.json#/$defs/b"}, "b": true}}`, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			if err := json.Unmarshal([]byte(tt.schema), &doc); err != nil {
				t.Fatal(err)
			}
			if got := defsAsDefinitions(doc); got != tt.ok {
				t.Fatalf("defsAsDefinitions = %v, want %v", got, tt.ok)
			}
			if tt.ok {
				out, _ := json.Marshal(doc)
				if string(out) != tt.want {
					t.Errorf("rewritten:\n%s\nwant\n%s", out, tt.want)
				}
			}
		})
	}
}

// TestSchemasCheckedConcurrentlyReportInHelmOrder: the schemas of a chart
// and its subcharts are compiled concurrently, and the report still lists
// the charts as Helm's walk does: the chart, then each subchart with its own
// subcharts, depth first; values that are not a table are reported in place.
func TestSchemasCheckedConcurrentlyReportInHelmOrder(t *testing.T) {
	schema := []byte(`{"type": "object", "properties": {"n": {"type": "integer"}}}`)
	mk := func(name string, deps ...*chart.Chart) *chart.Chart {
		c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: name, Version: "1.0.0"}, Schema: schema}
		c.AddDependency(deps...)
		return c
	}
	root := mk("root", mk("a", mk("a1"), mk("a2")), mk("b"), mk("c", mk("c1")))
	vals := map[string]any{
		"n": "x",
		"a": map[string]any{"n": "x", "a1": map[string]any{"n": "x"}, "a2": map[string]any{"n": 1}},
		"b": "not a table",
		"c": map[string]any{"n": "x", "c1": map[string]any{"n": "x"}},
	}
	entry := func(name string) string { return name + ":\n- at '/n': got string, want integer\n" }
	want := "values don't meet the specifications of the schema(s) in the following chart(s):\n" +
		entry("root") + entry("a") + entry("a1") +
		"b:\ninvalid type for values: expected object (map), got string\n" +
		entry("c") + entry("c1")
	for range 10 {
		err := ValidateSchema(root, vals)
		if err == nil || err.Error() != want {
			t.Fatalf("got:\n%v\nwant:\n%s", err, want)
		}
	}
}

// TestPrecompiledGivesTheSameResults: a schema compiled ahead (while the
// chart loads) validates as one compiled on demand: same successes, same
// error texts, also for a schema that does not compile; each ahead compile
// serves one validation.
func TestPrecompiledGivesTheSameResults(t *testing.T) {
	schemas := []string{
		`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}}`,
		// draft-07 with $defs: the defsAsDefinitions road.
		`{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {"n": {"$ref": "#/$defs/count"}}, "$defs": {"count": {"type": "integer", "minimum": 1}}}`,
		`{"type": "object", "properties": {"n": {"type": 5}}}`,
		`{"type": "object", "properties": {"n": {"pattern": "("}}}`,
		`not json`,
	}
	for _, s := range schemas {
		for _, vals := range []map[string]any{{"n": 2}, {"n": 0}, {"n": "x"}} {
			c := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "c", Version: "1.0.0"}, Schema: []byte(s)}
			want := ValidateSchema(c, vals)
			var pre Precompiled
			pre.Start([]byte(s))
			got := ValidateSchema(c, vals, WithPrecompiled(&pre))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("schema %s, values %v:\nahead: %v\nwant:  %v", s, vals, got, want)
			}
			if pre.take([]byte(s), logger{}) != nil {
				t.Errorf("schema %s: the ahead compile served more than one validation", s)
			}
		}
	}
}
