package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// Limits of what a diagnosis reports, so that a release description or
// a progress view stays readable with many failing pods.
const (
	maxDetailRunes   = 200 // one reason or message
	maxPodProblems   = 3   // distinct pod problems per object
	maxWarningEvents = 3   // latest distinct warning events per object
)

// workloadKinds are the kinds whose pods a diagnosis looks at.
var workloadKinds = map[string]bool{
	"Deployment": true, "ReplicaSet": true, "StatefulSet": true, "DaemonSet": true, "Job": true, "Pod": true,
}

// Diagnose fills Details of every status that is not Current: for
// workloads (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, Pod) the
// waiting and terminated reasons of their pods' containers, and for every
// object the latest warning Events about it (and its pods and ReplicaSets).
// It makes at most three LIST requests per namespace with such objects
// (pods, ReplicaSets, warning Events) and none when all are Current. A
// failed lookup leaves the details out: a diagnosis never fails a wait.
func (c *Client) Diagnose(ctx context.Context, sts []ResourceStatus) {
	byNS := map[string][]int{}
	var nss []string
	for i := range sts {
		if sts[i].Status == status.CurrentStatus || sts[i].obj == nil {
			continue
		}
		ns := sts[i].Resource.Namespace()
		if _, ok := byNS[ns]; !ok {
			nss = append(nss, ns)
		}
		byNS[ns] = append(byNS[ns], i)
	}
	_ = c.each(len(nss), func(k int) error {
		ns := nss[k]
		details := c.diagnoseNamespace(ctx, ns, sts, byNS[ns])
		for j, i := range byNS[ns] {
			sts[i].Details = details[j]
		}
		return nil
	})
}

// diagnoseNamespace returns the details of sts[idx...], all in namespace ns.
func (c *Client) diagnoseNamespace(ctx context.Context, ns string, sts []ResourceStatus, idx []int) [][]string {
	var pods []corev1.Pod
	var rsets []metav1.PartialObjectMetadata
	needPods, needRS := false, false
	for _, i := range idx {
		k := sts[i].Resource.Kind()
		needPods = needPods || (workloadKinds[k] && k != "Pod")
		needRS = needRS || k == "Deployment"
	}
	if needPods && ns != "" {
		if l, err := c.Clientset.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{}); err == nil {
			pods = l.Items
		}
	}
	if needRS && ns != "" {
		if l, err := c.Clientset.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{}); err == nil {
			for _, rs := range l.Items {
				rsets = append(rsets, metav1.PartialObjectMetadata{ObjectMeta: rs.ObjectMeta})
			}
		}
	}
	var events []corev1.Event
	if l, err := c.Clientset.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "type=Warning"}); err == nil {
		events = l.Items
	}

	out := make([][]string, len(idx))
	for j, i := range idx {
		s := sts[i]
		uids := map[types.UID]string{s.obj.GetUID(): s.Resource.Kind() + " " + s.Resource.Name()}
		var mine []*corev1.Pod
		switch k := s.Resource.Kind(); {
		case k == "Pod":
			var p corev1.Pod
			if runtime.DefaultUnstructuredConverter.FromUnstructured(s.obj.Object, &p) == nil {
				mine = append(mine, &p)
			}
		case workloadKinds[k]:
			sel := selectorOf(s.obj.Object)
			for pi := range pods {
				if sel != nil && sel.Matches(labels.Set(pods[pi].Labels)) {
					mine = append(mine, &pods[pi])
				}
			}
			if k == "Deployment" {
				for _, rs := range rsets {
					if ownedBy(rs.OwnerReferences, s.obj.GetUID()) {
						uids[rs.UID] = "ReplicaSet " + rs.Name
					}
				}
			}
		}
		out[j] = append(out[j], podProblems(mine)...)
		for _, p := range mine {
			uids[p.UID] = "Pod " + p.Name
		}
		out[j] = append(out[j], warningEvents(events, uids)...)
	}
	return out
}

// selectorOf returns the label selector of a workload's spec.selector, or
// nil when it has none or it is invalid.
func selectorOf(obj map[string]any) labels.Selector {
	spec, _ := obj["spec"].(map[string]any)
	m, ok := spec["selector"].(map[string]any)
	if !ok {
		return nil
	}
	var ls metav1.LabelSelector
	if runtime.DefaultUnstructuredConverter.FromUnstructured(m, &ls) != nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil || sel.Empty() {
		return nil
	}
	return sel
}

func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.UID == uid {
			return true
		}
	}
	return false
}

// podProblems describes what keeps pods from being ready, one line per
// distinct problem (pods with the same problem are counted, not repeated),
// at most maxPodProblems lines.
func podProblems(pods []*corev1.Pod) []string {
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	var order []string
	first := map[string]string{}
	count := map[string]int{}
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, prob := range podProblem(p) {
			if count[prob] == 0 {
				order = append(order, prob)
				first[prob] = p.Name
			}
			count[prob]++
		}
	}
	var out []string
	for i, prob := range order {
		if i == maxPodProblems {
			out = append(out, fmt.Sprintf("... and %d more pod problem(s)", len(order)-i))
			break
		}
		who := "pod " + first[prob]
		if n := count[prob]; n > 1 {
			who += fmt.Sprintf(" (and %d more)", n-1)
		}
		out = append(out, who+": "+prob)
	}
	return out
}

// podProblem lists why one pod is not ready: failed or unscheduled pods,
// containers waiting, terminated with an error, or running but not ready.
func podProblem(p *corev1.Pod) []string {
	var out []string
	if p.Status.Phase == corev1.PodFailed {
		out = append(out, "failed"+reasonMessage(p.Status.Reason, p.Status.Message))
	}
	if p.Status.Phase == corev1.PodSucceeded {
		return out
	}
	for _, cond := range p.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Status == corev1.ConditionFalse {
			out = append(out, "not scheduled"+reasonMessage(cond.Reason, cond.Message))
		}
	}
	check := func(kind string, cs []corev1.ContainerStatus) {
		for _, c := range cs {
			name := kind + " " + c.Name
			var prob string
			switch st := c.State; {
			case st.Waiting != nil:
				prob = name + " waiting" + reasonMessage(st.Waiting.Reason, st.Waiting.Message)
			case st.Terminated != nil && (st.Terminated.ExitCode != 0 || kind == "container" && p.Spec.RestartPolicy == corev1.RestartPolicyAlways):
				prob = fmt.Sprintf("%s terminated%s (exit code %d)", name, reasonMessage(st.Terminated.Reason, st.Terminated.Message), st.Terminated.ExitCode)
			case st.Running != nil && !c.Ready && kind == "container":
				prob = name + " running but not ready"
			default:
				continue
			}
			if t := c.LastTerminationState.Terminated; t != nil && c.RestartCount > 0 {
				prob += fmt.Sprintf("; restarted %d time(s), last exit: %s (exit code %d)", c.RestartCount, t.Reason, t.ExitCode)
			}
			out = append(out, prob)
		}
	}
	check("init container", p.Status.InitContainerStatuses)
	check("container", p.Status.ContainerStatuses)
	if len(out) == 0 && p.Status.Phase == corev1.PodPending && len(p.Status.ContainerStatuses) == 0 {
		out = append(out, "pending")
	}
	return out
}

func reasonMessage(reason, message string) string {
	var b strings.Builder
	if reason != "" {
		b.WriteString(": " + trimDetail(reason))
	}
	if message != "" {
		b.WriteString(": " + trimDetail(message))
	}
	return b.String()
}

// warningEvents returns the latest distinct warning events about the
// objects in uids (uid -> "Kind name"), newest first.
func warningEvents(events []corev1.Event, uids map[types.UID]string) []string {
	type ev struct {
		line  string
		last  time.Time
		count int32
	}
	byLine := map[string]*ev{}
	for i := range events {
		e := &events[i]
		who, ok := uids[e.InvolvedObject.UID]
		if !ok {
			continue
		}
		line := fmt.Sprintf("event %s on %s: %s", e.Reason, who, trimDetail(e.Message))
		last := eventTime(e)
		n := max(e.Count, 1)
		if e.Series != nil {
			n = max(n, e.Series.Count)
		}
		if x := byLine[line]; x != nil {
			x.count += n
			if last.After(x.last) {
				x.last = last
			}
			continue
		}
		byLine[line] = &ev{line: line, last: last, count: n}
	}
	all := make([]*ev, 0, len(byLine))
	for _, e := range byLine {
		all = append(all, e)
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].last.Equal(all[j].last) {
			return all[i].last.After(all[j].last)
		}
		return all[i].line < all[j].line
	})
	var out []string
	for i, e := range all {
		if i == maxWarningEvents {
			break
		}
		line := e.line
		if e.count > 1 {
			line += fmt.Sprintf(" (x%d)", e.count)
		}
		out = append(out, line)
	}
	return out
}

// eventTime is when an event last happened, whichever API wrote it.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case e.Series != nil && !e.Series.LastObservedTime.IsZero():
		return e.Series.LastObservedTime.Time
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// trimDetail keeps one line of at most maxDetailRunes runes.
func trimDetail(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxDetailRunes {
		return string(r[:maxDetailRunes-3]) + "..."
	}
	return s
}
