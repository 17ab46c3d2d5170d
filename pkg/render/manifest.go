package render

import (
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/lade-dev/lade/internal/parallel"
	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/object"
)

// Hook annotations, as Helm defines them.
const (
	HookAnnotation          = "helm.sh/hook"
	HookWeightAnnotation    = "helm.sh/hook-weight"
	HookDeleteAnnotation    = "helm.sh/hook-delete-policy"
	HookOutputLogAnnotation = "helm.sh/hook-output-log-policy"
)

// HookEvent is a lifecycle point a hook runs at.
type HookEvent = object.HookEvent

// Hook events, as Helm names them.
const (
	HookPreInstall   = object.HookPreInstall
	HookPostInstall  = object.HookPostInstall
	HookPreDelete    = object.HookPreDelete
	HookPostDelete   = object.HookPostDelete
	HookPreUpgrade   = object.HookPreUpgrade
	HookPostUpgrade  = object.HookPostUpgrade
	HookPreRollback  = object.HookPreRollback
	HookPostRollback = object.HookPostRollback
	HookTest         = object.HookTest
)

var hookEvents = map[string]HookEvent{
	"pre-install": HookPreInstall, "post-install": HookPostInstall,
	"pre-delete": HookPreDelete, "post-delete": HookPostDelete,
	"pre-upgrade": HookPreUpgrade, "post-upgrade": HookPostUpgrade,
	"pre-rollback": HookPreRollback, "post-rollback": HookPostRollback,
	"test": HookTest, "test-success": HookTest,
}

// Hook is a rendered object annotated with helm.sh/hook, in the shape a
// release record stores it (see package object).
type Hook = object.Hook

// Head is the part of an object the sorter reads.
type Head = object.Head

// Manifest is one YAML document rendered from the template at Path (see
// package object for the shapes an object takes between the stages).
// Object is set when the render was asked for objects
// (Options.ParseObjects) and could vouch for the parse.
type Manifest = object.Doc

// SortManifests splits rendered templates into documents, separates hooks,
// and orders both by kind (order, e.g. InstallOrder), stably, as Helm does.
func SortManifests(files map[string]string, order KindOrder) ([]*Hook, []Manifest, error) {
	return sortManifests(files, order, false)
}

// sortManifests is SortManifests; with objects, the documents that become
// manifests are parsed whole (Manifest.Object) and their heads read from
// that parse where it is certain to give the same head (parseDocument).
func sortManifests(files map[string]string, order KindOrder, objects bool) ([]*Hook, []Manifest, error) {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)

	// Split every file, then parse the documents' heads concurrently: YAML
	// parsing dominates sorting. Results are assembled in order, so output and
	// the error reported (the first document that fails) match Helm's.
	type doc struct {
		path, text string
		head       Head
		obj        map[string]any
		err        error
	}
	var docs []*doc
	for _, p := range paths {
		content := files[p]
		if strings.HasPrefix(path.Base(p), "_") || strings.TrimSpace(content) == "" {
			continue
		}
		for _, d := range yamljson.SplitDocuments(content) {
			docs = append(docs, &doc{path: p, text: d})
		}
	}
	parallel.For(0, len(docs), func(i int) {
		d := docs[i]
		if objects {
			d.obj, d.err = parseDocument(d.path, d.text, &d.head)
			return
		}
		d.err = ParseHead(d.text, &d.head)
	})

	var hooks []*Hook
	var manifests []Manifest
	for _, d := range docs {
		if d.err != nil {
			return hooks, manifests, fmt.Errorf("YAML parse error on %s: %w", d.path, d.err)
		}
		head := &d.head
		var hookSpec string
		var isHook bool
		if head.Metadata != nil {
			hookSpec, isHook = head.Metadata.Annotations[HookAnnotation]
		}
		if !isHook {
			manifests = append(manifests, Manifest{Path: d.path, Content: d.text, Head: head, Object: d.obj})
			continue
		}
		h, ok := newHook(d.path, d.text, head, hookSpec)
		if !ok {
			slog.Info("skipping unknown hooks", "hookTypes", hookSpec)
			continue
		}
		hooks = append(hooks, h)
	}
	sort.SliceStable(hooks, func(i, j int) bool { return order.less(hooks[i].Kind, hooks[j].Kind) })
	sort.SliceStable(manifests, func(i, j int) bool { return order.less(manifests[i].Head.Kind, manifests[j].Head.Kind) })
	return hooks, manifests, nil
}

func newHook(p, doc string, head *Head, spec string) (*Hook, bool) {
	ann := head.Metadata.Annotations
	w, err := strconv.Atoi(ann[HookWeightAnnotation])
	if err != nil {
		w = 0
	}
	h := &Hook{
		Name: head.Metadata.Name, Kind: head.Kind, Path: p, Manifest: doc, Weight: w,
		Events: []HookEvent{}, DeletePolicies: []string{}, OutputLogPolicies: []string{},
	}
	for ev := range strings.SplitSeq(spec, ",") {
		e, ok := hookEvents[strings.ToLower(strings.TrimSpace(ev))]
		if !ok {
			return nil, false
		}
		h.Events = append(h.Events, e)
	}
	h.DeletePolicies = annotationList(ann, HookDeleteAnnotation, h.DeletePolicies)
	h.OutputLogPolicies = annotationList(ann, HookOutputLogAnnotation, h.OutputLogPolicies)
	return h, true
}

func annotationList(ann map[string]string, key string, into []string) []string {
	v, ok := ann[key]
	if !ok {
		return into
	}
	for x := range strings.SplitSeq(v, ",") {
		into = append(into, strings.ToLower(strings.TrimSpace(x)))
	}
	return into
}

// KindOrder ranks kinds; kinds not listed sort after listed ones, alphabetically.
type KindOrder []string

// InstallOrder is Helm's install order of kinds.
var InstallOrder = KindOrder{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
}

// UninstallOrder is Helm's uninstall order of kinds.
var UninstallOrder = KindOrder{
	"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService", "Ingress",
	"IngressClass", "Service", "CronJob", "Job", "StatefulSet", "HorizontalPodAutoscaler",
	"Deployment", "ReplicaSet", "ReplicationController", "Pod", "DaemonSet", "RoleBindingList",
	"RoleBinding", "RoleList", "Role", "ClusterRoleBindingList", "ClusterRoleBinding",
	"ClusterRoleList", "ClusterRole", "CustomResourceDefinition", "PersistentVolumeClaim",
	"PersistentVolume", "StorageClass", "ConfigMap", "SecretList", "Secret", "ServiceAccount",
	"PodDisruptionBudget", "PodSecurityPolicy", "LimitRange", "ResourceQuota", "NetworkPolicy",
	"Namespace", "PriorityClass",
}

func (o KindOrder) rank(kind string) (int, bool) {
	for i, k := range o {
		if k == kind {
			return i, true
		}
	}
	return 0, false
}

func (o KindOrder) less(a, b string) bool {
	ra, aok := o.rank(a)
	rb, bok := o.rank(b)
	switch {
	case !aok && !bok:
		return a < b
	case !aok:
		return false
	case !bok:
		return true
	}
	return ra < rb
}
