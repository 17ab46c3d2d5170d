package render

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
	"github.com/mitchellh/copystructure"

	"github.com/lade-dev/lade/pkg/chart/common"
)

// sameCopy fails unless a and b are equal values of the same types whose
// slices have the same capacities, and share no map or slice with orig.
func sameCopy(t *testing.T, path string, a, b, orig any) {
	t.Helper()
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("%s: fast copy %#v, copystructure %#v", path, a, b)
	}
	va, vb, vo := reflect.ValueOf(a), reflect.ValueOf(b), reflect.ValueOf(orig)
	if !va.IsValid() {
		return
	}
	switch va.Kind() {
	case reflect.Map:
		if va.IsNil() != vb.IsNil() {
			t.Fatalf("%s: nil map %v, copystructure %v", path, va.IsNil(), vb.IsNil())
		}
		if !va.IsNil() && va.Pointer() == vo.Pointer() {
			t.Fatalf("%s: map shared with the original", path)
		}
		for _, k := range va.MapKeys() {
			sameCopy(t, path+"."+fmt.Sprint(k), va.MapIndex(k).Interface(), vb.MapIndex(k).Interface(), vo.MapIndex(k).Interface())
		}
	case reflect.Slice:
		if va.IsNil() != vb.IsNil() || va.Cap() != vb.Cap() {
			t.Fatalf("%s: slice nil %v cap %d, copystructure nil %v cap %d", path, va.IsNil(), va.Cap(), vb.IsNil(), vb.Cap())
		}
		if va.Len() > 0 && va.Pointer() == vo.Pointer() {
			t.Fatalf("%s: slice shared with the original", path)
		}
		for i := 0; i < va.Len(); i++ {
			sameCopy(t, fmt.Sprintf("%s[%d]", path, i), va.Index(i).Interface(), vb.Index(i).Interface(), vo.Index(i).Interface())
		}
	}
}

func randomValue(r *rand.Rand, depth int) any {
	n := r.IntN(14)
	if depth > 4 && n > 8 {
		n = r.IntN(9)
	}
	switch n {
	case 0:
		return nil
	case 1:
		return fmt.Sprint("s", r.IntN(100))
	case 2:
		return r.IntN(2) == 0
	case 3:
		return r.Int64()
	case 4:
		return r.Float64()
	case 5:
		return r.IntN(10)
	case 6:
		return []byte("bytes")
	case 7:
		return time.Unix(r.Int64N(1e9), 0).UTC()
	case 8:
		return map[string]any(nil)
	case 9, 10:
		m := map[string]any{}
		for i := range r.IntN(5) {
			m[fmt.Sprint("k", i)] = randomValue(r, depth+1)
		}
		return m
	case 11, 12:
		l := make([]any, r.IntN(4), 4+r.IntN(3))
		for i := range l {
			l[i] = randomValue(r, depth+1)
		}
		return l
	default:
		return []any(nil)
	}
}

// TestFastDeepCopyIsCopystructure checks deepCopy against sprig's
// copystructure on random value trees and on a real render object.
func TestFastDeepCopyIsCopystructure(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		v := map[string]any{"root": randomValue(r, 0), "list": []any{randomValue(r, 0), randomValue(r, 0)}}
		var top any = v
		if i%3 == 1 {
			top = []any{v}
		}
		got, err := fastDeepCopy(top)
		if err != nil {
			t.Fatal(err)
		}
		want, err := copystructure.Copy(top)
		if err != nil {
			t.Fatal(err)
		}
		sameCopy(t, fmt.Sprint("tree ", i), got, want, top)
	}

	caps := common.DefaultCapabilities(nil)
	obj := map[string]any{
		"Values":       map[string]any{"a": []any{int64(1), "x", nil, map[string]any{}}, "n": nil},
		"Files":        Files{"a.txt": []byte("hello"), "empty": nil, "z": make([]byte, 2, 9)},
		"Capabilities": caps,
		"Release":      map[string]any{"Name": "r", "Revision": 1, "IsInstall": true},
		"Template":     map[string]any{"Name": "c/templates/x.yaml", "BasePath": "c/templates"},
		"Subcharts":    map[string]any{},
	}
	got, err := fastDeepCopy(obj)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := copystructure.Copy(obj)
	sameCopy(t, "render object", got, want, obj)
	if got.(map[string]any)["Capabilities"] == any(caps) {
		t.Fatal("capabilities not copied")
	}

	for _, v := range []any{"s", 3, Files(nil), map[string]any(nil), []any(nil)} {
		got, gerr := fastDeepCopy(v)
		want, werr := copystructure.Copy(v)
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
			t.Errorf("deepCopy(%#v) = %#v, %v; copystructure %#v, %v", v, got, gerr, want, werr)
		}
	}
}

// TestDeepCopyTemplate runs deepCopy and mustDeepCopy as templates use them,
// beside sprig's own: the same output, and the same error for nil.
func TestDeepCopyTemplate(t *testing.T) {
	data := map[string]any{"Values": map[string]any{"m": map[string]any{"k": "orig"}}, "Files": Files{"f": []byte("data")}}
	run := func(funcs template.FuncMap, src string) (string, error) {
		tpl, err := template.New("x").Funcs(funcs).Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		err = tpl.Execute(&b, data)
		return b.String(), err
	}
	for _, src := range []string{
		`{{- $c := deepCopy .Values }}{{- $_ := set $c.m "k" "changed" }}{{ .Values.m.k }} {{ $c.m.k }} {{ (mustDeepCopy .Files).f | toString }}`,
		`{{ deepCopy nil }}`,
		`{{ mustDeepCopy nil }}`,
	} {
		got, gerr := run(baseFuncs(), src)
		want, werr := run(sprig.TxtFuncMap(), src)
		if got != want || fmt.Sprint(gerr) != fmt.Sprint(werr) {
			t.Errorf("%s: got %q, %v; sprig %q, %v", src, got, gerr, want, werr)
		}
	}
	if got, _ := run(baseFuncs(), `{{- $c := deepCopy .Values }}{{- $_ := set $c.m "k" "changed" }}{{ .Values.m.k }} {{ $c.m.k }}`); got != "orig changed" {
		t.Errorf("copy not independent: %q", got)
	}
}
