package overlay

import (
	"fmt"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/parallel"
	"github.com/lade-dev/lade/pkg/render"
)

// Sharded builds.
//
// krusty's cost grows faster than the object count (every append, patch
// and namespace change looks ids up in the whole resource list, the
// name-reference pass pairs referrers with candidates), and one run uses
// one core. When the overlay only
// changes each object on its own, running krusty on shards of the base
// concurrently gives exactly the result of one run; perObject decides that
// conservatively from the overlay's files and buildSharded checks the
// outputs, and falls back to one run on any doubt.
//
// Why a shard's result is the one-run result, for a kustomization that
// perObject accepts (one kustomization file; namespace, labels,
// commonAnnotations, images, and patches that all have a target and no
// options, none of whose JSON operations touch apiVersion, kind or
// metadata/name):
//   - each of these transformers selects objects by their own fields
//     (target selectors, fieldspecs by kind) and changes only the object it
//     selected; none of them errs when nothing is selected;
//   - objects are never renamed (patches restore name and kind, JSON ops
//     may not write them), so in the name-reference pass every candidate
//     referral has the referrer's old name: a scalar reference is left
//     as it is (and cannot be ambiguous). Only references written as a
//     {name, namespace} mapping (RoleBinding subjects, webhook services,
//     StorageClass secretRef, Node configSource) are rewritten, and they
//     depend on every candidate: when the base has such referrers, they
//     and every object of the kinds they refer to share one shard, in
//     their base order, and see the candidates one run would;
//   - the checks kustomize makes across objects (id conflicts on append,
//     after a patch, after the namespace change) can only fail on two
//     objects with the same kind and name: buildSharded falls back when
//     two results have the same kind and name, and when results and base
//     documents do not pair one to one (a List, an empty or local-config
//     document, a patch deleting or replacing a whole object, which
//     drops lade's document tag);
//   - kustomize prints deprecation warnings once per run: deprecated
//     fields (commonLabels, patchesJson6902, ...) are not accepted;
//   - krusty's default options do not reorder: one run returns objects in
//     base order, and so does buildSharded.

// shardSize is the number of base documents per krusty run: small enough
// that the quadratic parts are cheap, large enough that the per-run set-up
// (loading the kustomization, configuring transformers) stays small.
const shardSize = 32

// minSharded is the smallest base worth sharding.
const minSharded = 2 * shardSize

// perObjectFields are the kustomization fields perObject accepts.
var perObjectFields = map[string]bool{
	"apiVersion": true, "kind": true, "metadata": true,
	"namespace": true, "labels": true, "commonAnnotations": true,
	"images": true, "patches": true,
}

// mappingReferrers are the kinds kustomize's name-reference configuration
// (v0.21.2) has refer to other objects through a {name, namespace} mapping
// (or might, for Role and ClusterRole resourceNames and APIService), and
// mappingReferrals the kinds they refer to.
var (
	mappingReferrers = map[string]bool{
		"RoleBinding": true, "ClusterRoleBinding": true, "Role": true, "ClusterRole": true,
		"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
		"StorageClass": true, "Node": true, "APIService": true,
	}
	mappingReferrals = map[string]bool{
		"ServiceAccount": true, "Service": true, "Secret": true, "ConfigMap": true,
	}
)

// perObject reports whether the overlay only changes each object on its
// own (see the comment above), so that shards of the base can be built
// separately.
func (o *Overlay) perObject() bool {
	rootFile, err := o.Root()
	if err != nil {
		return false
	}
	for p, data := range o.Files {
		if p != rootFile && slices.Contains(kustomizationNames, path.Base(p)) {
			return false
		}
		// Build annotations a patch could carry to rename its target.
		if strings.Contains(string(data), "allowNameChange") || strings.Contains(string(data), "allowKindChange") {
			return false
		}
	}
	var k map[string]any
	if err := yaml.Unmarshal(o.Files[rootFile], &k); err != nil {
		return false
	}
	if kind, _ := k["kind"].(string); kind != "" && kind != "Kustomization" {
		return false
	}
	for f := range k {
		if !perObjectFields[f] {
			return false
		}
	}
	if k["patches"] != nil {
		l, ok := k["patches"].([]any)
		if !ok {
			return false
		}
		for _, e := range l {
			if !o.perObjectPatch(rootFile, e) {
				return false
			}
		}
	}
	return true
}

// perObjectPatch accepts a patches entry with a target, no options, and
// no JSON operation on apiVersion, kind or metadata/name.
func (o *Overlay) perObjectPatch(rootFile string, e any) bool {
	m, ok := e.(map[string]any)
	if !ok {
		return false
	}
	for f := range m {
		if f != "path" && f != "patch" && f != "target" {
			return false
		}
	}
	t, ok := m["target"].(map[string]any)
	if !ok || len(t) == 0 {
		return false
	}
	// Selectors with Gt/Lt requirements log a line per object whose label
	// is not a number: shards would interleave those lines differently.
	for _, f := range []string{"labelSelector", "annotationSelector"} {
		if sel, _ := t[f].(string); strings.ContainsAny(sel, "<>") {
			return false
		}
	}
	text, _ := m["patch"].(string)
	if p, ok := m["path"].(string); ok {
		data, found := o.Files[path.Clean(path.Join(path.Dir(rootFile), p))]
		if !found {
			return false
		}
		text = string(data)
	}
	return !renamesByJSON(text)
}

// renamesByJSON reports whether a patch, read as JSON 6902 operations,
// may write apiVersion, kind or metadata/name (or the whole object or its
// metadata). A strategic-merge patch does not read as a list of operations.
func renamesByJSON(text string) bool {
	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		return true
	}
	var ops []map[string]any
	if yaml.Unmarshal(j, &ops) != nil {
		var obj map[string]any
		// A mapping is a strategic-merge patch; anything else is refused.
		return yaml.Unmarshal(j, &obj) != nil
	}
	for _, op := range ops {
		for _, f := range []string{"path", "from"} {
			v, present := op[f]
			if !present {
				continue
			}
			p, ok := v.(string)
			if !ok {
				return true
			}
			switch {
			case p == "" || p == "/" || p == "/metadata" || p == "/apiVersion" || p == "/kind" || p == "/metadata/name",
				strings.HasPrefix(p, "/apiVersion/"), strings.HasPrefix(p, "/kind/"), strings.HasPrefix(p, "/metadata/name/"):
				return true
			}
		}
	}
	return false
}

// baseObject is a base document tagged for a sharded build.
type baseObject struct {
	tagged                 []byte
	apiVersion, kind, name string
}

// shardResult is one object built by a shard.
type shardResult struct {
	index                  int
	apiVersion, kind, name string
	content                string
}

// buildSharded builds the base in shards (see above); ok is false when the
// result might differ from one run's, or a shard failed (one run then
// reports the error as it would).
func (o *Overlay) buildSharded(base []Doc, size int) ([]Doc, bool) {
	if !o.perObject() {
		return nil, false
	}
	rootFile, err := o.Root()
	if err != nil {
		return nil, false
	}
	root, _, err := rewriteRoot(rootFile, o.Files[rootFile], true, false, o.baseRef())
	if err != nil {
		return nil, false
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	// kustomize parses its built-in OpenAPI schema (once per process)
	// before its first strategic-merge patch, under its lock, but reads the
	// namespace-scope table the parse fills without it: a shard asking for
	// the scope of a custom resource while another shard parses could read
	// the table as it is written. Parse it before the shards run.
	if strings.Contains(string(o.Files[rootFile]), "patches") {
		openapi.Schema()
	}
	workers := runtime.GOMAXPROCS(0)
	// Tag the documents; a document neither appendTag nor setTag can tag
	// is left to one run, which reports it. The identity of each comes from
	// the head the render parsed, or from lade's head parser.
	objs := make([]baseObject, len(base))
	parallel.For(workers, len(base), func(i int) {
		tagged, ok := tagFast(base[i].Content, i)
		if !ok {
			if tagged, ok = setTag(base[i].Content, i); !ok {
				return
			}
		}
		h := base[i].Head
		if h == nil {
			h = new(render.Head)
			if render.ParseHead(base[i].Content, h) != nil {
				return
			}
		}
		ob := baseObject{tagged: tagged, apiVersion: h.APIVersion, kind: h.Kind}
		if h.Metadata != nil {
			ob.name = h.Metadata.Name
		}
		objs[i] = ob
	})
	for _, ob := range objs {
		if ob.tagged == nil {
			return nil, false
		}
	}

	// Shards: mapping referrers and what they refer to together, the rest
	// in runs of shardSize, each in base order.
	var shards [][]int
	together := false
	for _, ob := range objs {
		if mappingReferrers[ob.kind] {
			together = true
			break
		}
	}
	var first, rest []int
	for i, ob := range objs {
		if together && (mappingReferrers[ob.kind] || mappingReferrals[ob.kind]) {
			first = append(first, i)
		} else {
			rest = append(rest, i)
		}
	}
	if len(first) > 0 {
		shards = append(shards, first)
	}
	for len(rest) > 0 {
		n := min(size, len(rest))
		shards = append(shards, rest[:n])
		rest = rest[n:]
	}
	if len(shards) < 2 {
		return nil, false
	}

	results := make([][]shardResult, len(shards))
	failed := make([]bool, len(shards))
	parallel.For(workers, len(shards), func(s int) {
		res, err := o.buildShard(shards[s], objs, rootFile, root)
		if err != nil {
			failed[s] = true
			return
		}
		results[s] = res
	})
	if slices.Contains(failed, true) {
		return nil, false
	}

	// Results and base documents pair one to one, nothing was renamed, and
	// no two results have the same kind and name.
	all := make([]shardResult, 0, len(base))
	seen := make([]bool, len(base))
	names := make(map[[2]string]bool, len(base))
	for _, rs := range results {
		for _, r := range rs {
			if r.index < 0 || seen[r.index] {
				return nil, false
			}
			seen[r.index] = true
			ob := objs[r.index]
			if r.apiVersion != ob.apiVersion || r.kind != ob.kind || r.name != ob.name {
				return nil, false
			}
			key := [2]string{r.kind, r.name}
			if names[key] {
				return nil, false
			}
			names[key] = true
			all = append(all, r)
		}
	}
	if len(all) != len(base) {
		return nil, false
	}
	// krusty's default options keep the order resources were read in.
	sort.Slice(all, func(i, j int) bool { return all[i].index < all[j].index })
	out := make([]Doc, len(all))
	for i, r := range all {
		out[i] = Doc{Source: base[r.index].Source, Content: r.content, Index: r.index}
	}
	return out, true
}

// buildShard runs krusty on the base documents idx (indices into objs).
func (o *Overlay) buildShard(idx []int, objs []baseObject, rootFile string, root []byte) ([]shardResult, error) {
	fsys, err := o.memFS(rootFile, root)
	if err != nil {
		return nil, err
	}
	var k strings.Builder
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, i := range idx {
		name := docPrefix + strconv.Itoa(i) + ".yaml"
		fmt.Fprintf(&k, "- %s\n", name)
		if err := fsys.WriteFile(path.Join(baseDir, name), objs[i].tagged); err != nil {
			return nil, err
		}
	}
	if err := fsys.WriteFile(path.Join(baseDir, "kustomization.yaml"), []byte(k.String())); err != nil {
		return nil, err
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, o.buildDir())
	if err != nil {
		return nil, err
	}
	out := make([]shardResult, 0, m.Size())
	for _, r := range m.Resources() {
		i, tagged := docIndex(&r.RNode, len(objs))
		if !tagged {
			i = -1
		}
		// As one run does (Build, with origin annotations off); krusty has
		// already cleared them, so that changes nothing.
		content, err := finish(r, false)
		if err != nil {
			return nil, err
		}
		out = append(out, shardResult{
			index:      i,
			apiVersion: r.GetApiVersion(),
			kind:       r.GetKind(),
			name:       r.GetName(),
			content:    content,
		})
	}
	return out, nil
}
