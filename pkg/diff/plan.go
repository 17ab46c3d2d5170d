package diff

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/lade-dev/lade/pkg/crdcheck"
	"github.com/lade-dev/lade/pkg/kube"
)

// Action is what an operation does to one object.
type Action string

// Actions, with their summary symbols + ~ - and =.
const (
	Create    Action = "create"
	Update    Action = "update"
	Delete    Action = "delete"
	Unchanged Action = "unchanged"
)

// Symbol is the one-character mark of the action in summaries.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	}
	return "="
}

// Conflict is a set of fields of one object owned by another field manager
// with different values than the apply sets.
type Conflict struct {
	Manager string   `json:"manager"`
	Fields  []string `json:"fields"`
	// Forced is true when the apply takes the fields over anyway: the
	// object already belongs to the release, or --force-conflicts was given.
	// Otherwise the apply fails unless it is run with --force-conflicts.
	Forced bool `json:"forced"`
}

// Change is the diff of one object.
type Change struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Namespace  string        `json:"namespace,omitempty"`
	Name       string        `json:"name"`
	Action     Action        `json:"change"`
	Fields     []FieldChange `json:"fields,omitempty"`
	Conflicts  []Conflict    `json:"conflicts,omitempty"`
	// Note explains a prediction that is not a server dry-run (a custom
	// resource whose CustomResourceDefinition the same operation creates).
	Note string `json:"note,omitempty"`

	// Old and New are the normalised (and, unless ShowSecrets, masked)
	// objects as YAML; "" when the object does not exist on that side.
	Old string `json:"-"`
	New string `json:"-"`
	// Live is the object as read from the cluster and Predicted the
	// object as the dry-run returned it (nil when absent), unmasked.
	Live      *unstructured.Unstructured `json:"-"`
	Predicted *unstructured.Unstructured `json:"-"`
}

// Title is "Kind namespace/name" (or "Kind name" when cluster-scoped).
func (c *Change) Title() string {
	if c.Namespace == "" {
		return c.Kind + " " + c.Name
	}
	return c.Kind + " " + c.Namespace + "/" + c.Name
}

// Summary counts the changes of a report.
type Summary struct {
	Create    int `json:"create"`
	Update    int `json:"update"`
	Delete    int `json:"delete"`
	Unchanged int `json:"unchanged"`
	// Blocked counts objects whose conflicts make the apply fail without --force-conflicts.
	Blocked int `json:"blocked"`
}

// Report is the diff of one operation. Changes hold created, updated and
// deleted objects (not unchanged ones) in apply order, deletions last.
type Report struct {
	// From and To name the two sides ("live", "upgrade to revision 4").
	From    string    `json:"from"`
	To      string    `json:"to"`
	Changes []*Change `json:"changes"`
	Summary Summary   `json:"summary"`
	// CRDs are the compatibility checks of the CustomResourceDefinitions
	// the operation changes (set by the caller; see pkg/crdcheck).
	CRDs []*crdcheck.Result `json:"crds,omitempty"`
}

// HasChanges reports whether the operation would change anything.
func (r *Report) HasChanges() bool { return len(r.Changes) > 0 }

// Input describes an apply to predict.
type Input struct {
	// Desired are the objects the operation applies (ownership metadata set),
	// in apply order.
	Desired []*kube.Resource
	// Unmapped are custom resources whose CustomResourceDefinition is created
	// by the same operation: shown as creates without a dry-run.
	Unmapped []*unstructured.Unstructured
	// Unchecked are custom resources of CustomResourceDefinitions the same
	// operation changes before applying them: a dry-run now would check
	// them against the old schema. Each is shown as the live object with
	// the manifest's fields laid over it (a create when absent), without a
	// dry-run.
	Unchecked []*kube.Resource
	// Previous are the objects of the revision being replaced: those not in
	// Desired are deleted (except helm.sh/resource-policy: keep) and their
	// conflicts are forced, as the upgrade does.
	Previous []*kube.Resource
	// ForceConflicts is --force-conflicts.
	ForceConflicts bool
	// Adopt is --take-ownership: the client-side ownership of every
	// existing object is converted, not only of Previous's (see
	// kube.ApplyOptions.Adopt).
	Adopt bool
	// ReadLive, when set, returns the live objects of Desired (kube.GetAll,
	// same order), e.g. from a read the caller started beforehand; Apply
	// reads them itself otherwise. Dry-runs start before they are needed.
	ReadLive func() ([]*unstructured.Unstructured, error)
	// Unchanged holds the keys (Resource.Key) of desired objects identical
	// to what lade applied for them in the release's newest revision
	// (release.UnchangedObjects): the upgrade does not apply those whose
	// live state still holds every field lade set (kube.UpToDate), so
	// neither does the diff: they are reported unchanged without a dry-run.
	Unchanged map[string]bool
	// FieldManager is the field manager the operation applies as
	// (default kube.FieldManager).
	FieldManager string
	// NewNamespaces are namespaces the operation creates before it applies
	// (an install's --create-namespace): where one does not exist yet its
	// objects are shown as creates from the manifest, as for a Namespace
	// object in Desired.
	NewNamespaces []string
}

// Options tune how diffs are computed.
type Options struct {
	// Concurrency bounds parallel requests (default: the client's, else 16).
	Concurrency int
	// ShowSecrets prints Secret values instead of masking them.
	ShowSecrets bool
	// NoFields leaves Change.Fields empty: the text outputs print the
	// unified diff of Old and New only, and listing field changes costs
	// client CPU for nothing there.
	NoFields bool
}

// Apply predicts an apply: for each desired object it reads the live object
// and server-side applies the object with dryRun=All (field manager lade), so
// the new side is exactly what the API server would store; conflicts are
// collected by first applying without force. Objects of Previous no longer
// desired are reported as deletions.
func Apply(ctx context.Context, kc *kube.Client, in Input, o Options) (*Report, error) {
	owned := map[string]bool{}
	for _, r := range in.Previous {
		owned[r.Key()] = true
	}
	manager := in.FieldManager
	if manager == "" {
		manager = kube.FieldManager
	}
	newNS := map[string]bool{}
	for _, ns := range in.NewNamespaces {
		newNS[ns] = true
	}
	for _, r := range in.Desired {
		if r.Kind() == "Namespace" && r.Object.GetAPIVersion() == "v1" {
			newNS[r.Name()] = true
		}
	}
	// The live objects are read while the dry-runs run: only comparing a
	// prediction needs its live object, and only objects the upgrade may
	// skip (Unchanged) need theirs before the dry-run.
	read := in.ReadLive
	if read == nil {
		read = ReadLive(ctx, kc, in.Desired)
	}
	lives := func() ([]*unstructured.Unstructured, error) {
		objs, err := read()
		if err == nil && len(objs) != len(in.Desired) {
			err = fmt.Errorf("read %d live objects for %d desired ones", len(objs), len(in.Desired))
		}
		return objs, err
	}
	var todo, maybe []int
	for i, r := range in.Desired {
		if in.Unchanged[r.Key()] {
			maybe = append(maybe, i)
		} else {
			todo = append(todo, i)
		}
	}
	todo = append(todo, maybe...)
	desired := make([]*Change, len(in.Desired))
	err := each(ctx, concurrency(kc, o), len(todo), func(j int) error {
		i := todo[j]
		r := in.Desired[i]
		skippable := in.Unchanged[r.Key()]
		dry := func() (prediction, error) {
			return dryRun(ctx, kc, r, manager, in.ForceConflicts || owned[r.Key()], newNS, o)
		}
		var p prediction
		var err error
		if !skippable {
			if p, err = dry(); err != nil {
				return err
			}
		}
		objs, err := lives()
		if err != nil {
			return err
		}
		l := objs[i]
		if skippable {
			if kube.UpToDateFor(r.Object, l, manager) {
				// The apply would change nothing (no field of lade's differs,
				// none to remove, no conflict): the live object is the prediction.
				c := change(l, Unchanged)
				c.Live, c.Predicted = l, l
				finish(c, l.Object, l.Object, o)
				desired[i] = c
				return nil
			}
			if p, err = dry(); err != nil {
				return err
			}
		}
		if (owned[r.Key()] || in.Adopt) && p.pred != nil {
			// The apply first converts Helm's and kubectl's client-side
			// ownership to the release's manager (kube.Client.TakeOver):
			// predict that too.
			pred, csa, err := kc.PredictTakeOver(ctx, r, manager, l, p.pred)
			if err != nil {
				return err
			}
			p.pred = pred
			p.conflicts = withoutManagers(p.conflicts, csa)
		}
		desired[i] = compare(r, p, l, o)
		return nil
	})
	if _, lerr := lives(); lerr != nil {
		// The read's error first, as when it came before the dry-runs.
		return nil, lerr
	}
	if err != nil {
		return nil, err
	}
	changes := desired
	for _, u := range in.Unmapped {
		c := change(u, Create)
		c.Predicted = u
		c.Note = "custom resource of a CustomResourceDefinition this operation creates: shown from the manifest (no dry-run is possible before the CRD exists)"
		finish(c, nil, u.Object, o)
		changes = append(changes, c)
	}
	unchecked, err := kc.GetAll(ctx, in.Unchecked)
	if err != nil {
		return nil, err
	}
	for i, r := range in.Unchecked {
		changes = append(changes, laidOver(r, unchecked[i], o))
	}
	keep := map[string]bool{}
	for _, r := range in.Desired {
		keep[r.Key()] = true
	}
	for _, r := range in.Unchecked {
		keep[r.Key()] = true
	}
	for _, u := range in.Unmapped {
		keep[unstructuredKey(u)] = true
	}
	var gone []*kube.Resource
	for _, r := range in.Previous {
		if keep[r.Key()] || r.Object.GetAnnotations()[kube.ResourcePolicyAnno] == kube.ResourcePolicyKeep {
			continue
		}
		gone = append(gone, r)
	}
	goneLive, err := kc.GetAll(ctx, gone)
	if err != nil {
		return nil, err
	}
	deleted := make([]*Change, len(gone))
	for i, live := range goneLive {
		if live == nil {
			continue
		}
		c := change(live, Delete)
		c.Live = live
		finish(c, live.Object, nil, o)
		deleted[i] = c
	}
	return report(append(changes, deleted...)), nil
}

// ReadLive starts reading the live objects of desired (kube.GetAll, same
// order) and returns a function waiting for them: for Input.ReadLive, to
// overlap the read with other work before Apply.
func ReadLive(ctx context.Context, kc *kube.Client, desired []*kube.Resource) func() ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		objs, err = kc.GetAll(ctx, desired)
	}()
	return func() ([]*unstructured.Unstructured, error) {
		<-done
		return objs, err
	}
}

// prediction is what a dry-run apply of a desired object returned: the
// object the API server would store and the conflicts (forced), or, when
// no dry-run is possible, the change to show.
type prediction struct {
	pred      *unstructured.Unstructured
	conflicts []Conflict
	shown     *Change
}

func dryRun(ctx context.Context, kc *kube.Client, r *kube.Resource, manager string, force bool, newNS map[string]bool, o Options) (prediction, error) {
	var conflicts []Conflict
	pred, err := kc.DryRunApplyAs(ctx, r, manager, false)
	var ce *kube.ConflictError
	if errors.As(err, &ce) {
		conflicts = groupConflicts(ce.Conflicts, force)
		pred, err = kc.DryRunApplyAs(ctx, r, manager, true)
	}
	if err != nil {
		if apierrors.IsNotFound(err) && r.Namespaced && newNS[r.Namespace()] {
			// The namespace is created by the same operation: nothing to dry-run against.
			c := change(r.Object, Create)
			c.Predicted = r.Object
			c.Note = "in a namespace this operation creates: shown from the manifest (no dry-run is possible before the namespace exists)"
			finish(c, nil, r.Object.Object, o)
			return prediction{shown: c}, nil
		}
		return prediction{}, err
	}
	return prediction{pred: pred, conflicts: conflicts}, nil
}

// compare makes the change of a desired object from its prediction and its
// live object (nil when it does not exist).
func compare(r *kube.Resource, p prediction, live *unstructured.Unstructured, o Options) *Change {
	if p.shown != nil {
		return p.shown
	}
	act := Update
	var old map[string]any
	if live == nil {
		act = Create
	} else {
		old = live.Object
	}
	c := change(p.pred, act)
	c.Live, c.Predicted, c.Conflicts = live, p.pred, p.conflicts
	newObj := Normalize(p.pred.Object)
	if live == nil {
		dropAllocated(newObj, r.Object.Object)
	}
	finishNormalized(c, Normalize(old), newObj, o)
	return c
}

// laidOver is the change of an Input.Unchecked object r: the live object
// (nil when absent) with r's fields laid over it, as an apply of r sets
// them.
func laidOver(r *kube.Resource, live *unstructured.Unstructured, o Options) *Change {
	note := "custom resource of a CustomResourceDefinition this operation changes first: shown from the manifest laid over the live object (a dry-run now would check it against the old schema)"
	if live == nil {
		c := change(r.Object, Create)
		c.Predicted, c.Note = r.Object, note
		finish(c, nil, r.Object.Object, o)
		return c
	}
	pred := &unstructured.Unstructured{Object: overlay(live.DeepCopy().Object, r.Object.Object)}
	c := change(pred, Update)
	c.Live, c.Predicted, c.Note = live, pred, note
	finish(c, live.Object, pred.Object, o)
	return c
}

// overlay sets the fields of m in dst, merging maps key by key (lists and
// other values are replaced, shared with m), and returns dst.
func overlay(dst, m map[string]any) map[string]any {
	for k, v := range m {
		sub, ok := v.(map[string]any)
		if d, dok := dst[k].(map[string]any); ok && dok {
			dst[k] = overlay(d, sub)
			continue
		}
		dst[k] = v
	}
	return dst
}

// withoutManagers drops the conflicts with the managers a takeover converts.
func withoutManagers(cs []Conflict, managers sets.Set[string]) []Conflict {
	if managers.Len() == 0 {
		return cs
	}
	var out []Conflict
	for _, c := range cs {
		if !managers.Has(c.Manager) {
			out = append(out, c)
		}
	}
	return out
}

func groupConflicts(fcs []kube.FieldConflict, forced bool) []Conflict {
	by := map[string][]string{}
	for _, fc := range fcs {
		by[fc.Manager] = append(by[fc.Manager], fc.Field)
	}
	var out []Conflict
	for _, m := range sortedKeys(by) {
		f := by[m]
		sort.Strings(f)
		out = append(out, Conflict{Manager: m, Fields: f, Forced: forced})
	}
	return out
}

func change(u *unstructured.Unstructured, a Action) *Change {
	return &Change{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Action: a}
}

func finish(c *Change, old, new map[string]any, o Options) {
	finishNormalized(c, Normalize(old), Normalize(new), o)
}

// finishNormalized fills the action, the YAML sides and the field changes
// of c from normalised objects (nil when absent).
func finishNormalized(c *Change, old, new map[string]any, o Options) {
	if c.Action == Update && equalJSON(old, new) {
		c.Action = Unchanged
	}
	if !o.ShowSecrets {
		maskSecrets(old, new)
	}
	c.Old, c.New = toYAML(old), toYAML(new)
	if c.Action != Unchanged && !o.NoFields {
		c.Fields = FieldChanges(old, new)
	}
}

func toYAML(obj map[string]any) string {
	if obj == nil {
		return ""
	}
	var b strings.Builder
	writeYAML(&b, obj, 0)
	return b.String()
}

func unstructuredKey(u *unstructured.Unstructured) string {
	gvk := u.GroupVersionKind()
	return gvk.Group + "/" + gvk.Kind + "/" + u.GetNamespace() + "/" + u.GetName()
}

func report(all []*Change) *Report {
	rep := &Report{Changes: []*Change{}}
	for _, c := range all {
		if c == nil {
			continue
		}
		for _, cf := range c.Conflicts {
			if !cf.Forced {
				rep.Summary.Blocked++
				break
			}
		}
		switch c.Action {
		case Create:
			rep.Summary.Create++
		case Update:
			rep.Summary.Update++
		case Delete:
			rep.Summary.Delete++
		default:
			rep.Summary.Unchanged++
			continue
		}
		rep.Changes = append(rep.Changes, c)
	}
	return rep
}

// Drift predicts re-applying the deployed objects of a release: the old side
// is the live cluster, the new side what the release's manifest makes of it,
// so manual edits, deleted objects and fields other managers took over show
// as changes (with those managers as conflicts, which the apply forces).
func Drift(ctx context.Context, kc *kube.Client, deployed []*kube.Resource, unmapped []*unstructured.Unstructured, o Options) (*Report, error) {
	return Apply(ctx, kc, Input{Desired: deployed, Unmapped: unmapped, Previous: deployed}, o)
}

// Objects diffs two sets of objects without the cluster (two stored
// revisions): objects are matched by group, kind, namespace and name.
func Objects(old, new []*unstructured.Unstructured, o Options) *Report {
	oldBy := map[string]*unstructured.Unstructured{}
	for _, u := range old {
		oldBy[unstructuredKey(u)] = u
	}
	seen := map[string]bool{}
	var all []*Change
	for _, u := range new {
		k := unstructuredKey(u)
		seen[k] = true
		prev := oldBy[k]
		act := Update
		var po map[string]any
		if prev == nil {
			act = Create
		} else {
			po = prev.Object
		}
		c := change(u, act)
		c.Live, c.Predicted = prev, u
		finish(c, po, u.Object, o)
		all = append(all, c)
	}
	for _, u := range old {
		if seen[unstructuredKey(u)] {
			continue
		}
		c := change(u, Delete)
		c.Live = u
		finish(c, u.Object, nil, o)
		all = append(all, c)
	}
	return report(all)
}

func concurrency(kc *kube.Client, o Options) int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	if kc != nil && kc.Concurrency > 0 {
		return kc.Concurrency
	}
	return 16
}

// each runs f for 0..n-1 with at most lim running at once and returns the
// first error (the others are still waited for).
func each(ctx context.Context, lim, n int, f func(i int) error) error {
	sem := make(chan struct{}, lim)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
