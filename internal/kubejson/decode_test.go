package kubejson

import (
	"reflect"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

var jsonSamples = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `1.0`, `1.5`, `1e3`, `1E-3`, `-2.5e+10`,
	`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`, `123456789012345678901234567890`,
	`""`, `"x"`, `"k:{\"type\":\"Ready\"}"`, `"a\/b\b\f\r\n\t\\"`, `"é\"x"`, `"x\u0041\"y"`, `"\q"`, `"a\`, `"\"`, `"a\"b"`, `"a\\b"`, `"\u00e9\ud83d\ude00"`, `"\ud800"`, `"héllo"`, "\"\xff\xfe\"", `"tab\tnl\n"`, `"\/"`,
	`{"a":1,"b":[1,2.5,"x",null,true,{"c":{}}],"a":2}`, ` { "k" : [ ] , "e" : { } } `,
	`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x","labels":{"app.kubernetes.io/name":"x"},"managedFields":[{"fieldsV1":{"f:spec":{"f:replicas":{}}}}]},"spec":{"replicas":3,"ratio":0.25}}`,
	// Not JSON: both must fail.
	``, `{`, `}`, `[1,]`, `{"a":}`, `{"a" 1}`, `{a:1}`, `01`, `1.`, `.5`, `-`, `1e`, `tru`, `nul`, `"abc`, "\"a\x01b\"", `[1 2]`, `{} {}`, `"\x"`,
}

func checkDecode(t *testing.T, s string) {
	var want any
	werr := utiljson.Unmarshal([]byte(s), &want)
	got, gerr := Decode([]byte(s))
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%q: error %v, standard decoder %v", s, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: got %#v, standard decoder %#v", s, got, want)
	}
}

func TestDecodeJSONMatchesStandardDecoder(t *testing.T) {
	for _, s := range jsonSamples {
		checkDecode(t, s)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range jsonSamples {
		f.Add(s)
	}
	f.Fuzz(checkDecode)
}
