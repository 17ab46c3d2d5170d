package render

import (
	"reflect"

	"github.com/lade-dev/lade/pkg/chart"
)

// metadataMap converts Chart.yaml metadata into the map templates see as
// .Chart: Go field names as keys, nested structs as maps, slices as []any
// (empty, not nil, when unset) — the shape Helm 4 gives .Chart.
func metadataMap(md *chart.Metadata) map[string]any {
	if md == nil {
		return nil
	}
	return structMap(reflect.ValueOf(md).Elem())
}

func structMap(v reflect.Value) map[string]any {
	out := make(map[string]any, v.NumField())
	t := v.Type()
	for i := 0; i < v.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		out[f.Name] = fieldValue(v.Field(i))
	}
	return out
}

func fieldValue(fv reflect.Value) any {
	switch fv.Kind() {
	case reflect.Struct:
		return structMap(fv)
	case reflect.Pointer:
		if fv.IsNil() {
			return nil
		}
		if fv.Elem().Kind() == reflect.Struct {
			return structMap(fv.Elem())
		}
		return fv.Interface()
	case reflect.Slice:
		items := make([]any, fv.Len())
		for j := range items {
			el := fv.Index(j)
			switch {
			case el.Kind() == reflect.Struct:
				items[j] = structMap(el)
			case el.Kind() == reflect.Pointer && el.IsNil():
				items[j] = nil
			case el.Kind() == reflect.Pointer && el.Elem().Kind() == reflect.Struct:
				items[j] = structMap(el.Elem())
			default:
				items[j] = el.Interface()
			}
		}
		return items
	}
	return fv.Interface()
}
