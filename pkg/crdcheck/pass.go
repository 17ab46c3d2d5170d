package crdcheck

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/tools/pager"
)

// pass lists the live objects once, at version source, and checks each
// against every target version and the version-unserved candidates.
type pass struct {
	source   string
	group    string
	storage  string // next's storage version
	targets  []target
	unserved []string

	mu       sync.Mutex
	seen     int
	failures map[string]*found // target version -> objects newly invalid
	already  map[string]int    // target version -> objects invalid before too
	pruned   map[string]map[string]int
	written  map[string]*found // unserved version -> objects written in it
	oldOnce  map[string]*sync.Once
	old      map[string]*validator
	oldErr   map[string]error
}

// found keeps the first objects (in list order) of a problem and a count.
type found struct {
	count   int
	objects []indexed
}

type indexed struct {
	i   int
	obj Object
}

func (f *found) add(i int, o Object, keep int) {
	f.count++
	f.objects = append(f.objects, indexed{i, o})
	if len(f.objects) > keep {
		slices.SortFunc(f.objects, func(a, b indexed) int { return a.i - b.i })
		f.objects = f.objects[:keep]
	}
}

func (f *found) list() []Object {
	slices.SortFunc(f.objects, func(a, b indexed) int { return a.i - b.i })
	out := make([]Object, len(f.objects))
	for i, x := range f.objects {
		out[i] = x.obj
	}
	return out
}

// tooManyError stops a listing over Options.MaxObjects.
type tooManyError struct {
	count int
	exact bool
}

func (e *tooManyError) Error() string { return fmt.Sprintf("%s objects", e.countText()) }

func (e *tooManyError) countText() string {
	if e.exact {
		return fmt.Sprint(e.count)
	}
	return fmt.Sprintf("more than %d", e.count)
}

// init makes the pass's tallies.
func (p *pass) init() {
	p.failures, p.already, p.pruned, p.written = map[string]*found{}, map[string]int{}, map[string]map[string]int{}, map[string]*found{}
	p.oldOnce, p.old, p.oldErr = map[string]*sync.Once{}, map[string]*validator{}, map[string]error{}
	for _, t := range p.targets {
		p.failures[t.version], p.pruned[t.version], p.oldOnce[t.version] = &found{}, map[string]int{}, &sync.Once{}
	}
	for _, u := range p.unserved {
		p.written[u] = &found{}
	}
}

func (p *pass) run(ctx context.Context, live *apiextensionsv1.CustomResourceDefinition, o Options, r *Result) error {
	p.init()
	stored := map[string]bool{}
	for _, v := range live.Status.StoredVersions {
		stored[v] = true
	}

	gvr := schema.GroupVersionResource{Group: live.Spec.Group, Version: p.source, Resource: live.Spec.Names.Plural}
	res := o.Client.Resource(gvr)
	pg := pager.New(func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
		list, err := res.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		if opts.Continue == "" {
			n := len(list.Items)
			if rest := list.GetRemainingItemCount(); rest != nil {
				n += int(*rest)
			}
			if n > o.MaxObjects {
				return nil, &tooManyError{count: n, exact: true}
			}
		}
		return list, nil
	})
	pg.PageSize = o.PageSize
	pg.PageBufferSize = 1
	pg.FullListIfExpired = false

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan indexedObj, o.Workers)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Go(func() {
			for w := range work {
				p.check(ctx, w.i, w.obj, stored, o.MaxShown)
			}
		})
	}
	i := 0
	err := pg.EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		if i >= o.MaxObjects {
			return &tooManyError{count: o.MaxObjects}
		}
		u, ok := obj.(*unstructured.Unstructured)
		if !ok {
			return fmt.Errorf("listed %T, not an object", obj)
		}
		select {
		case work <- indexedObj{i, u}:
		case <-ctx.Done():
			return ctx.Err()
		}
		i++
		return nil
	})
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	p.report(r, live, stored, o)
	return nil
}

type indexedObj struct {
	i   int
	obj *unstructured.Unstructured
}

// check checks one listed object against each target and the unserved versions.
func (p *pass) check(ctx context.Context, i int, u *unstructured.Unstructured, stored map[string]bool, keep int) {
	ref := Object{Namespace: u.GetNamespace(), Name: u.GetName()}
	var writtenIn []string
	for _, u2 := range p.unserved {
		if stored[u2] || managedAt(u, p.group+"/"+u2) {
			writtenIn = append(writtenIn, u2)
		}
	}
	type verdict struct {
		version string
		errs    []string
		already bool
		pruned  []string
	}
	var vs []verdict
	for _, t := range p.targets {
		obj := runtime.DeepCopyJSON(u.Object)
		obj["apiVersion"] = p.group + "/" + t.version
		v := verdict{version: t.version, pruned: t.next.prune(obj)}
		errs := t.next.validate(ctx, obj)
		if len(errs) > 0 {
			errs = p.newErrors(ctx, t, u.Object, errs)
			v.already = len(errs) == 0
			v.errs = fieldErrors(errs)
		}
		vs = append(vs, v)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen++
	for _, w := range writtenIn {
		p.written[w].add(i, ref, keep)
	}
	for _, v := range vs {
		for _, path := range v.pruned {
			path = indexRE.ReplaceAllString(path, "[*]")
			if m := p.pruned[v.version]; len(m) < 50 || m[path] > 0 {
				m[path]++
			}
		}
		switch {
		case v.already:
			p.already[v.version]++
		case len(v.errs) > 0:
			o := ref
			o.Errors = v.errs
			p.failures[v.version].add(i, o, keep)
		}
	}
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// newErrors returns the errors of errs the object does not already have
// under the live schema of the target's version.
func (p *pass) newErrors(ctx context.Context, t target, obj map[string]any, errs field.ErrorList) field.ErrorList {
	if t.live == nil {
		return errs
	}
	p.oldOnce[t.version].Do(func() {
		p.old[t.version], p.oldErr[t.version] = newValidator(t.live)
	})
	old := p.old[t.version]
	if p.oldErr[t.version] != nil || old == nil {
		return errs
	}
	withVersion := runtime.DeepCopyJSON(obj)
	withVersion["apiVersion"] = p.group + "/" + t.version
	had := map[string]bool{}
	for _, e := range old.validate(ctx, withVersion) {
		had[string(e.Type)+" "+e.Field] = true
	}
	return slices.DeleteFunc(errs, func(e *field.Error) bool { return had[string(e.Type)+" "+e.Field] })
}

// fieldErrors renders errors as "path: message" without the bad values'
// long quotes, as kubectl shows them.
func fieldErrors(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// managedAt reports whether a field manager wrote the object at apiVersion.
func managedAt(u *unstructured.Unstructured, apiVersion string) bool {
	for _, m := range u.GetManagedFields() {
		if m.APIVersion == apiVersion {
			return true
		}
	}
	return false
}

// report turns the pass's findings into problems and warnings.
func (p *pass) report(r *Result, live *apiextensionsv1.CustomResourceDefinition, stored map[string]bool, o Options) {
	r.Checked += p.seen * max(len(p.targets), 1)
	for _, t := range p.targets {
		if f := p.failures[t.version]; f.count > 0 {
			r.Problems = append(r.Problems, Problem{Rule: RuleInvalidObjects, Version: t.version, Count: f.count, Objects: f.list(),
				Message: fmt.Sprintf("version %s: %d of %s would be invalid under the new schema:", t.version, f.count, plural(p.seen, "existing object"))})
		}
		if n := p.already[t.version]; n > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("version %s: %s already invalid under the live schema, in the same fields (the change does not make them worse)", t.version, plural(n, "object")))
		}
		if m := p.pruned[t.version]; len(m) > 0 {
			paths := make([]string, 0, len(m))
			for path := range m {
				paths = append(paths, path)
			}
			sort.Strings(paths)
			parts := make([]string, len(paths))
			for i, path := range paths {
				parts[i] = fmt.Sprintf("%s (%s)", path, plural(m[path], "object"))
			}
			r.Warnings = append(r.Warnings, fmt.Sprintf("version %s: the new schema does not have %s: the API server drops them when it reads the objects, and they are lost at the next write",
				t.version, strings.Join(parts, ", ")))
		}
	}
	for _, u := range p.unserved {
		f := p.written[u]
		if f.count == 0 {
			continue
		}
		why := "written in it (managedFields)"
		if stored[u] {
			why = "possibly stored in it (it is in status.storedVersions)"
		}
		r.Problems = append(r.Problems, Problem{Rule: RuleVersionUnserved, Version: u, Count: f.count, Objects: f.list(),
			Message: fmt.Sprintf("version %s is no longer served, with no conversion webhook and a schema unlike the new storage version %s's; %s %s:",
				u, p.storage, plural(f.count, "existing object"), isAre(f.count, why))})
	}
}

func isAre(n int, what string) string {
	if n == 1 {
		return "is " + what
	}
	return "are " + what
}
