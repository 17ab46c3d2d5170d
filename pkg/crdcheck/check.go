package crdcheck

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/dynamic"
)

// Options bound the check of existing objects.
type Options struct {
	// Client lists the existing custom resources; nil checks the
	// definitions only (a warning says the objects were not checked).
	Client dynamic.Interface
	// PageSize is the number of objects listed per request (default 500).
	PageSize int64
	// Workers validate objects concurrently (default min(GOMAXPROCS, 4)).
	Workers int
	// MaxObjects is the most objects of one definition checked (default
	// 100,000); over it the change is refused (RuleTooManyObjects).
	MaxObjects int
	// MaxShown is the number of objects a problem describes (default 10).
	MaxShown int
}

func (o Options) withDefaults() Options {
	if o.PageSize <= 0 {
		o.PageSize = 500
	}
	if o.Workers <= 0 {
		o.Workers = min(runtime.GOMAXPROCS(0), 4)
	}
	if o.MaxObjects <= 0 {
		o.MaxObjects = 100_000
	}
	if o.MaxShown <= 0 {
		o.MaxShown = 10
	}
	return o
}

// Check checks replacing live (nil: none in the cluster) with next. The
// returned error is about the check itself (the cluster could not be
// read); a refused change is a Result with Problems (see Refusal).
func Check(ctx context.Context, live, next *apiextensionsv1.CustomResourceDefinition, o Options) (*Result, error) {
	o = o.withDefaults()
	r := &Result{Name: next.Name, Change: Create}
	validators := map[string]*validator{} // next's versions
	for _, v := range next.Spec.Versions {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		val, err := newValidator(v.Schema.OpenAPIV3Schema)
		if err != nil {
			r.Problems = append(r.Problems, Problem{Rule: RuleNotStructural, Version: v.Name,
				Message: fmt.Sprintf("version %s: the new %s", v.Name, err)})
			continue
		}
		validators[v.Name] = val
	}
	if live == nil {
		return r, nil
	}
	r.Change = Update
	if sameSpec(live, next) {
		r.Change = Unchanged
		return r, nil
	}
	r.Problems = append(r.Problems, immutable(live, next)...)
	r.Problems = append(r.Problems, droppedStored(live, next)...)
	if slices.ContainsFunc(r.Problems, func(p Problem) bool { return p.Rule == RuleImmutable }) {
		// Another resource altogether: its objects are not the new one's.
		return r, nil
	}
	p := plan(live, next, validators)
	r.Warnings = append(r.Warnings, p.notes...)
	if len(p.passes) == 0 {
		return r, nil
	}
	if o.Client == nil {
		r.Warnings = append(r.Warnings, "existing objects not checked: no cluster to list them from")
		return r, nil
	}
	for _, ps := range p.passes {
		if err := ps.run(ctx, live, o, r); err != nil {
			var tooMany *tooManyError
			if errors.As(err, &tooMany) {
				r.Problems = append(r.Problems, Problem{Rule: RuleTooManyObjects, Version: ps.source, Count: tooMany.count,
					Message: fmt.Sprintf("%s existing objects (version %s): over the check's limit of %d, so they were not checked; "+
						"apply the definition yourself after checking them, or force the update", tooMany.countText(), ps.source, o.MaxObjects)})
				return r, nil
			}
			return r, fmt.Errorf("check CustomResourceDefinition %s: %w", next.Name, err)
		}
	}
	return r, nil
}

// sameSpec reports whether the two definitions have the same spec once
// the API server's defaults are filled in on both.
func sameSpec(live, next *apiextensionsv1.CustomResourceDefinition) bool {
	a, b := live.DeepCopy(), next.DeepCopy()
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(a)
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(b)
	return equality.Semantic.DeepEqual(a.Spec, b.Spec)
}

// immutable refuses changes to the fields that decide where objects are
// stored: a new value makes another resource, and the API server refuses it.
func immutable(live, next *apiextensionsv1.CustomResourceDefinition) []Problem {
	var ps []Problem
	check := func(field, was, is string) {
		if was != is {
			ps = append(ps, Problem{Rule: RuleImmutable, Message: fmt.Sprintf(
				"%s changes from %q to %q: existing objects are stored under the old value (the API server refuses the change; "+
					"a new definition under another name, with its objects migrated, is the way)", field, was, is)})
		}
	}
	check("spec.scope", string(live.Spec.Scope), string(next.Spec.Scope))
	check("spec.group", live.Spec.Group, next.Spec.Group)
	check("spec.names.plural", live.Spec.Names.Plural, next.Spec.Names.Plural)
	check("spec.names.kind", live.Spec.Names.Kind, next.Spec.Names.Kind)
	return ps
}

// droppedStored refuses removing a version objects may still be stored in.
func droppedStored(live, next *apiextensionsv1.CustomResourceDefinition) []Problem {
	var ps []Problem
	for _, v := range live.Status.StoredVersions {
		if version(next, v) == nil {
			ps = append(ps, Problem{Rule: RuleStoredVersionDropped, Version: v, Message: fmt.Sprintf(
				"version %s is dropped, but it is in the live status.storedVersions: objects may still be stored in it "+
					"(migrate them to the storage version, remove %s from status.storedVersions, then drop it)", v, v)})
		}
	}
	return ps
}

// checkPlan is which objects to list, at which versions, and what to check.
type checkPlan struct {
	passes []*pass
	notes  []string // versions not checked, and why
}

// target is a version of next whose objects are validated.
type target struct {
	version string
	next    *validator
	live    *apiextensionsv1.JSONSchemaProps // the live schema of that version, nil if none
}

// plan decides the listing passes: the served versions of next whose
// schema changed are targets; versions no longer served, without a
// conversion webhook and with a schema unlike next's storage version's,
// are candidates of the version-unserved rule. Without webhooks every
// version serves the same objects, so one listing feeds all; with a
// webhook each target version is listed at itself.
func plan(live, next *apiextensionsv1.CustomResourceDefinition, validators map[string]*validator) checkPlan {
	var p checkPlan
	var targets []target
	for _, v := range next.Spec.Versions {
		if !v.Served || validators[v.Name] == nil {
			continue
		}
		was := schemaOf(live, v.Name)
		if was != nil && equality.Semantic.DeepEqual(was, v.Schema.OpenAPIV3Schema) {
			continue
		}
		targets = append(targets, target{version: v.Name, next: validators[v.Name], live: was})
	}
	webhook := webhookConversion(live) || webhookConversion(next)
	var unserved []string
	if !webhook {
		nextSchema := schemaOf(next, storageVersion(next))
		for _, v := range live.Spec.Versions {
			dropped := version(next, v.Name) == nil && slices.Contains(live.Status.StoredVersions, v.Name) // refused already
			if v.Served && !served(next, v.Name) && !dropped && !equality.Semantic.DeepEqual(schemaOf(live, v.Name), nextSchema) {
				unserved = append(unserved, v.Name)
			}
		}
	}
	if len(targets) == 0 && len(unserved) == 0 {
		return p
	}
	if !webhook {
		if source := listVersion(live); source != "" {
			p.passes = append(p.passes, &pass{source: source, group: next.Spec.Group, storage: storageVersion(next), targets: targets, unserved: unserved})
		}
		return p
	}
	for _, t := range targets {
		if !served(live, t.version) {
			p.notes = append(p.notes, fmt.Sprintf("version %s: existing objects not checked: they reach it only through the new conversion webhook", t.version))
			continue
		}
		p.passes = append(p.passes, &pass{source: t.version, group: next.Spec.Group, storage: storageVersion(next), targets: []target{t}})
	}
	return p
}

// listVersion is the version the live definition lists objects at: its
// storage version if served, else its first served version.
func listVersion(live *apiextensionsv1.CustomResourceDefinition) string {
	if s := storageVersion(live); served(live, s) {
		return s
	}
	for _, v := range live.Spec.Versions {
		if v.Served {
			return v.Name
		}
	}
	return ""
}

// plural returns n and the noun, pluralised with s when n != 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, strings.TrimSuffix(noun, "s"))
}
