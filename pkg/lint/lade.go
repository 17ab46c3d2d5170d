package lint

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsjson "sigs.k8s.io/json"

	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/crdcheck"
	"github.com/lade-dev/lade/pkg/kubeapis"
	"github.com/lade-dev/lade/pkg/lint/rules"
)

// IgnoreAnnotation suppresses rules for one object: "lade.dev/lint-ignore: ID[,ID]"
// (on the object or on its pod template).
const IgnoreAnnotation = "lade.dev/lint-ignore"

// RuleInfo describes one rule: its id, default severity and a one-line why.
type RuleInfo struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	Why      string   `json:"why"`
}

// Rule ids of lade's checks.
const (
	RuleSchema              = "schema"
	RuleAPIValidation       = "api-validation"
	RuleRemovedAPI          = "removed-api"
	RuleRequests            = "resource-requests"
	RuleMemoryLimit         = "memory-limit"
	RuleLimitsBelowRequests = "limits-below-requests"
	RuleImageTag            = "image-tag"
	RuleReadinessProbe      = "readiness-probe"
	RuleRWOReplicas         = "rwo-volume-replicas"
	RuleRolloutStuck        = "rollout-stuck"
	RuleRolloutUnavailable  = "rollout-all-unavailable"
	RulePDBBlocks           = "pdb-blocks-disruption"
	RuleServiceSelector     = "service-selector"
	RuleDanglingRef         = "dangling-reference"
	RuleHPAReplicas         = "hpa-replicas"
	RuleAntiAffinity        = "anti-affinity-nodes"
	RuleNetpolDeny          = "netpol-blocks-service"
	RulePrivileged          = "privileged"
	RuleHostPath            = "host-path"
	RuleRunAsRoot           = "run-as-root"
	// RuleCRDSchema is in crds.go.
)

var ruleTable = []RuleInfo{
	{RuleSchema, Error, "rendered objects of built-in kinds must decode strictly into the Kubernetes API types (no unknown fields, right types, required fields set)"},
	{RuleAPIValidation, Error, "the API server rejects values out of range (replicas -1, port 70000, negative quantities), invalid names and labels, and a workload selector that does not match its pod template's labels"},
	{RuleRemovedAPI, Error, "API versions Kubernetes removed cannot be installed: error when --kube-version no longer serves them, warning when it deprecates them (beside Helm's helm/deprecated-api warning)"},
	{RuleRequests, Warning, "without CPU and memory requests the scheduler cannot place pods sensibly and they are evicted first"},
	{RuleMemoryLimit, Warning, "without a memory limit one container can exhaust its node's memory"},
	{RuleLimitsBelowRequests, Error, "the API server rejects a limit lower than its request"},
	{RuleImageTag, Warning, "an image without a tag or with :latest changes under you and cannot be rolled back"},
	{RuleReadinessProbe, Warning, "without a readiness probe, traffic and rollouts proceed before the container is ready"},
	{RuleRWOReplicas, Warning, "replicas of a Deployment cannot share a ReadWriteOnce volume across nodes; use a StatefulSet with volumeClaimTemplates"},
	{RuleRolloutStuck, Error, "a rolling update with maxSurge 0 and maxUnavailable 0 cannot make progress (the API server rejects it)"},
	{RuleRolloutUnavailable, Warning, "maxUnavailable 100% takes every pod down during a rollout"},
	{RulePDBBlocks, Warning, "a PodDisruptionBudget allowing no disruption at the rendered replica count blocks node drains and upgrades"},
	{RuleServiceSelector, Warning, "a Service whose selector matches no pod template of the chart has no endpoints"},
	{RuleDanglingRef, Warning, "an Ingress or HorizontalPodAutoscaler pointing at an object the chart does not define does nothing"},
	{RuleHPAReplicas, Warning, "a workload scaled by an HPA that also sets replicas is scaled back on every upgrade"},
	{RuleAntiAffinity, Error, "required pod anti-affinity on the hostname with more replicas than nodes leaves pods Pending"},
	{RuleNetpolDeny, Warning, "a NetworkPolicy denying all ingress to pods a Service exposes makes the Service unreachable"},
	{RulePrivileged, Warning, "a privileged container has full access to its node"},
	{RuleHostPath, Warning, "hostPath volumes expose the node's filesystem and tie pods to nodes"},
	{RuleCRDSchema, Error, "a CustomResourceDefinition needs a structural schema for every version (the API server refuses it otherwise; error), and one preserving unknown fields at its root stores typos unchecked (warning); crds/ files included"},
	{RuleRunAsRoot, Warning, "containers that may run as root widen the impact of a compromise; set runAsNonRoot or a non-zero runAsUser"},
}

// Rules lists lade's own rules; Helm's rules report under helm/* ids
// (helm/chartfile, helm/values, helm/templates, helm/deprecated-api,
// helm/dependencies, helm/crds).
func Rules() []RuleInfo { return ruleTable }

// object is one rendered document.
type object struct {
	doc  rules.Doc
	obj  runtime.Object // typed built-in object, nil when unknown or undecodable
	own  bool           // from the linted chart's own templates (not a subchart's)
	meta metav1.ObjectMeta
	pod  *podTemplate

	pos     positions // field positions, built on first use
	posDone bool
	bad     []string // fields left out of obj for their type errors
}

// affected reports whether field is, contains or lies inside a field left
// out for a type error: checks on it would only repeat that error.
func (o *object) affected(field string) bool {
	within := func(inner, outer string) bool {
		rest, ok := strings.CutPrefix(inner, outer)
		return ok && (outer == "" || rest == "" || rest[0] == '.' || rest[0] == '[')
	}
	for _, b := range o.bad {
		if within(b, field) || within(field, b) {
			return true
		}
	}
	return false
}

func (o *object) ref() string { return o.doc.Kind + "/" + o.doc.Name }

// podTemplate is the pod part of a workload.
type podTemplate struct {
	labels      map[string]string
	annotations map[string]string
	spec        *corev1.PodSpec
	path        string // field path of the pod spec
	replicas    *int32 // nil: kind has no replicas (or default 1 where it has)
	hasReplicas bool   // kind has spec.replicas
	longRunning bool
}

type checker struct {
	o    Options
	r    *rules.Rendered
	msgs []Message
	all  []*object

	sources map[string]*sourceMap // template -> line map, built on first use
	fields  structFieldCache      // for the type checks of the objects
}

func (c *checker) report(o *object, rule string, field string, format string, args ...any) {
	if ignored(o, rule) {
		return
	}
	sev := Warning
	for _, r := range ruleTable {
		if r.ID == rule {
			sev = r.Severity
		}
	}
	c.reportSev(o, sev, rule, field, format, args...)
}

func (c *checker) reportSev(o *object, sev Severity, rule, field, format string, args ...any) {
	if ignored(o, rule) || rule != RuleSchema && field != "" && o.affected(field) {
		return
	}
	c.msgs = append(c.msgs, Message{Severity: sev, Path: o.doc.Template, Line: c.lineOf(o, field), Text: fmt.Sprintf(format, args...), Rule: rule, Object: o.ref(), Field: field})
}

func ignored(o *object, rule string) bool {
	in := func(ann map[string]string) bool {
		v, ok := ann[IgnoreAnnotation]
		if !ok {
			return false
		}
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id == rule || id == "all" {
				return true
			}
		}
		return false
	}
	if in(o.meta.Annotations) {
		return true
	}
	return o.pod != nil && in(o.pod.annotations)
}

// ladeRules runs the schema and orchestration checks on what the templates
// rule rendered: findings for the chart's own templates, with every object of
// the chart (subcharts included) available to cross-object rules.
func ladeRules(r *rules.Rendered, o Options) []Message {
	c := &checker{o: o, r: r, fields: structFieldCache{}}
	root := r.Chart.Name()
	for i := range r.Docs {
		c.all = append(c.all, &object{doc: r.Docs[i], own: true})
	}
	for key, out := range r.Files {
		rel := chartRelative(root, key)
		if !strings.HasPrefix(rel, "charts/") || !isYAMLName(rel) {
			continue
		}
		rules.ParseDocs(rel, out, func(d *rules.Doc, err error) bool {
			if err == nil && d != nil && d.Kind != "" {
				c.all = append(c.all, &object{doc: *d})
			}
			return true
		})
	}
	for _, ob := range c.all {
		c.decode(ob)
	}
	for _, ob := range c.all {
		if ob.own && ob.obj != nil {
			c.checkObject(ob)
		}
		if ob.own && ob.doc.Kind == crdcheck.Kind {
			c.checkCRD(ob)
		}
	}
	// Each template's findings together, in line order.
	order := map[string]int{}
	for _, m := range c.msgs {
		if _, ok := order[m.Path]; !ok {
			order[m.Path] = len(order)
		}
	}
	slices.SortStableFunc(c.msgs, func(a, b Message) int {
		if d := order[a.Path] - order[b.Path]; d != 0 {
			return d
		}
		return a.Line - b.Line
	})
	return c.msgs
}

func isYAMLName(n string) bool {
	e := strings.ToLower(path.Ext(n))
	return e == ".yaml" || e == ".yml"
}

// decode fills the typed object; for the chart's own objects it reports
// unknown fields, values of the wrong type, missing required fields and
// removed APIs, every one of them (see typeChecker).
func (c *checker) decode(ob *object) {
	d := ob.doc
	if d.Kind == "" || d.APIVersion == "" {
		return
	}
	typed := rules.NewBuiltin(d.APIVersion, d.Kind)
	if typed == nil {
		if ob.own {
			c.removedAPI(ob, false)
		}
		return
	}
	if meta.IsListType(typed) {
		// A List (v1 List, SecretList...) never reaches the API server:
		// Helm installs its items.
		return
	}
	data := d.JSON
	strictErrs, err := sigsjson.UnmarshalStrict(data, typed, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if len(strictErrs) > 0 || err != nil {
		// The strict decoder stops at the first bad value: find them all,
		// and decode what is left.
		tc := &typeChecker{fields: c.fields, raw: func(f string) (string, bool) {
			p := ob.positions()[f]
			return p.raw, p.plain
		}}
		if clean, cerr := tc.checkDoc(d.JSON, reflect.TypeOf(typed).Elem()); cerr == nil {
			data = clean
		}
		for _, p := range tc.problems {
			ob.bad = append(ob.bad, p.field)
			if ob.own {
				c.report(ob, RuleSchema, p.field, "%s: %s", p.field, p.text)
			}
		}
		typed = rules.NewBuiltin(d.APIVersion, d.Kind)
		strictErrs, err = sigsjson.UnmarshalStrict(data, typed, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	}
	if ob.own {
		// What the type checker cannot see (duplicate keys in a JSON
		// document) or, should it miss something, the decoder's own words.
		for _, se := range strictErrs {
			c.report(ob, RuleSchema, strictField(se.Error()), "%s", se.Error())
		}
		if err != nil {
			c.report(ob, RuleSchema, "", "%s", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if err != nil {
		if ob.own {
			c.removedAPI(ob, true)
		}
		return
	}
	ob.obj = typed
	if m, ok := typed.(metav1.Object); ok {
		ob.meta = metav1.ObjectMeta{Labels: m.GetLabels(), Annotations: m.GetAnnotations(), Name: m.GetName()}
	}
	ob.pod = podOf(typed)
	if ob.own {
		c.removedAPI(ob, true)
		c.required(ob)
	}
}

// positions indexes the object's rendered document on first use.
func (o *object) positions() positions {
	if !o.posDone {
		o.pos, o.posDone = indexPositions(o.doc.Source), true
	}
	return o.pos
}

// lineOf is the line of the template file a field of an object comes from:
// the field's line in the rendered text mapped back to the source (see
// sourceMap), or when the field was not written in the template itself (it
// came from an include or toYaml, or was left out and defaulted) the line of
// its nearest enclosing field that was, or of the object's kind. 0 when none
// can be placed.
func (c *checker) lineOf(o *object, field string) int {
	sm := c.sourceMap(o.doc.Template)
	if o.doc.Line == 0 || sm == nil {
		return 0
	}
	pos := o.positions()
	for f := field; ; f = parentField(f) {
		key := f
		if key == "" {
			key = "kind"
		}
		if p, ok := pos[key]; ok {
			if l := sm.line(o.doc.Line + p.line - 1); l > 0 {
				return l
			}
		}
		if f == "" {
			return 0
		}
	}
}

// sourceMap returns the line map of one of the chart's own templates (nil
// when it has none).
func (c *checker) sourceMap(template string) *sourceMap {
	if m, ok := c.sources[template]; ok {
		return m
	}
	var m *sourceMap
	for _, t := range c.r.Chart.Templates {
		if t.Name == template {
			if out, ok := c.r.Files[path.Join(c.r.Chart.Name(), template)]; ok {
				m = newSourceMap(string(t.Data), out)
			}
			break
		}
	}
	if c.sources == nil {
		c.sources = map[string]*sourceMap{}
	}
	c.sources[template] = m
	return m
}

// strictField pulls the field path out of `unknown field "a.b"`.
func strictField(msg string) string {
	if i := strings.IndexByte(msg, '"'); i >= 0 {
		if j := strings.LastIndexByte(msg, '"'); j > i {
			return msg[i+1 : j]
		}
	}
	return ""
}

func podOf(obj runtime.Object) *podTemplate {
	tmpl := func(t *corev1.PodTemplateSpec, p string, replicas *int32, hasReplicas, long bool) *podTemplate {
		return &podTemplate{labels: t.Labels, annotations: t.Annotations, spec: &t.Spec, path: p, replicas: replicas, hasReplicas: hasReplicas, longRunning: long}
	}
	switch w := obj.(type) {
	case *appsv1.Deployment:
		return tmpl(&w.Spec.Template, "spec.template.spec", w.Spec.Replicas, true, true)
	case *appsv1.StatefulSet:
		return tmpl(&w.Spec.Template, "spec.template.spec", w.Spec.Replicas, true, true)
	case *appsv1.ReplicaSet:
		return tmpl(&w.Spec.Template, "spec.template.spec", w.Spec.Replicas, true, true)
	case *appsv1.DaemonSet:
		return tmpl(&w.Spec.Template, "spec.template.spec", nil, false, true)
	case *corev1.ReplicationController:
		if w.Spec.Template == nil {
			return nil
		}
		return tmpl(w.Spec.Template, "spec.template.spec", w.Spec.Replicas, true, true)
	case *batchv1.Job:
		return tmpl(&w.Spec.Template, "spec.template.spec", nil, false, false)
	case *batchv1.CronJob:
		return tmpl(&w.Spec.JobTemplate.Spec.Template, "spec.jobTemplate.spec.template.spec", nil, false, false)
	case *corev1.Pod:
		return &podTemplate{labels: w.Labels, annotations: w.Annotations, spec: &w.Spec, path: "spec"}
	}
	return nil
}

func replicaCount(p *podTemplate) int32 {
	if p.replicas == nil {
		return 1
	}
	return *p.replicas
}

// required reports required fields a typed object lacks.
func (c *checker) required(ob *object) {
	missing := func(field string) {
		if !ob.affected(field) {
			c.report(ob, RuleSchema, field, "%s: required field is missing", field)
		}
	}
	if p := ob.pod; p != nil {
		if len(p.spec.Containers) == 0 {
			missing(p.path + ".containers")
		}
		for i, ct := range p.spec.Containers {
			if ct.Name == "" {
				missing(fmt.Sprintf("%s.containers[%d].name", p.path, i))
			}
			if ct.Image == "" {
				missing(fmt.Sprintf("%s.containers[%d].image", p.path, i))
			}
		}
	}
	switch w := ob.obj.(type) {
	case *appsv1.Deployment:
		if w.Spec.Selector == nil {
			missing("spec.selector")
		}
	case *appsv1.StatefulSet:
		if w.Spec.Selector == nil {
			missing("spec.selector")
		}
	case *appsv1.DaemonSet:
		if w.Spec.Selector == nil {
			missing("spec.selector")
		}
	case *appsv1.ReplicaSet:
		if w.Spec.Selector == nil {
			missing("spec.selector")
		}
	case *batchv1.CronJob:
		if w.Spec.Schedule == "" {
			missing("spec.schedule")
		}
	case *corev1.Service:
		for i, p := range w.Spec.Ports {
			if p.Port == 0 {
				missing(fmt.Sprintf("spec.ports[%d].port", i))
			}
		}
	case *networkingv1.Ingress:
		for i, r := range w.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for j, p := range r.HTTP.Paths {
				if p.PathType == nil {
					missing(fmt.Sprintf("spec.rules[%d].http.paths[%d].pathType", i, j))
				}
			}
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		if w.Spec.ScaleTargetRef.Name == "" {
			missing("spec.scaleTargetRef.name")
		}
		if w.Spec.MaxReplicas == 0 {
			missing("spec.maxReplicas")
		}
	}
	if rb, ok := roleRefOf(ob.obj); ok && (rb.Name == "" || rb.Kind == "") {
		missing("roleRef")
	}
}

// removedAPI reports an apiVersion/kind Kubernetes removed (package
// kubeapis): an error when the --kube-version release no longer serves it,
// as the API server would refuse it; a warning when that release only
// deprecates it and Helm's helm/deprecated-api rule cannot see it
// (helmWarns false: the type is gone from k8s.io/api).
func (c *checker) removedAPI(ob *object, helmWarns bool) {
	a, ok := kubeapis.Lookup(ob.doc.APIVersion, ob.doc.Kind)
	if !ok {
		return
	}
	kv := lintKubeVersion(c.o)
	switch {
	case a.RemovedAt(kv):
		c.reportSev(ob, Error, RuleRemovedAPI, "apiVersion", "%s", a.RemovedMessage(kv))
	case a.DeprecatedAt(kv) && !helmWarns:
		c.reportSev(ob, Warning, RuleRemovedAPI, "apiVersion", "%s", a.Message())
	}
}

// lintKubeVersion is the release APIs are judged at: --kube-version, else
// common.DefaultKubeVersion.
func lintKubeVersion(o Options) kubeapis.Version {
	s := common.DefaultKubeVersion
	if kv := o.KubeVersion; kv != nil {
		s = kv.Major + "." + kv.Minor
	}
	v, _ := kubeapis.ParseVersion(s)
	return v
}

// checkObject runs the API server's value checks and the orchestration
// rules on one of the chart's objects.
func (c *checker) checkObject(ob *object) {
	c.validate(ob)
	if p := ob.pod; p != nil {
		c.checkPod(ob, p)
	}
	switch w := ob.obj.(type) {
	case *appsv1.Deployment:
		c.checkDeployment(ob, w)
	case *appsv1.DaemonSet:
		if s := w.Spec.UpdateStrategy; s.Type != appsv1.OnDeleteDaemonSetStrategyType && s.RollingUpdate != nil {
			c.checkRolling(ob, "spec.updateStrategy.rollingUpdate", s.RollingUpdate.MaxSurge, s.RollingUpdate.MaxUnavailable, false)
		}
	case *policyv1.PodDisruptionBudget:
		c.checkPDB(ob, w)
	case *corev1.Service:
		c.checkService(ob, w)
	case *networkingv1.Ingress:
		c.checkIngress(ob, w)
	case *autoscalingv2.HorizontalPodAutoscaler:
		c.checkHPA(ob, w.Spec.ScaleTargetRef.Kind, w.Spec.ScaleTargetRef.Name, "spec.scaleTargetRef")
	case *autoscalingv1.HorizontalPodAutoscaler:
		c.checkHPA(ob, w.Spec.ScaleTargetRef.Kind, w.Spec.ScaleTargetRef.Name, "spec.scaleTargetRef")
	case *networkingv1.NetworkPolicy:
		c.checkNetpol(ob, w)
	}
}

func (c *checker) checkPod(ob *object, p *podTemplate) {
	type ctr struct {
		c    *corev1.Container
		path string
		init bool
	}
	var ctrs []ctr
	for i := range p.spec.InitContainers {
		ctrs = append(ctrs, ctr{&p.spec.InitContainers[i], fmt.Sprintf("%s.initContainers[%d]", p.path, i), true})
	}
	for i := range p.spec.Containers {
		ctrs = append(ctrs, ctr{&p.spec.Containers[i], fmt.Sprintf("%s.containers[%d]", p.path, i), false})
	}
	psc := p.spec.SecurityContext
	for _, k := range ctrs {
		ct := k.c
		req, lim := ct.Resources.Requests, ct.Resources.Limits
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := req[res]; !ok {
				if _, ok := lim[res]; !ok {
					c.report(ob, RuleRequests, k.path+".resources.requests", "container %q has no %s request", ct.Name, res)
				}
			}
		}
		if _, ok := lim[corev1.ResourceMemory]; !ok {
			c.report(ob, RuleMemoryLimit, k.path+".resources.limits", "container %q has no memory limit", ct.Name)
		}
		for res, l := range lim {
			if r, ok := req[res]; ok && l.Cmp(r) < 0 {
				c.report(ob, RuleLimitsBelowRequests, k.path+".resources.limits."+string(res), "container %q: %s limit %s is below its request %s", ct.Name, res, qty(l), qty(r))
			}
		}
		if why := imageTagProblem(ct.Image); why != "" && ct.Image != "" {
			c.report(ob, RuleImageTag, k.path+".image", "container %q: image %q %s", ct.Name, ct.Image, why)
		}
		if p.longRunning && !k.init && ct.ReadinessProbe == nil {
			c.report(ob, RuleReadinessProbe, k.path+".readinessProbe", "container %q has no readiness probe", ct.Name)
		}
		sc := ct.SecurityContext
		if sc != nil && sc.Privileged != nil && *sc.Privileged {
			c.report(ob, RulePrivileged, k.path+".securityContext.privileged", "container %q is privileged", ct.Name)
		}
		if why := mayRunAsRoot(psc, sc); why != "" {
			c.report(ob, RuleRunAsRoot, k.path+".securityContext", "container %q %s", ct.Name, why)
		}
	}
	for i, v := range p.spec.Volumes {
		if v.HostPath != nil {
			c.report(ob, RuleHostPath, fmt.Sprintf("%s.volumes[%d].hostPath", p.path, i), "volume %q mounts host path %q", v.Name, v.HostPath.Path)
		}
	}
	if c.o.Nodes > 0 && p.hasReplicas {
		c.checkAntiAffinity(ob, p)
	}
}

func qty(q resource.Quantity) string { return q.String() }

// imageTagProblem says what is wrong with an image reference's tag, if anything.
func imageTagProblem(image string) string {
	if strings.Contains(image, "@") {
		return ""
	}
	last := image[strings.LastIndexByte(image, '/')+1:]
	i := strings.LastIndexByte(last, ':')
	if i < 0 {
		return "has no tag (pulls :latest)"
	}
	if last[i+1:] == "latest" {
		return "uses the :latest tag"
	}
	return ""
}

func mayRunAsRoot(pod *corev1.PodSecurityContext, ctr *corev1.SecurityContext) string {
	var nonRoot *bool
	var user *int64
	if pod != nil {
		nonRoot, user = pod.RunAsNonRoot, pod.RunAsUser
	}
	if ctr != nil {
		if ctr.RunAsNonRoot != nil {
			nonRoot = ctr.RunAsNonRoot
		}
		if ctr.RunAsUser != nil {
			user = ctr.RunAsUser
		}
	}
	switch {
	case user != nil && *user == 0:
		return "runs as root (runAsUser: 0)"
	case nonRoot != nil && *nonRoot:
		return ""
	case user != nil:
		return ""
	}
	return "may run as root (set runAsNonRoot: true or a non-zero runAsUser)"
}

func (c *checker) checkDeployment(ob *object, d *appsv1.Deployment) {
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		var surge, unavail *intstr.IntOrString
		if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
			surge, unavail = ru.MaxSurge, ru.MaxUnavailable
		}
		c.checkRolling(ob, "spec.strategy.rollingUpdate", surge, unavail, true)
	}
	if replicaCount(ob.pod) > 1 {
		for i, v := range d.Spec.Template.Spec.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			if pvc := c.findPVC(v.PersistentVolumeClaim.ClaimName); pvc != nil && rwo(pvc.Spec.AccessModes) {
				c.report(ob, RuleRWOReplicas, fmt.Sprintf("spec.template.spec.volumes[%d]", i),
					"%d replicas mount ReadWriteOnce PersistentVolumeClaim %q; use a StatefulSet with volumeClaimTemplates", replicaCount(ob.pod), pvc.Name)
			}
		}
	}
}

func rwo(modes []corev1.PersistentVolumeAccessMode) bool {
	for _, m := range modes {
		if m == corev1.ReadWriteOnce || m == corev1.ReadWriteOncePod {
			return true
		}
	}
	return false
}

func (c *checker) findPVC(name string) *corev1.PersistentVolumeClaim {
	for _, o := range c.all {
		if pvc, ok := o.obj.(*corev1.PersistentVolumeClaim); ok && pvc.Name == name {
			return pvc
		}
	}
	return nil
}

// checkRolling checks a rolling update's maxSurge / maxUnavailable (nil: the
// 25% defaults for Deployments; for DaemonSets maxSurge 0 and maxUnavailable 1).
func (c *checker) checkRolling(ob *object, field string, surge, unavail *intstr.IntOrString, deployment bool) {
	isZero := func(v *intstr.IntOrString, dflt bool) bool {
		if v == nil {
			return dflt
		}
		return (v.Type == intstr.Int && v.IntVal == 0) || (v.Type == intstr.String && (v.StrVal == "0%" || v.StrVal == "0"))
	}
	if isZero(surge, !deployment) && isZero(unavail, false) {
		c.report(ob, RuleRolloutStuck, field, "maxSurge and maxUnavailable are both 0: the rolling update cannot make progress")
	}
	if unavail != nil && unavail.Type == intstr.String && unavail.StrVal == "100%" {
		c.report(ob, RuleRolloutUnavailable, field+".maxUnavailable", "maxUnavailable is 100%%: a rollout takes every pod down")
	}
}

// podsMatching returns the workloads of the chart whose pod template labels
// the selector matches.
func (c *checker) podsMatching(sel labels.Selector, ns string) []*object {
	var out []*object
	for _, o := range c.all {
		if o.pod == nil || o.doc.Kind == "Pod" && o.pod.labels == nil {
			continue
		}
		if sel.Matches(labels.Set(o.pod.labels)) {
			out = append(out, o)
		}
	}
	return out
}

func (c *checker) checkPDB(ob *object, pdb *policyv1.PodDisruptionBudget) {
	if pdb.Spec.Selector == nil {
		return
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || sel.Empty() {
		return
	}
	var total int32
	for _, w := range c.podsMatching(sel, pdb.Namespace) {
		if !w.pod.hasReplicas {
			return // a DaemonSet's or Job's pod count is not known here
		}
		total += replicaCount(w.pod)
	}
	if total == 0 {
		return
	}
	if m := pdb.Spec.MinAvailable; m != nil {
		n, err := intstr.GetScaledValueFromIntOrPercent(m, int(total), true)
		if err == nil && int32(n) >= total {
			c.report(ob, RulePDBBlocks, "spec.minAvailable", "minAvailable %s with %d replica(s) allows no disruption", m.String(), total)
		}
	}
	if m := pdb.Spec.MaxUnavailable; m != nil {
		n, err := intstr.GetScaledValueFromIntOrPercent(m, int(total), true)
		if err == nil && n == 0 {
			c.report(ob, RulePDBBlocks, "spec.maxUnavailable", "maxUnavailable %s with %d replica(s) allows no disruption", m.String(), total)
		}
	}
}

func (c *checker) checkService(ob *object, s *corev1.Service) {
	if len(s.Spec.Selector) == 0 || s.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	sel := labels.SelectorFromSet(s.Spec.Selector)
	if len(c.podsMatching(sel, s.Namespace)) == 0 {
		c.report(ob, RuleServiceSelector, "spec.selector", "selector %s matches no pod template in the chart", sel.String())
	}
}

func (c *checker) has(kind, name string) *object {
	for _, o := range c.all {
		if o.doc.Kind == kind && o.doc.Name == name {
			return o
		}
	}
	return nil
}

func (c *checker) checkIngress(ob *object, ing *networkingv1.Ingress) {
	check := func(b *networkingv1.IngressBackend, field string) {
		if b == nil || b.Service == nil || b.Service.Name == "" {
			return
		}
		if c.has("Service", b.Service.Name) == nil {
			c.report(ob, RuleDanglingRef, field, "backend Service %q is not defined by the chart", b.Service.Name)
		}
	}
	check(ing.Spec.DefaultBackend, "spec.defaultBackend.service.name")
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j := range r.HTTP.Paths {
			check(&r.HTTP.Paths[j].Backend, fmt.Sprintf("spec.rules[%d].http.paths[%d].backend.service.name", i, j))
		}
	}
}

func (c *checker) checkHPA(ob *object, kind, name, field string) {
	if kind == "" || name == "" {
		return
	}
	target := c.has(kind, name)
	if target == nil {
		c.report(ob, RuleDanglingRef, field, "scale target %s/%s is not defined by the chart", kind, name)
		return
	}
	if target.pod != nil && target.pod.hasReplicas && target.pod.replicas != nil {
		c.report(ob, RuleHPAReplicas, field, "scale target %s/%s also sets spec.replicas (%d); every upgrade resets the HPA's scale", kind, name, *target.pod.replicas)
	}
}

func (c *checker) checkAntiAffinity(ob *object, p *podTemplate) {
	aff := p.spec.Affinity
	if aff == nil || aff.PodAntiAffinity == nil {
		return
	}
	n := replicaCount(p)
	if int(n) <= c.o.Nodes {
		return
	}
	for i, term := range aff.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
		if term.TopologyKey != corev1.LabelHostname || term.LabelSelector == nil {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
		if err != nil || !sel.Matches(labels.Set(p.labels)) {
			continue
		}
		c.report(ob, RuleAntiAffinity, fmt.Sprintf("%s.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[%d]", p.path, i),
			"%d replicas require distinct nodes but the cluster has %d: %d pod(s) stay Pending", n, c.o.Nodes, int(n)-c.o.Nodes)
		return
	}
}

func (c *checker) checkNetpol(ob *object, np *networkingv1.NetworkPolicy) {
	ingressPolicy := len(np.Spec.PolicyTypes) == 0
	for _, t := range np.Spec.PolicyTypes {
		if t == networkingv1.PolicyTypeIngress {
			ingressPolicy = true
		}
	}
	if !ingressPolicy || len(np.Spec.Ingress) > 0 {
		return
	}
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil {
		return
	}
	for _, o := range c.all {
		svc, ok := o.obj.(*corev1.Service)
		if !ok || len(svc.Spec.Selector) == 0 {
			continue
		}
		for _, w := range c.podsMatching(labels.SelectorFromSet(svc.Spec.Selector), svc.Namespace) {
			if sel.Matches(labels.Set(w.pod.labels)) {
				c.report(ob, RuleNetpolDeny, "spec.ingress", "denies all ingress to the pods of %s, which Service %q exposes", w.ref(), svc.Name)
				return
			}
		}
	}
}

// roleRefOf returns the roleRef of a RoleBinding or ClusterRoleBinding.
func roleRefOf(obj runtime.Object) (rbacv1.RoleRef, bool) {
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		return b.RoleRef, true
	case *rbacv1.ClusterRoleBinding:
		return b.RoleRef, true
	}
	return rbacv1.RoleRef{}, false
}
