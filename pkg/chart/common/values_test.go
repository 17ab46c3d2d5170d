package common

import (
	"bytes"
	"reflect"
	"testing"
)

func testValues() Values {
	return Values{
		"name":   "root",
		"image":  map[string]any{"tag": "1.0", "deep": map[string]any{"k": "v"}},
		"inner":  Values{"x": 1},
		"scalar": 3,
		"list":   []any{1, "two"},
	}
}

func TestTable(t *testing.T) {
	v := testValues()
	for _, tc := range []struct {
		path string
		want Values
		err  error
	}{
		{"image", Values{"tag": "1.0", "deep": map[string]any{"k": "v"}}, nil},
		{"image.deep", Values{"k": "v"}, nil},
		{"inner", Values{"x": 1}, nil},
		// Helm hands back the last table reached for a missing key...
		{"image.nope", Values{"tag": "1.0", "deep": map[string]any{"k": "v"}}, ErrNoTable{"nope"}},
		// ...and an empty one for a key holding something else.
		{"scalar", Values{}, ErrNoTable{"scalar"}},
		{"image.tag.x", Values{}, ErrNoTable{"tag"}},
	} {
		got, err := v.Table(tc.path)
		if !reflect.DeepEqual(got, tc.want) || err != tc.err {
			t.Errorf("Table(%q) = %v, %v; want %v, %v", tc.path, got, err, tc.want, tc.err)
		}
	}
	if _, err := v.Table("missing"); err == nil || err.Error() != `"missing" is not a table` {
		t.Errorf("Table(missing) error = %v", err)
	}
}

func TestPathValue(t *testing.T) {
	v := testValues()
	for _, tc := range []struct {
		path string
		want any
		err  string
	}{
		{"name", "root", ""},
		{"image.tag", "1.0", ""},
		{"image.deep.k", "v", ""},
		{"list", []any{1, "two"}, ""},
		{"image", nil, `"image" is not a value`},
		{"image.deep", nil, `"deep" is not a value`},
		{"image.missing", nil, `"missing" is not a value`},
		{"nope.x", nil, `"x" is not a value`},
		{"", nil, "YAML path cannot be empty"},
	} {
		got, err := v.PathValue(tc.path)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if !reflect.DeepEqual(got, tc.want) || gotErr != tc.err {
			t.Errorf("PathValue(%q) = %v, %q; want %v, %q", tc.path, got, gotErr, tc.want, tc.err)
		}
	}
}

func TestAsMapYAMLEncode(t *testing.T) {
	if m := Values(nil).AsMap(); m == nil || len(m) != 0 {
		t.Errorf("nil AsMap = %#v, want an empty map", m)
	}
	v := Values{"b": 1, "a": map[string]any{"c": "x"}}
	if m := v.AsMap(); reflect.ValueOf(m).Pointer() != reflect.ValueOf(v).Pointer() {
		t.Error("AsMap of a non-empty Values must be the same map")
	}
	y, err := v.YAML()
	if want := "a:\n  c: x\nb: 1\n"; err != nil || y != want {
		t.Errorf("YAML() = %q, %v; want %q", y, err, want)
	}
	var b bytes.Buffer
	if err := v.Encode(&b); err != nil || b.String() != y {
		t.Errorf("Encode wrote %q, %v; want %q", b.String(), err, y)
	}
}
