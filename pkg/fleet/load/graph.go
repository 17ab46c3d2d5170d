package load

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// newFleet checks the set of Releases (duplicates, cycles, dependencies of
// the selected ones) and orders the selected ones.
func newFleet(ctx context.Context, all []*Release, opts Options) (*Fleet, []error) {
	var errs []error
	declared := map[Key]*Release{}
	for _, r := range all {
		if first, ok := declared[r.Key()]; ok {
			errs = append(errs, &Error{Source: r.Source, Release: r.Key().String(), Field: "metadata.name", Kind: ErrDuplicate,
				Msg: "declared twice, first at " + first.Source.String()})
			continue
		}
		declared[r.Key()] = r
	}
	if len(errs) > 0 {
		return nil, errs
	}
	errs = append(errs, cycles(all, declared)...)

	f := &Fleet{byKey: map[Key]*Release{}}
	var selected []*Release
	for _, r := range all {
		if opts.Selector == nil || opts.Selector.Matches(labels.Set(r.Labels)) {
			selected = append(selected, r)
			f.byKey[r.Key()] = r
		}
	}
	external := map[Key]bool{}
	for _, r := range selected {
		for i, k := range r.Dependencies() {
			if f.byKey[k] != nil || external[k] {
				continue
			}
			_, inFleet := declared[k]
			installed := false
			if opts.Installed != nil {
				ok, err := opts.Installed(ctx, k)
				if err != nil {
					return nil, []error{fmt.Errorf("is %s installed: %w", k, err)}
				}
				installed = ok
			}
			switch {
			case installed || inFleet && opts.Installed == nil:
				external[k] = true
			case inFleet:
				errs = append(errs, depError(r, i, k, "is in the fleet but not selected, and not installed"))
			case opts.Installed == nil:
				errs = append(errs, depError(r, i, k, "is not in the fleet"))
			default:
				errs = append(errs, depError(r, i, k, "is not in the fleet and not installed"))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	for k := range external {
		f.External = append(f.External, k)
	}
	slices.SortFunc(f.External, func(a, b Key) int { return strings.Compare(a.String(), b.String()) })
	f.levels = levels(selected, f.byKey)
	for _, l := range f.levels {
		f.Releases = append(f.Releases, l...)
	}
	return f, nil
}

func depError(r *Release, i int, k Key, what string) error {
	return &Error{Source: r.Source, Release: r.Key().String(), Field: "spec.dependsOn[" + strconv.Itoa(i) + "]", Kind: ErrDependency,
		Msg: k.String() + " " + what}
}

// cycles finds every dependency cycle among the declared Releases and
// reports each once, at the first of its Releases in the files.
func cycles(all []*Release, declared map[Key]*Release) []error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[Key]int{}
	var path []*Release
	var errs []error
	var visit func(r *Release)
	visit = func(r *Release) {
		state[r.Key()] = onPath
		path = append(path, r)
		for i, k := range r.Dependencies() {
			d := declared[k]
			if d == nil {
				continue
			}
			switch state[k] {
			case unseen:
				visit(d)
			case onPath:
				start := slices.Index(path, d)
				names := make([]string, 0, len(path)-start+1)
				for _, p := range path[start:] {
					names = append(names, p.Key().String())
				}
				names = append(names, k.String())
				errs = append(errs, &Error{Source: r.Source, Release: r.Key().String(), Field: "spec.dependsOn[" + strconv.Itoa(i) + "]",
					Kind: ErrCycle, Msg: "dependency cycle " + strings.Join(names, " -> ")})
			}
		}
		path = path[:len(path)-1]
		state[r.Key()] = done
	}
	for _, r := range all {
		if state[r.Key()] == unseen {
			visit(r)
		}
	}
	return errs
}

// levels groups the selected Releases (acyclic) so each level depends only
// on earlier ones; within a level they keep their order in the files.
func levels(selected []*Release, in map[Key]*Release) [][]*Release {
	level := map[Key]int{}
	var depth func(r *Release) int
	depth = func(r *Release) int {
		if l, ok := level[r.Key()]; ok {
			return l
		}
		l := 0
		for _, k := range r.Dependencies() {
			if d := in[k]; d != nil {
				l = max(l, depth(d)+1)
			}
		}
		level[r.Key()] = l
		return l
	}
	var out [][]*Release
	for _, r := range selected {
		l := depth(r)
		for len(out) <= l {
			out = append(out, nil)
		}
		out[l] = append(out[l], r)
	}
	return out
}
