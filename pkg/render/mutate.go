package render

import (
	"reflect"
	"text/template"

	"github.com/lade-dev/lade/pkg/chart/common"
)

// Helm runs a release's templates one after the other on shared objects, so
// a template that changes .Values (or any object other templates can reach)
// with set, unset or merge* is seen by the templates after it. lade runs
// templates concurrently and keeps that meaning by watching those functions:
// a change to a map the templates share stops the concurrent render, which
// starts over in Helm's order. Changes to a template's own maps (built with
// dict, fromYaml, deepCopy...), by far the common case, run concurrently.

// sharedMaps holds the identity of every map[string]any reachable from the
// objects templates share: each chart's root object (.Values, .Chart,
// .Release, .Capabilities, .Subcharts...) and each template's copy of it.
type sharedMaps struct {
	ids  map[uintptr]struct{}
	seen map[uintptr]bool // maps and pointers already walked
}

func newSharedMaps() *sharedMaps {
	return &sharedMaps{ids: map[uintptr]struct{}{}, seen: map[uintptr]bool{}}
}

var stringAnyMap = reflect.TypeFor[map[string]any]()

// add records v and every shared map inside it (objects already walked are
// not walked again).
func (s *sharedMaps) add(v any) {
	s.walk(reflect.ValueOf(v))
}

func (s *sharedMaps) walk(v reflect.Value) {
	seen := s.seen
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			s.walk(v.Elem())
		}
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		s.walk(v.Elem())
	case reflect.Map:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		if v.Type().ConvertibleTo(stringAnyMap) && v.Type().Key() == stringAnyMap.Key() && v.Type().Elem() == stringAnyMap.Elem() {
			s.ids[v.Pointer()] = struct{}{}
		}
		if !holdsReferences(v.Type().Elem()) {
			return
		}
		for it := v.MapRange(); it.Next(); {
			s.walk(it.Value())
		}
	case reflect.Slice, reflect.Array:
		if !holdsReferences(v.Type().Elem()) {
			return
		}
		for i := range v.Len() {
			s.walk(v.Index(i))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				s.walk(v.Field(i))
			}
		}
	}
}

// holdsReferences reports whether values of type t can lead to a map.
func holdsReferences(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice, reflect.Array, reflect.Struct:
		return true
	}
	return false
}

// has reports whether m is shared.
func (s *sharedMaps) has(m map[string]any) bool {
	if m == nil {
		return false
	}
	_, ok := s.ids[reflect.ValueOf(m).Pointer()]
	return ok
}

// reaches reports whether m or a map inside it is shared: merge* change
// nested maps of their destination too. Maps of other types and pointers
// (.Files, .Capabilities) count by identity: a deepCopy of them is the
// template's own.
func (s *sharedMaps) reaches(m map[string]any) bool {
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case nil:
			return false
		case map[string]any:
			if s.has(x) {
				return true
			}
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
			return false
		case common.Values:
			return walk(map[string]any(x))
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
			return false
		}
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Map, reflect.Pointer:
			return !rv.IsNil() && s.seen[rv.Pointer()]
		}
		return false
	}
	return walk(m)
}

// guardedNames are the functions guardMutations replaces.
var guardedNames = []string{"set", "unset", "merge", "mergeOverwrite", "mustMerge", "mustMergeOverwrite"}

// unguarded returns the plain versions of the guarded functions.
func unguarded() template.FuncMap {
	f := template.FuncMap{}
	for _, n := range guardedNames {
		f[n] = baseFuncs()[n]
	}
	return f
}

// guardMutations wraps set, unset and the merge functions of base so that
// changing a shared map fails with errNeedSerial instead of happening.
func guardMutations(base template.FuncMap, shared *sharedMaps) template.FuncMap {
	set := base["set"].(func(map[string]any, string, any) map[string]any)
	unset := base["unset"].(func(map[string]any, string) map[string]any)
	merge := base["merge"].(func(map[string]any, ...map[string]any) any)
	mergeOverwrite := base["mergeOverwrite"].(func(map[string]any, ...map[string]any) any)
	mustMerge := base["mustMerge"].(func(map[string]any, ...map[string]any) (any, error))
	mustMergeOverwrite := base["mustMergeOverwrite"].(func(map[string]any, ...map[string]any) (any, error))
	// A change that changes nothing (vault sets the same computed flags in
	// every template; fluent-bit merges defaults already there) is skipped:
	// the shared map is left as it is, which reads the same. Only for
	// scalars: a map set into a shared map becomes shared, and changes the
	// template makes to it later must show.
	return template.FuncMap{
		"set": func(d map[string]any, key string, value any) (map[string]any, error) {
			if shared.has(d) {
				if old, ok := d[key]; ok && scalar(value) && reflect.DeepEqual(old, value) {
					return d, nil
				}
				return nil, errNeedSerial
			}
			return set(d, key, value), nil
		},
		"unset": func(d map[string]any, key string) (map[string]any, error) {
			if shared.has(d) {
				if _, ok := d[key]; !ok {
					return d, nil
				}
				return nil, errNeedSerial
			}
			return unset(d, key), nil
		},
		"merge": guardMerge(shared, func(dst map[string]any, srcs ...map[string]any) (any, error) { return merge(dst, srcs...), nil }),
		"mergeOverwrite": guardMerge(shared, func(dst map[string]any, srcs ...map[string]any) (any, error) {
			return mergeOverwrite(dst, srcs...), nil
		}),
		"mustMerge":          guardMerge(shared, mustMerge),
		"mustMergeOverwrite": guardMerge(shared, mustMergeOverwrite),
	}
}

// guardMerge wraps a merge function: a destination that reaches a shared map
// is merged into a private copy first, and only if that changes nothing is
// the call allowed (and then it does not touch the destination).
func guardMerge(shared *sharedMaps, merge func(map[string]any, ...map[string]any) (any, error)) func(map[string]any, ...map[string]any) (any, error) {
	return func(dst map[string]any, srcs ...map[string]any) (any, error) {
		if !shared.reaches(dst) {
			return merge(dst, srcs...)
		}
		for _, src := range srcs {
			for _, v := range src {
				if !scalar(v) {
					return nil, errNeedSerial
				}
			}
		}
		probe, ok := copySmall(dst, 256)
		if !ok {
			return nil, errNeedSerial
		}
		if _, err := merge(probe, srcs...); err != nil || !reflect.DeepEqual(probe, dst) {
			return nil, errNeedSerial
		}
		return dst, nil
	}
}

// scalar reports whether v is a string, number, bool or nil.
func scalar(v any) bool {
	return v == nil || !holdsReferences(reflect.TypeOf(v))
}

// copySmall deep-copies the maps and lists of m, if it holds at most budget
// of them and nothing else that could be changed in place.
func copySmall(m map[string]any, budget int) (map[string]any, bool) {
	var cp func(v any) (any, bool)
	cp = func(v any) (any, bool) {
		switch x := v.(type) {
		case map[string]any:
			if budget--; budget < 0 {
				return nil, false
			}
			out := make(map[string]any, len(x))
			for k, e := range x {
				c, ok := cp(e)
				if !ok {
					return nil, false
				}
				out[k] = c
			}
			return out, true
		case common.Values:
			c, ok := cp(map[string]any(x))
			if !ok || x == nil {
				return x, ok
			}
			return common.Values(c.(map[string]any)), true
		case []any:
			if budget--; budget < 0 {
				return nil, false
			}
			out := make([]any, len(x))
			for i, e := range x {
				c, ok := cp(e)
				if !ok {
					return nil, false
				}
				out[i] = c
			}
			return out, true
		default:
			if x != nil && holdsReferences(reflect.TypeOf(x)) {
				return nil, false
			}
			return x, true
		}
	}
	out, ok := cp(m)
	if !ok {
		return nil, false
	}
	return out.(map[string]any), true
}
