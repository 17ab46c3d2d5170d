package kube

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Pods with the same problem are counted on one line; a pod's several
// problems each get one; a deleted pod is left out.
func TestPodProblemsGroupsPods(t *testing.T) {
	pull := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{Phase: corev1.PodPending,
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image \"x\""}}}}}}
	}
	gone := pull("web-0")
	gone.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	unscheduled := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-9"}, Status: corev1.PodStatus{Phase: corev1.PodPending,
		Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: "0/1 nodes are available:\n 1 Insufficient cpu."}}}}
	got := podProblems([]*corev1.Pod{pull("web-3"), gone, unscheduled, pull("web-1"), pull("web-2")})
	want := []string{
		`pod web-1 (and 2 more): container web waiting: ImagePullBackOff: Back-off pulling image "x"`,
		`pod web-9: not scheduled: Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Warning events about an object are deduplicated (counts added), newest
// first, at most maxWarningEvents; events about other objects are left out.
func TestWarningEventsNewestFirst(t *testing.T) {
	at := func(s int) metav1.Time { return metav1.Time{Time: time.Unix(1000+int64(s), 0)} }
	ev := func(uid, reason, msg string, s int, count int32) corev1.Event {
		return corev1.Event{InvolvedObject: corev1.ObjectReference{UID: types.UID(uid)}, Reason: reason, Message: msg, LastTimestamp: at(s), Count: count, Type: "Warning"}
	}
	events := []corev1.Event{
		ev("p1", "BackOff", "Back-off restarting failed container", 5, 3),
		ev("p2", "BackOff", "Back-off restarting failed container", 9, 2),
		ev("other", "Failed", "not ours", 20, 1),
		ev("rs", "FailedCreate", "pods \"web-1\" is forbidden: exceeded quota", 7, 1),
		ev("p1", "Unhealthy", "Readiness probe failed", 1, 1),
		ev("p1", "Failed", "Error: ImagePullBackOff", 0, 1),
	}
	got := warningEvents(events, map[types.UID]string{"p1": "Pod web-1", "p2": "Pod web-1", "rs": "ReplicaSet web"})
	want := []string{
		"event BackOff on Pod web-1: Back-off restarting failed container (x5)",
		`event FailedCreate on ReplicaSet web: pods "web-1" is forbidden: exceeded quota`,
		"event Unhealthy on Pod web-1: Readiness probe failed",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
