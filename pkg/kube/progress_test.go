package kube

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func deployment(name string) *Resource {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	u.SetNamespace("ns")
	u.SetName(name)
	return &Resource{Object: u}
}

// A frame never has more lines than the terminal has rows (less one), nor
// wider lines; the objects that are not ready come first with their
// details, and what does not fit is counted on the last line.
func TestFrameFitsTheTerminal(t *testing.T) {
	rows := map[string]ResourceStatus{}
	for i := range 58 {
		r := deployment(fmt.Sprintf("app%02d", i))
		rows[r.String()] = ResourceStatus{Resource: r, Status: status.CurrentStatus, Message: "Deployment is available. Replicas: 1"}
	}
	bad := deployment("broken")
	rows[bad.String()] = ResourceStatus{Resource: bad, Status: status.InProgressStatus, Message: "Available: 0/1",
		Details: []string{"pod broken-1: container web waiting: ImagePullBackOff: " + strings.Repeat("x", 200), "event Failed on Pod broken-1: Error: ImagePullBackOff"}}
	lines := frame(rows, 29, 79)
	if len(lines) != 29 {
		t.Fatalf("%d lines, want 29:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for _, l := range lines {
		if len(l) > 79 {
			t.Errorf("line wider than 79: %q", l)
		}
	}
	if !strings.HasPrefix(lines[0], "RESOURCE") || !strings.HasPrefix(lines[1], "Deployment ns/broken") ||
		!strings.HasPrefix(lines[2], "    pod broken-1: container web waiting: ImagePullBackOff: xxx") || !strings.HasSuffix(lines[2], "x...") ||
		!strings.HasPrefix(lines[3], "    event Failed") || !strings.HasPrefix(lines[4], "Deployment ns/app00") {
		t.Errorf("frame:\n%s", strings.Join(lines, "\n"))
	}
	// 1 header, 3 lines for broken, 24 ready rows, the summary.
	if want := "... and 34 more ready"; lines[28] != want {
		t.Errorf("last line %q, want %q", lines[28], want)
	}
	// Everything fits on a tall terminal: no summary.
	if lines := frame(rows, 100, 200); len(lines) != 62 || strings.HasPrefix(lines[61], "...") {
		t.Errorf("tall terminal: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}

// Without a terminal, progress prints a line per change with the details
// under it; a repeated event's count going up is not a change.
func TestProgressLines(t *testing.T) {
	var out strings.Builder
	p := newProgress(&out)
	r := deployment("web")
	st := func(s status.Status, details ...string) []ResourceStatus {
		return []ResourceStatus{{Resource: r, Status: s, Message: "Available: 0/1", Details: details}}
	}
	p.update(st(status.InProgressStatus))
	p.update(st(status.InProgressStatus, "event BackOff on Pod web-1: Back-off restarting failed container (x2)"))
	p.update(st(status.InProgressStatus, "event BackOff on Pod web-1: Back-off restarting failed container (x3)"))
	p.update(st(status.CurrentStatus))
	want := "Deployment ns/web: InProgress (Available: 0/1)\n" +
		"Deployment ns/web: InProgress (Available: 0/1)\n" +
		"    event BackOff on Pod web-1: Back-off restarting failed container (x2)\n" +
		"Deployment ns/web: Current (Available: 0/1)\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
