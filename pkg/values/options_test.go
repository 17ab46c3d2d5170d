package values

import (
	"strings"
	"testing"
)

const optDir = "testdata/options/"

// TestMergeValues covers the value options in Helm's order. Every
// expectation is what Helm v4.3.1's values.Options.MergeValues gives for
// the same flags (checked with the LADE_VALUES_ORACLE harness).
func TestMergeValues(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		stdin string
		want  string
		err   string
	}{
		{name: "none", want: `{}`},
		{name: "one file", opts: Options{ValueFiles: []string{optDir + "base.yaml"}}, want: `{"image": {"pullPolicy": "IfNotPresent", "repository": "nginx", "tag": "1.25"}, "list": ["a", "b", "c"], "nested": {"deep": {"true": float64(2), "x": float64(1)}}, "replicas": float64(2)}`},
		{name: "later file wins, maps merge, lists replace, null kept", opts: Options{ValueFiles: []string{optDir + "base.yaml", optDir + "override.yaml"}}, want: `{"image": {"pullPolicy": "IfNotPresent", "repository": "nginx", "tag": "1.26"}, "list": ["z"], "nested": {"deep": {"true": null, "x": float64(1)}}, "replicas": float64(3)}`},
		{name: "file order matters", opts: Options{ValueFiles: []string{optDir + "override.yaml", optDir + "base.yaml"}}, want: `{"image": {"pullPolicy": "IfNotPresent", "repository": "nginx", "tag": "1.25"}, "list": ["a", "b", "c"], "nested": {"deep": {"true": float64(2), "x": float64(1)}}, "replicas": float64(2)}`},
		{name: "multi-document file", opts: Options{ValueFiles: []string{optDir + "multidoc.yaml"}}, want: `{"a": float64(1), "b": {"c": float64(1), "d": float64(2)}, "e": [float64(2)]}`},
		{name: "yaml scalar types", opts: Options{ValueFiles: []string{optDir + "types.yaml"}}, want: `{"big": float64(1.2345678901234567e+19), "date": "2024-01-02", "exp": float64(1000), "float": float64(1.5), "hex": float64(31), "int": float64(42), "leadingzero": float64(493), "multiline": "line1\nline2\n", "null1": null, "null2": null, "octal": float64(15), "str": "007", "true": false, "ts": "2001-12-14t21:59:43.10-05:00"}`},
		{name: "crlf", opts: Options{ValueFiles: []string{optDir + "crlf.yaml"}}, want: `{"a": float64(1), "b": {"c": "x"}}`},
		{name: "comment only", opts: Options{ValueFiles: []string{optDir + "comment.yaml"}}, want: `{}`},
		{name: "no final newline", opts: Options{ValueFiles: []string{optDir + "nonewline.yaml"}}, want: `{"no newline at end": true}`},
		{name: "malformed yaml names file and line", opts: Options{ValueFiles: []string{optDir + "bad.yaml"}}, err: `failed to parse testdata/options/bad.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 3: did not find expected key`},
		{name: "malformed second document", opts: Options{ValueFiles: []string{optDir + "baddoc2.yaml"}}, err: `failed to parse testdata/options/baddoc2.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected node content`},
		{name: "bad document separator", opts: Options{ValueFiles: []string{optDir + "badsep.yaml"}}, err: `failed to parse testdata/options/badsep.yaml: error reading yaml document: invalid Yaml document separator: not a comment`},
		{name: "top-level list", opts: Options{ValueFiles: []string{optDir + "toplist.yaml"}}, err: `failed to parse testdata/options/toplist.yaml: cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}`},
		{name: "duplicate key", opts: Options{ValueFiles: []string{optDir + "dupkey.yaml"}}, want: `{"a": float64(2)}`},
		{name: "missing file", opts: Options{ValueFiles: []string{optDir + "nope.yaml"}}, err: `open testdata/options/nope.yaml: no such file or directory`},
		{name: "stdin", opts: Options{ValueFiles: []string{"-"}}, stdin: "from: stdin\nreplicas: 5\n", want: `{"from": "stdin", "replicas": float64(5)}`},
		{name: "stdin with spaces then file", opts: Options{ValueFiles: []string{" - ", optDir + "override.yaml"}}, stdin: "replicas: 5\nimage: {tag: x, repo: y}\n", want: `{"image": {"repo": true, "tag": "1.26"}, "list": ["z"], "nested": {"deep": {"true": null}}, "replicas": float64(3)}`},
		{name: "set-json object and key forms", opts: Options{JSONValues: []string{`{"a": {"b": 1, "c": [1, 2]}}`, `a.d={"e": null}`, ` {"a": {"b": 2}}`}}, want: `{"a": {"b": float64(2), "c": [float64(1), float64(2)], "d": {"e": null}}}`},
		{name: "set-json bad object", opts: Options{JSONValues: []string{`{"a": `}}, err: `failed parsing --set-json data JSON: {"a": `},
		{name: "set-json bad value", opts: Options{JSONValues: []string{`a=nope`}}, err: `failed parsing --set-json data a=nope`},
		{name: "set-json error is not wrapped", opts: Options{JSONValues: []string{`a=1,b`}}, err: `failed parsing --set-json data a=1,b`},
		{name: "set bad", opts: Options{Values: []string{"a[x]=1"}}, err: `failed parsing --set data: error parsing index: strconv.Atoi: parsing "x": invalid syntax`},
		{name: "set-string bad", opts: Options{StringValues: []string{"a"}}, err: `failed parsing --set-string data: key "a" has no value`},
		{name: "set-literal bad", opts: Options{LiteralValues: []string{"a"}}, err: `failed parsing --set-literal data: key "a" has no value`},
		{name: "set-file", opts: Options{FileValues: []string{"txt=" + optDir + "content.txt", "l={" + optDir + "content.txt," + optDir + "crlf.yaml}"}}, want: `{"l": ["file content\nsecond line\n", "a: 1\r\nb:\r\n  c: \"x\"\r\n"], "txt": "file content\nsecond line\n"}`},
		{name: "set-file stdin", opts: Options{FileValues: []string{"in=-"}}, stdin: "piped", want: `{"in": "piped"}`},
		{name: "set-file missing", opts: Options{FileValues: []string{"x=" + optDir + "nope.txt"}}, err: `failed parsing --set-file data: open testdata/options/nope.txt: no such file or directory`},
		{
			name: "precedence: files < set-json < set < set-string < set-file < set-literal",
			opts: Options{
				ValueFiles:    []string{optDir + "base.yaml"},
				JSONValues:    []string{`replicas=10`, `j="json"`, `s="json"`, `str="json"`, `f="json"`, `lit="json"`},
				Values:        []string{"replicas=11,s=set,str=set,f=set,lit=set", "image.tag=set"},
				StringValues:  []string{"str=123,f=string,lit=string", "replicas=12"},
				FileValues:    []string{"f=" + optDir + "content.txt,lit=" + optDir + "content.txt"},
				LiteralValues: []string{"lit=a,b=c", "image.tag={x}"},
			},
			want: `{"f": "file content\nsecond line\n", "image": {"pullPolicy": "IfNotPresent", "repository": "nginx", "tag": "{x}"}, "j": "json", "list": ["a", "b", "c"], "lit": "a,b=c", "nested": {"deep": {"true": float64(2), "x": float64(1)}}, "replicas": "12", "s": "set", "str": "123"}`,
		},
		{name: "set replaces a whole table", opts: Options{ValueFiles: []string{optDir + "base.yaml"}, Values: []string{"image=plain,list[1]=q"}}, want: `{"image": "plain", "list": ["a", "q", "c"], "nested": {"deep": {"true": float64(2), "x": float64(1)}}, "replicas": float64(2)}`},
		{name: "set into list from file", opts: Options{ValueFiles: []string{optDir + "base.yaml"}, Values: []string{"list[4]=e"}}, want: `{"image": {"pullPolicy": "IfNotPresent", "repository": "nginx", "tag": "1.25"}, "list": ["a", "b", "c", null, "e"], "nested": {"deep": {"true": float64(2), "x": float64(1)}}, "replicas": float64(2)}`},
		{name: "set table onto file scalar", opts: Options{ValueFiles: []string{optDir + "base.yaml"}, Values: []string{"replicas.x=1"}}, err: `failed parsing --set data: unable to parse key: interface conversion: interface {} is float64, not map[string]interface {}`},
		{name: "set null", opts: Options{ValueFiles: []string{optDir + "base.yaml"}, Values: []string{"image=null,nested.deep.x=NULL"}}, want: `{"image": null, "list": ["a", "b", "c"], "nested": {"deep": {"true": float64(2), "x": null}}, "replicas": float64(2)}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			o.Stdin = strings.NewReader(tt.stdin)
			got, err := o.MergeValues()
			rec := tt.opts
			record(oracleCase{Kind: "options", Name: t.Name(), Opts: &rec, Stdin: tt.stdin, Got: dump(got), Err: errString(err)})
			if errString(err) != tt.err {
				t.Fatalf("error = %q, want %q", errString(err), tt.err)
			}
			if err == nil && dump(got) != tt.want {
				t.Errorf("got  %s\nwant %s", dump(got), tt.want)
			}
		})
	}
}

// TestMergeValuesRemote checks that URLs are refused rather than fetched
// (Helm downloads them through its getters; lade reads local files only).
func TestMergeValuesRemote(t *testing.T) {
	for _, o := range []Options{
		{ValueFiles: []string{"https://example.com/values.yaml"}},
		{ValueFiles: []string{"http://example.com/values.yaml"}},
		{ValueFiles: []string{"oci://registry.example.com/values"}},
		{FileValues: []string{"a=https://example.com/a.txt"}},
	} {
		_, err := o.MergeValues()
		if err == nil || !strings.Contains(err.Error(), "remote values files are not supported") {
			t.Errorf("%+v: want a refusal, got %v", o, err)
		}
	}
}

// TestLoadValues checks the parse of values.yaml content, shared with the
// chart loader: documents merge in order, numbers are float64. Results and
// errors are those of Helm v4.3.1's loader.LoadValues.
func TestLoadValues(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"", `{}`, ""},
		{"a: 1", `{"a": float64(1)}`, ""},
		{"a: 1\n---\na: 2\nb: {c: 3}\n---\nb: {d: 4}", `{"a": float64(2), "b": {"c": float64(3), "d": float64(4)}}`, ""},
		{"---\n---\n", `{}`, ""},
		{"a: [1\n", "", "cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected ',' or ']'"},
		{"----\na: 1\n", "", "error reading yaml document: invalid Yaml document separator: -"},
		{"a: 1\n--- # c\nb: 2\n", `{"a": float64(1), "b": float64(2)}`, ""},
		{"a: null\nb: ~\n", `{"a": null, "b": null}`, ""},
	}
	for _, tt := range tests {
		got, err := LoadValues([]byte(tt.in))
		if errString(err) != tt.err {
			t.Errorf("%q: error = %q, want %q", tt.in, errString(err), tt.err)
			continue
		}
		if err == nil && dump(got) != tt.want {
			t.Errorf("%q: got %s, want %s", tt.in, dump(got), tt.want)
		}
	}
}
