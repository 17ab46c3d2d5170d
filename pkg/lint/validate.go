package lint

// The value checks the API server makes on create, for the fields charts set
// most. The server's own validation (k8s.io/kubernetes/pkg/apis/*/validation)
// cannot be linked into lade: it works on the internal API types, needs
// k8s.io/kubernetes as a module (with every staging module replaced) and
// pulls in feature gates and metrics. So each rule here is written against
// k8s.io/api's types with the apimachinery helpers the server uses, and names
// the server function it follows. Where the server defaults a field before
// validating it, an unset field is left alone.

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validator reports the api-validation findings of one object.
type validator struct {
	c  *checker
	ob *object
}

// bad reports that the API server rejects the value at path.
func (v validator) bad(path, format string, args ...any) {
	if v.ob.affected(path) {
		return
	}
	v.c.report(v.ob, RuleAPIValidation, path, "%s: %s", path, fmt.Sprintf(format, args...))
}

// errs reports apimachinery's field errors in the server's words.
func (v validator) errs(list field.ErrorList) {
	for _, e := range list {
		v.bad(e.Field, "%s", e.ErrorBody())
	}
}

// nonNegative is the server's ValidateNonnegativeField.
func (v validator) nonNegative(path string, n *int32) {
	if n != nil && *n < 0 {
		v.bad(path, "must be greater than or equal to 0, got %d", *n)
	}
}

func (v validator) nonNegative64(path string, n *int64) {
	if n != nil && *n < 0 {
		v.bad(path, "must be greater than or equal to 0, got %d", *n)
	}
}

// validate runs the API server's value checks on one of the chart's objects.
func (c *checker) validate(ob *object) {
	v := validator{c: c, ob: ob}
	if m, ok := ob.obj.(metav1.Object); ok {
		// ValidateObjectMeta: label keys and values, annotation keys and size.
		v.errs(metav1validation.ValidateLabels(m.GetLabels(), field.NewPath("metadata", "labels")))
		v.errs(apivalidation.ValidateAnnotations(m.GetAnnotations(), field.NewPath("metadata", "annotations")))
	}
	switch w := ob.obj.(type) {
	case *appsv1.Deployment:
		// ValidateDeploymentSpec
		v.nonNegative("spec.replicas", w.Spec.Replicas)
		v.nonNegative("spec.minReadySeconds", &w.Spec.MinReadySeconds)
		v.nonNegative("spec.revisionHistoryLimit", w.Spec.RevisionHistoryLimit)
		if p := w.Spec.ProgressDeadlineSeconds; p != nil {
			v.nonNegative("spec.progressDeadlineSeconds", p)
			if *p <= w.Spec.MinReadySeconds {
				v.bad("spec.progressDeadlineSeconds", "must be greater than minReadySeconds (%d), got %d", w.Spec.MinReadySeconds, *p)
			}
		}
		v.selector(w.Spec.Selector, w.Spec.Template.Labels, "deployment", true)
		v.deploymentStrategy(w.Spec.Strategy)
		v.restartAlways(w.Spec.Template.Spec.RestartPolicy, "spec.template.spec.restartPolicy")
	case *appsv1.StatefulSet:
		// ValidateStatefulSetSpec
		v.nonNegative("spec.replicas", w.Spec.Replicas)
		v.nonNegative("spec.minReadySeconds", &w.Spec.MinReadySeconds)
		v.nonNegative("spec.revisionHistoryLimit", w.Spec.RevisionHistoryLimit)
		switch w.Spec.PodManagementPolicy {
		case "", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
		default:
			v.bad("spec.podManagementPolicy", "must be %q or %q, got %q", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement, w.Spec.PodManagementPolicy)
		}
		switch t := w.Spec.UpdateStrategy.Type; t {
		case "", appsv1.RollingUpdateStatefulSetStrategyType:
		case appsv1.OnDeleteStatefulSetStrategyType:
			if w.Spec.UpdateStrategy.RollingUpdate != nil {
				v.bad("spec.updateStrategy.rollingUpdate", "only allowed for updateStrategy %q", appsv1.RollingUpdateStatefulSetStrategyType)
			}
		default:
			v.bad("spec.updateStrategy.type", "must be %q or %q, got %q", appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType, t)
		}
		v.selector(w.Spec.Selector, w.Spec.Template.Labels, "statefulset", true)
		v.restartAlways(w.Spec.Template.Spec.RestartPolicy, "spec.template.spec.restartPolicy")
	case *appsv1.DaemonSet:
		// ValidateDaemonSetSpec
		v.nonNegative("spec.minReadySeconds", &w.Spec.MinReadySeconds)
		v.nonNegative("spec.revisionHistoryLimit", w.Spec.RevisionHistoryLimit)
		v.selector(w.Spec.Selector, w.Spec.Template.Labels, "daemonset", true)
		v.restartAlways(w.Spec.Template.Spec.RestartPolicy, "spec.template.spec.restartPolicy")
		switch t := w.Spec.UpdateStrategy.Type; t {
		case "", appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType:
		default:
			v.bad("spec.updateStrategy.type", "must be %q or %q, got %q", appsv1.RollingUpdateDaemonSetStrategyType, appsv1.OnDeleteDaemonSetStrategyType, t)
		}
		if ru := w.Spec.UpdateStrategy.RollingUpdate; ru != nil {
			// ValidateRollingUpdateDaemonSet (both zero is rule rollout-stuck's).
			v.intOrPercent("spec.updateStrategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable, true)
			v.intOrPercent("spec.updateStrategy.rollingUpdate.maxSurge", ru.MaxSurge, true)
			if nonZero(ru.MaxUnavailable, true) && nonZero(ru.MaxSurge, false) {
				v.bad("spec.updateStrategy.rollingUpdate.maxSurge", "may not be set when maxUnavailable is non-zero (maxUnavailable defaults to 1)")
			}
		}
	case *appsv1.ReplicaSet:
		// ValidateReplicaSetSpec
		v.nonNegative("spec.replicas", w.Spec.Replicas)
		v.nonNegative("spec.minReadySeconds", &w.Spec.MinReadySeconds)
		v.selector(w.Spec.Selector, w.Spec.Template.Labels, "replicaset", true)
		v.restartAlways(w.Spec.Template.Spec.RestartPolicy, "spec.template.spec.restartPolicy")
	case *corev1.ReplicationController:
		// ValidateReplicationControllerSpec: the selector defaults to the
		// template's labels; one that is set must match them.
		v.nonNegative("spec.replicas", w.Spec.Replicas)
		if len(w.Spec.Selector) > 0 && w.Spec.Template != nil {
			v.errs(metav1validation.ValidateLabels(w.Spec.Selector, field.NewPath("spec", "selector")))
			if !labels.SelectorFromSet(w.Spec.Selector).Matches(labels.Set(w.Spec.Template.Labels)) {
				v.selectorMismatch("spec.template.metadata.labels", labels.SelectorFromSet(w.Spec.Selector).String(), w.Spec.Template.Labels)
			}
		}
	case *batchv1.Job:
		v.jobSpec(&w.Spec, "spec")
	case *batchv1.CronJob:
		// ValidateCronJobSpec
		switch w.Spec.ConcurrencyPolicy {
		case "", batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
		default:
			v.bad("spec.concurrencyPolicy", "must be %q, %q or %q, got %q", batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent, w.Spec.ConcurrencyPolicy)
		}
		v.nonNegative64("spec.startingDeadlineSeconds", w.Spec.StartingDeadlineSeconds)
		v.nonNegative("spec.successfulJobsHistoryLimit", w.Spec.SuccessfulJobsHistoryLimit)
		v.nonNegative("spec.failedJobsHistoryLimit", w.Spec.FailedJobsHistoryLimit)
		v.jobSpec(&w.Spec.JobTemplate.Spec, "spec.jobTemplate.spec")
	case *corev1.Service:
		v.service(w)
	case *corev1.ConfigMap:
		// ValidateConfigMap
		for k := range w.Data {
			v.configKey("data", k)
		}
		for k := range w.BinaryData {
			v.configKey("binaryData", k)
		}
	case *corev1.Secret:
		// ValidateSecret
		for k := range w.Data {
			v.configKey("data", k)
		}
		for k := range w.StringData {
			v.configKey("stringData", k)
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		v.hpaReplicas(w.Spec.MinReplicas, w.Spec.MaxReplicas)
	case *autoscalingv1.HorizontalPodAutoscaler:
		v.hpaReplicas(w.Spec.MinReplicas, w.Spec.MaxReplicas)
	case *policyv1.PodDisruptionBudget:
		// ValidatePodDisruptionBudgetSpec
		if w.Spec.MinAvailable != nil && w.Spec.MaxUnavailable != nil {
			v.bad("spec", "minAvailable and maxUnavailable cannot both be set")
		}
		v.intOrPercent("spec.minAvailable", w.Spec.MinAvailable, true)
		v.intOrPercent("spec.maxUnavailable", w.Spec.MaxUnavailable, true)
		if w.Spec.Selector != nil {
			v.errs(metav1validation.ValidateLabelSelector(w.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, field.NewPath("spec", "selector")))
		}
	case *networkingv1.Ingress:
		v.ingress(w)
	}
	if p := ob.pod; p != nil {
		var claims []string
		if sts, ok := ob.obj.(*appsv1.StatefulSet); ok {
			// The StatefulSet controller adds a volume per claim template.
			for _, c := range sts.Spec.VolumeClaimTemplates {
				claims = append(claims, c.Name)
			}
		}
		v.podSpec(p.spec, p.path, claims)
		if meta, ok := strings.CutSuffix(p.path, ".spec"); ok && ob.doc.Kind != "Pod" {
			// ValidatePodTemplateSpec: the template's own labels and annotations.
			v.errs(metav1validation.ValidateLabels(p.labels, field.NewPath(meta, "metadata", "labels")))
			v.errs(apivalidation.ValidateAnnotations(p.annotations, field.NewPath(meta, "metadata", "annotations")))
		}
	}
}

// selector is the workloads' selector rule (ValidateDeploymentSpec,
// ValidateDaemonSetSpec...): valid, not empty, and matching the pod
// template's labels, or the controller would not own its own pods.
func (v validator) selector(sel *metav1.LabelSelector, tmplLabels map[string]string, kind string, required bool) {
	if sel == nil {
		return // reported as a missing required field
	}
	v.errs(metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, field.NewPath("spec", "selector")))
	if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
		if required {
			v.bad("spec.selector", "empty selector is invalid for %s", kind)
		}
		return
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return // reported by ValidateLabelSelector
	}
	if !s.Matches(labels.Set(tmplLabels)) {
		v.selectorMismatch("spec.template.metadata.labels", s.String(), tmplLabels)
	}
}

func (v validator) selectorMismatch(path, sel string, tmplLabels map[string]string) {
	have := labels.Set(tmplLabels).String()
	if have == "" {
		have = "none"
	}
	v.bad(path, "selector %s does not match the pod template's labels (%s): the API server requires the template to carry every label the selector asks for", sel, have)
}

func (v validator) restartAlways(p corev1.RestartPolicy, path string) {
	if p != "" && p != corev1.RestartPolicyAlways {
		v.bad(path, "must be %q for this kind, got %q", corev1.RestartPolicyAlways, p)
	}
}

// deploymentStrategy is ValidateDeploymentStrategy (both-zero is rule
// rollout-stuck's).
func (v validator) deploymentStrategy(s appsv1.DeploymentStrategy) {
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			v.bad("spec.strategy.rollingUpdate", "may not be set when the strategy type is %q", appsv1.RecreateDeploymentStrategyType)
		}
	case "", appsv1.RollingUpdateDeploymentStrategyType:
		if ru := s.RollingUpdate; ru != nil {
			v.intOrPercent("spec.strategy.rollingUpdate.maxUnavailable", ru.MaxUnavailable, true)
			v.intOrPercent("spec.strategy.rollingUpdate.maxSurge", ru.MaxSurge, false)
		}
	default:
		v.bad("spec.strategy.type", "must be %q or %q, got %q", appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType, s.Type)
	}
}

// intOrPercent is ValidatePositiveIntOrPercent, with IsNotMoreThan100Percent
// when atMost100.
func (v validator) intOrPercent(path string, x *intstr.IntOrString, atMost100 bool) {
	if x == nil {
		return
	}
	switch x.Type {
	case intstr.String:
		if msgs := validation.IsValidPercent(x.StrVal); len(msgs) > 0 {
			v.bad(path, "%q is not a percentage: %s", x.StrVal, strings.Join(msgs, "; "))
			return
		}
		var n int
		fmt.Sscanf(x.StrVal, "%d%%", &n)
		if atMost100 && n > 100 {
			v.bad(path, "must not be greater than 100%%, got %s", x.StrVal)
		}
	case intstr.Int:
		if x.IntVal < 0 {
			v.bad(path, "must be greater than or equal to 0, got %d", x.IntVal)
		}
	}
}

// nonZero reports an int-or-percent that is not 0 or "0%" (unset: dflt).
func nonZero(x *intstr.IntOrString, dflt bool) bool {
	if x == nil {
		return dflt
	}
	if x.Type == intstr.String {
		return x.StrVal != "0%" && x.StrVal != "0"
	}
	return x.IntVal != 0
}

// jobSpec is ValidateJobSpec and the Job template rules.
func (v validator) jobSpec(s *batchv1.JobSpec, path string) {
	v.nonNegative(path+".parallelism", s.Parallelism)
	v.nonNegative(path+".completions", s.Completions)
	v.nonNegative64(path+".activeDeadlineSeconds", s.ActiveDeadlineSeconds)
	v.nonNegative(path+".backoffLimit", s.BackoffLimit)
	v.nonNegative(path+".ttlSecondsAfterFinished", s.TTLSecondsAfterFinished)
	if s.ManualSelector != nil && *s.ManualSelector {
		if s.Selector == nil {
			v.bad(path+".selector", "required when manualSelector is true")
		} else if sel, err := metav1.LabelSelectorAsSelector(s.Selector); err == nil && !sel.Empty() && !sel.Matches(labels.Set(s.Template.Labels)) {
			v.selectorMismatch(path+".template.metadata.labels", sel.String(), s.Template.Labels)
		}
	}
	switch p := s.Template.Spec.RestartPolicy; p {
	case corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
	case "", corev1.RestartPolicyAlways:
		v.bad(path+".template.spec.restartPolicy", "a Job's pods need restartPolicy %q or %q (it defaults to Always, which a Job may not use)", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever)
	default:
		v.bad(path+".template.spec.restartPolicy", "must be %q or %q, got %q", corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever, p)
	}
}

// podSpec is the part of ValidatePodSpec charts get wrong most: container
// and volume names, ports, environment, mounts, resources, probes.
// claims are the StatefulSet's volume claim template names, which mounts may
// name too.
func (v validator) podSpec(spec *corev1.PodSpec, path string, claims []string) {
	switch spec.RestartPolicy {
	case "", corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
	default:
		v.bad(path+".restartPolicy", "must be Always, OnFailure or Never, got %q", spec.RestartPolicy)
	}
	switch spec.DNSPolicy {
	case "", corev1.DNSClusterFirst, corev1.DNSClusterFirstWithHostNet, corev1.DNSDefault, corev1.DNSNone:
	default:
		v.bad(path+".dnsPolicy", "must be ClusterFirst, ClusterFirstWithHostNet, Default or None, got %q", spec.DNSPolicy)
	}
	v.nonNegative64(path+".terminationGracePeriodSeconds", spec.TerminationGracePeriodSeconds)
	if a := spec.ActiveDeadlineSeconds; a != nil && *a <= 0 {
		v.bad(path+".activeDeadlineSeconds", "must be greater than 0, got %d", *a)
	}
	// ValidateVolumes: DNS-1123 label names, unique.
	vols := map[string]bool{}
	for i, vol := range spec.Volumes {
		p := fmt.Sprintf("%s.volumes[%d].name", path, i)
		switch {
		case vol.Name == "":
			v.bad(p, "required field is missing")
		case vols[vol.Name]:
			v.bad(p, "duplicate volume name %q", vol.Name)
		default:
			v.dns1123Label(p, vol.Name)
		}
		vols[vol.Name] = true
	}
	for _, c := range claims {
		vols[c] = true
	}
	// validateContainers / validateInitContainers: names unique across both.
	names := map[string]bool{}
	each := func(list []corev1.Container, kind string) {
		for i := range list {
			ct := &list[i]
			p := fmt.Sprintf("%s.%s[%d]", path, kind, i)
			if ct.Name != "" {
				if names[ct.Name] {
					v.bad(p+".name", "duplicate container name %q", ct.Name)
				} else {
					v.dns1123Label(p+".name", ct.Name)
				}
				names[ct.Name] = true
			}
			v.container(ct, p, vols)
		}
	}
	each(spec.InitContainers, "initContainers")
	each(spec.Containers, "containers")
}

func (v validator) dns1123Label(path, s string) {
	for _, msg := range validation.IsDNS1123Label(s) {
		v.bad(path, "%q is not a valid name: %s", s, msg)
	}
}

// container is validateContainerCommon and the probe rules.
func (v validator) container(ct *corev1.Container, path string, vols map[string]bool) {
	// validateContainerPorts
	portNames := map[string]bool{}
	for i, p := range ct.Ports {
		pp := fmt.Sprintf("%s.ports[%d]", path, i)
		if p.Name != "" {
			if msgs := validation.IsValidPortName(p.Name); len(msgs) > 0 {
				v.bad(pp+".name", "%q is not a valid port name: %s", p.Name, strings.Join(msgs, "; "))
			} else if portNames[p.Name] {
				v.bad(pp+".name", "duplicate port name %q", p.Name)
			}
			portNames[p.Name] = true
		}
		if p.ContainerPort == 0 {
			v.bad(pp+".containerPort", "required field is missing")
		} else {
			v.portNum(pp+".containerPort", p.ContainerPort)
		}
		if p.HostPort != 0 {
			v.portNum(pp+".hostPort", p.HostPort)
		}
		v.protocol(pp+".protocol", p.Protocol)
	}
	// ValidateEnv (relaxed names: RelaxedEnvironmentVariableValidation is GA).
	for i, e := range ct.Env {
		ep := fmt.Sprintf("%s.env[%d].name", path, i)
		if e.Name == "" {
			v.bad(ep, "required field is missing")
			continue
		}
		for _, msg := range validation.IsRelaxedEnvVarName(e.Name) {
			v.bad(ep, "%q is not a valid variable name: %s", e.Name, msg)
		}
	}
	// ValidateVolumeMounts
	for i, m := range ct.VolumeMounts {
		mp := fmt.Sprintf("%s.volumeMounts[%d]", path, i)
		if m.Name == "" {
			v.bad(mp+".name", "required field is missing")
		} else if !vols[m.Name] {
			v.bad(mp+".name", "volume %q is not defined in the pod's volumes", m.Name)
		}
		if m.MountPath == "" {
			v.bad(mp+".mountPath", "required field is missing")
		}
	}
	switch ct.ImagePullPolicy {
	case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		v.bad(path+".imagePullPolicy", "must be Always, IfNotPresent or Never, got %q", ct.ImagePullPolicy)
	}
	// ValidateResourceQuantityValue: no negative amounts.
	for kind, list := range map[string]corev1.ResourceList{"requests": ct.Resources.Requests, "limits": ct.Resources.Limits} {
		for name, q := range list {
			if q.Sign() < 0 {
				v.bad(fmt.Sprintf("%s.resources.%s.%s", path, kind, name), "must be greater than or equal to 0, got %s", q.String())
			}
		}
	}
	// validateLivenessProbe, validateReadinessProbe, validateStartupProbe
	v.probe(ct.LivenessProbe, path+".livenessProbe", true)
	v.probe(ct.ReadinessProbe, path+".readinessProbe", false)
	v.probe(ct.StartupProbe, path+".startupProbe", true)
}

func (v validator) portNum(path string, n int32) {
	for _, msg := range validation.IsValidPortNum(int(n)) {
		v.bad(path, "%d is not a valid port: %s", n, msg)
	}
}

// portNumOrName is ValidatePortNumOrName.
func (v validator) portNumOrName(path string, p intstr.IntOrString) {
	switch p.Type {
	case intstr.Int:
		v.portNum(path, p.IntVal)
	case intstr.String:
		if p.StrVal == "" {
			v.bad(path, "required field is missing")
			return
		}
		msgs := validation.IsValidPortName(p.StrVal)
		if len(msgs) > 0 && len(validation.IsValidPortNum(atoi(p.StrVal))) == 0 {
			v.bad(path, "%q is a string, so it must be a port name, and a port name needs a letter (remove the quotes, or drop | quote: %s)", p.StrVal, p.StrVal)
			return
		}
		for _, msg := range msgs {
			v.bad(path, "%q is not a valid port name: %s", p.StrVal, msg)
		}
	}
}

// atoi is strconv.Atoi, 0 for anything but a decimal number.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func (v validator) protocol(path string, p corev1.Protocol) {
	switch p {
	case "", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
	default:
		v.bad(path, "must be TCP, UDP or SCTP, got %q", p)
	}
}

// probe is validateProbe: one handler, no negative timings; liveness and
// startup probes need successThreshold 1 (0 defaults to 1).
func (v validator) probe(p *corev1.Probe, path string, successOne bool) {
	if p == nil {
		return
	}
	handlers := 0
	if h := p.HTTPGet; h != nil {
		handlers++
		v.portNumOrName(path+".httpGet.port", h.Port)
	}
	if t := p.TCPSocket; t != nil {
		handlers++
		v.portNumOrName(path+".tcpSocket.port", t.Port)
	}
	if g := p.GRPC; g != nil {
		handlers++
		v.portNum(path+".grpc.port", g.Port)
	}
	if p.Exec != nil {
		handlers++
	}
	switch {
	case handlers == 0:
		v.bad(path, "must set one of exec, httpGet, tcpSocket or grpc")
	case handlers > 1:
		v.bad(path, "may set only one of exec, httpGet, tcpSocket or grpc")
	}
	for _, f := range []struct {
		name string
		n    int32
	}{{"initialDelaySeconds", p.InitialDelaySeconds}, {"timeoutSeconds", p.TimeoutSeconds}, {"periodSeconds", p.PeriodSeconds}, {"successThreshold", p.SuccessThreshold}, {"failureThreshold", p.FailureThreshold}} {
		v.nonNegative(path+"."+f.name, &f.n)
	}
	if successOne && p.SuccessThreshold > 1 {
		v.bad(path+".successThreshold", "must be 1 for liveness and startup probes, got %d", p.SuccessThreshold)
	}
	if t := p.TerminationGracePeriodSeconds; t != nil {
		if !successOne {
			v.bad(path+".terminationGracePeriodSeconds", "must not be set for readiness probes")
		} else if *t <= 0 {
			v.bad(path+".terminationGracePeriodSeconds", "must be greater than 0, got %d", *t)
		}
	}
}

// service is the part of ValidateService charts get wrong most.
func (v validator) service(s *corev1.Service) {
	switch s.Spec.Type {
	case "", corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName:
	default:
		v.bad("spec.type", "must be ClusterIP, NodePort, LoadBalancer or ExternalName, got %q", s.Spec.Type)
	}
	headless := s.Spec.ClusterIP == corev1.ClusterIPNone
	if len(s.Spec.Ports) == 0 && !headless && s.Spec.Type != corev1.ServiceTypeExternalName {
		v.bad("spec.ports", "required field is missing (only headless and ExternalName Services may have no ports)")
	}
	names := map[string]bool{}
	for i, p := range s.Spec.Ports {
		pp := fmt.Sprintf("spec.ports[%d]", i)
		switch {
		case p.Name == "" && len(s.Spec.Ports) > 1:
			v.bad(pp+".name", "required when a Service has more than one port")
		case p.Name != "":
			if names[p.Name] {
				v.bad(pp+".name", "duplicate port name %q", p.Name)
			} else {
				v.dns1123Label(pp+".name", p.Name)
			}
			names[p.Name] = true
		}
		if p.Port != 0 { // 0 is reported as a missing required field
			v.portNum(pp+".port", p.Port)
		}
		v.protocol(pp+".protocol", p.Protocol)
		if p.TargetPort.Type == intstr.String || p.TargetPort.IntVal != 0 {
			v.portNumOrName(pp+".targetPort", p.TargetPort)
		}
		if p.NodePort != 0 {
			v.portNum(pp+".nodePort", p.NodePort)
		}
	}
	v.errs(metav1validation.ValidateLabels(s.Spec.Selector, field.NewPath("spec", "selector")))
}

func (v validator) configKey(path, key string) {
	for _, msg := range validation.IsConfigMapKey(key) {
		v.bad(path+"."+key, "%q is not a valid key: %s", key, msg)
	}
}

// hpaReplicas is validateHorizontalPodAutoscalerSpec's replica bounds.
func (v validator) hpaReplicas(minR *int32, maxR int32) {
	if minR != nil && *minR < 1 {
		v.bad("spec.minReplicas", "must be greater than or equal to 1, got %d", *minR)
	}
	if maxR < 0 {
		v.bad("spec.maxReplicas", "must be greater than or equal to 1, got %d", maxR)
	}
	if minR != nil && maxR != 0 && maxR < *minR {
		v.bad("spec.maxReplicas", "must be greater than or equal to minReplicas (%d), got %d", *minR, maxR)
	}
}

// ingress is the part of ValidateIngressSpec about paths and backends.
func (v validator) ingress(ing *networkingv1.Ingress) {
	backend := func(b *networkingv1.IngressBackend, p string) {
		if b == nil || b.Service == nil {
			return
		}
		if n := b.Service.Port.Number; n != 0 {
			v.portNum(p+".service.port.number", n)
		}
		if b.Service.Port.Number != 0 && b.Service.Port.Name != "" {
			v.bad(p+".service.port", "may set number or name, not both")
		}
	}
	backend(ing.Spec.DefaultBackend, "spec.defaultBackend")
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j, hp := range r.HTTP.Paths {
			pp := fmt.Sprintf("spec.rules[%d].http.paths[%d]", i, j)
			if hp.PathType != nil {
				switch *hp.PathType {
				case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
					if !strings.HasPrefix(hp.Path, "/") {
						v.bad(pp+".path", "must be an absolute path (start with /), got %q", hp.Path)
					}
				case networkingv1.PathTypeImplementationSpecific:
				default:
					v.bad(pp+".pathType", "must be Exact, Prefix or ImplementationSpecific, got %q", *hp.PathType)
				}
			}
			backend(&hp.Backend, pp+".backend")
		}
	}
}
