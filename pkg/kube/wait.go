package kube

import (
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/mattn/go-runewidth"
	"golang.org/x/term"
)

// WaitOptions tune Wait.
type WaitOptions struct {
	Timeout time.Duration
	// WaitForJobs also waits for Jobs to complete (skipped otherwise, as Helm does).
	WaitForJobs bool
	// Out receives progress: a live table on a terminal, otherwise one line per change.
	Out io.Writer
	// Interval between polls (default 500ms).
	Interval time.Duration
}

// ResourceStatus is the kstatus of one object.
type ResourceStatus struct {
	Resource *Resource
	Status   status.Status
	Message  string
	// Details say why an object is not ready (see Client.Diagnose): its
	// pods' container states and its latest warning events.
	Details []string

	obj *unstructured.Unstructured // the live object (nil if not found)
}

// TimeoutError lists the objects that were not ready in time.
type TimeoutError struct {
	Timeout  time.Duration
	NotReady []ResourceStatus
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s waiting for %d resource(s) to become ready:%s", e.Timeout, len(e.NotReady), notReadyList(e.NotReady))
}

// StoppedError is returned when a wait was cancelled (the user interrupted
// lade, the release lease was lost) before every object was ready. It
// wraps the cancellation's cause.
type StoppedError struct {
	Cause    error
	After    time.Duration
	NotReady []ResourceStatus
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("%v after %s waiting for %d resource(s) to become ready:%s", e.Cause, e.After, len(e.NotReady), notReadyList(e.NotReady))
}

func (e *StoppedError) Unwrap() error { return e.Cause }

// notReadyList is one line per object and one more, indented, per detail.
func notReadyList(sts []ResourceStatus) string {
	var b strings.Builder
	for _, s := range sts {
		fmt.Fprintf(&b, "\n  %s: %s", s.Resource, s.Status)
		if s.Message != "" {
			fmt.Fprintf(&b, ": %s", s.Message)
		}
		for _, d := range s.Details {
			fmt.Fprintf(&b, "\n    %s", d)
		}
	}
	return b.String()
}

type groupKey struct {
	gvr schema.GroupVersionResource
	ns  string
}

// Statuses computes the kstatus of every object now (one LIST per resource
// type and namespace).
func (c *Client) Statuses(ctx context.Context, rs []*Resource) ([]ResourceStatus, error) {
	groups := map[groupKey][]int{}
	var keys []groupKey
	for i, r := range rs {
		k := groupKey{r.Mapping.Resource, r.Namespace()}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], i)
	}
	out := make([]ResourceStatus, len(rs))
	var mu sync.Mutex
	err := c.each(len(keys), func(gi int) error {
		k := keys[gi]
		idx := groups[k]
		live := map[string]*unstructured.Unstructured{}
		ri := c.Dynamic.Resource(k.gvr)
		if len(idx) == 1 {
			r := rs[idx[0]]
			obj, err := c.Get(ctx, r)
			if err != nil {
				return err
			}
			if obj != nil {
				live[obj.GetName()] = obj
			}
		} else {
			var list *unstructured.UnstructuredList
			var err error
			if k.ns != "" {
				list, err = ri.Namespace(k.ns).List(ctx, metav1.ListOptions{})
			} else {
				list, err = ri.List(ctx, metav1.ListOptions{})
			}
			if err != nil {
				return fmt.Errorf("list %s in %q: %w", k.gvr.Resource, k.ns, err)
			}
			for i := range list.Items {
				live[list.Items[i].GetName()] = &list.Items[i]
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, i := range idx {
			obj := live[rs[i].Name()]
			if obj == nil {
				out[i] = ResourceStatus{Resource: rs[i], Status: status.NotFoundStatus, Message: "not found"}
				continue
			}
			res, err := status.Compute(obj)
			if err != nil {
				out[i] = ResourceStatus{Resource: rs[i], Status: status.UnknownStatus, Message: err.Error(), obj: obj}
				continue
			}
			if obj.GetKind() == "Job" && res.Status == status.CurrentStatus && !jobComplete(obj) {
				// kstatus calls a running Job Current; lade waits for completion, as Helm.
				res.Status = status.InProgressStatus
			}
			out[i] = ResourceStatus{Resource: rs[i], Status: res.Status, Message: res.Message, obj: obj}
		}
		return nil
	})
	return out, err
}

// When a wait looks into objects that are not ready yet (Client.Diagnose):
// after diagnoseAfter, then every diagnoseEvery while progress is shown,
// and once more when it fails.
const (
	diagnoseAfter = 3 * time.Second
	diagnoseEvery = 5 * time.Second
)

// Wait blocks until every object is Current by kstatus, reporting progress.
// It fails with a *TimeoutError after o.Timeout, or with a *StoppedError
// (wrapping the cause) when ctx is cancelled; both list the objects that
// were not ready, with what their pods and warning events say.
func (c *Client) Wait(ctx context.Context, rs []*Resource, o WaitOptions) error {
	var todo []*Resource
	for _, r := range rs {
		if r.Kind() == "Job" && !o.WaitForJobs {
			continue
		}
		todo = append(todo, r)
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	p := newProgress(o.Out)
	start := time.Now()
	wctx, cancel := context.WithDeadline(ctx, start.Add(o.Timeout))
	defer cancel()
	var last []ResourceStatus
	details := map[string][]string{}
	nextDiagnosis := start.Add(diagnoseAfter)
	for {
		sts, err := c.Statuses(wctx, todo)
		if err != nil && wctx.Err() == nil {
			return err
		}
		if err == nil {
			if o.Out != nil && time.Now().After(nextDiagnosis) {
				c.Diagnose(wctx, sts)
				clear(details)
				for _, s := range sts {
					details[s.Resource.Key()] = s.Details
				}
				nextDiagnosis = time.Now().Add(diagnoseEvery)
			}
			var pending []*Resource
			for i, s := range sts {
				if s.Status != status.CurrentStatus {
					sts[i].Details = details[s.Resource.Key()]
					pending = append(pending, s.Resource)
				}
			}
			last = sts
			p.update(sts)
			if len(pending) == 0 {
				return nil
			}
			todo = pending
		}
		select {
		case <-wctx.Done():
			notReady := c.notReady(ctx, last, todo)
			if ctx.Err() == nil || !p.tty {
				// (A stopped wait leaves the table as it was: whoever
				// stopped it may have printed below it.)
				p.update(notReady)
			}
			if ctx.Err() != nil {
				return &StoppedError{Cause: context.Cause(ctx), After: time.Since(start).Round(time.Second), NotReady: notReady}
			}
			return &TimeoutError{Timeout: o.Timeout, NotReady: notReady}
		case <-time.After(o.Interval):
		}
	}
}

// notReady returns the statuses in last that are not Current (those of
// todo, Unknown, when there is none), diagnosed: with a context of its own
// when ctx was cancelled, so that an interrupted wait still says why.
func (c *Client) notReady(ctx context.Context, last []ResourceStatus, todo []*Resource) []ResourceStatus {
	var out []ResourceStatus
	for _, s := range last {
		if s.Status != status.CurrentStatus {
			out = append(out, s)
		}
	}
	if len(last) == 0 {
		for _, r := range todo {
			out = append(out, ResourceStatus{Resource: r, Status: status.UnknownStatus})
		}
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	c.Diagnose(dctx, out)
	return out
}

// progress prints status changes: one line per change (and the details
// of an object that is not ready, when they change), or on a terminal a
// live table redrawn in place, fitted to the terminal's height and width.
type progress struct {
	out   io.Writer
	fd    int // the terminal's, when tty
	tty   bool
	seen  map[string]string
	rows  map[string]ResourceStatus
	lines int // lines of the frame on screen
}

func newProgress(out io.Writer) *progress {
	p := &progress{out: out, seen: map[string]string{}, rows: map[string]ResourceStatus{}}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.fd = true, int(f.Fd())
	}
	return p
}

func (p *progress) update(sts []ResourceStatus) {
	if p.out == nil {
		return
	}
	changed := false
	for _, s := range sts {
		k := s.Resource.String()
		// A repeated event's growing count alone is no change worth a line.
		v := string(s.Status) + ": " + s.Message + "\n" + eventCount.ReplaceAllString(strings.Join(s.Details, "\n"), "")
		if p.seen[k] == v {
			continue
		}
		p.seen[k] = v
		p.rows[k] = s
		changed = true
		if !p.tty {
			fmt.Fprintf(p.out, "%s: %s", k, s.Status)
			if s.Message != "" {
				fmt.Fprintf(p.out, " (%s)", s.Message)
			}
			fmt.Fprintln(p.out)
			for _, d := range s.Details {
				fmt.Fprintf(p.out, "    %s\n", d)
			}
		}
	}
	if p.tty && changed {
		height, width := 24, 80
		if w, h, err := term.GetSize(p.fd); err == nil && w > 0 && h > 0 {
			height, width = h, w
		}
		p.draw(height, width)
	}
}

// eventCount is the count a detail line ends with for a repeated event.
var eventCount = regexp.MustCompile(`(?m) \(x\d+\)$`)

// draw replaces the frame on screen with the table (see frame).
func (p *progress) draw(height, width int) {
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", p.lines)
	}
	lines := frame(p.rows, height-1, width-1)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	fmt.Fprint(p.out, b.String())
	p.lines = len(lines)
}

// frame lays out rows as at most maxLines lines of at most maxWidth
// cells: a header, the objects that are not ready with their details,
// then the ready ones; what does not fit is summarised on the last line
// ("... and 31 more ready").
func frame(rows map[string]ResourceStatus, maxLines, maxWidth int) []string {
	maxLines = max(maxLines, 2)
	var notReady, ready []string
	for k, s := range rows {
		if s.Status == status.CurrentStatus {
			ready = append(ready, k)
		} else {
			notReady = append(notReady, k)
		}
	}
	sort.Strings(notReady)
	sort.Strings(ready)
	total := 1 + len(ready) + len(notReady)
	for _, k := range notReady {
		total += len(rows[k].Details)
	}
	budget := maxLines - 1 // lines for objects, after the header
	if total > maxLines {
		budget-- // and the summary line
	}
	type entry struct {
		key     string
		details []string
	}
	var shown []entry
	hiddenNotReady, hiddenReady := 0, 0
	for _, k := range notReady {
		if budget == 0 {
			hiddenNotReady++
			continue
		}
		budget--
		d := rows[k].Details
		if len(d) > budget {
			d = d[:budget]
		}
		budget -= len(d)
		shown = append(shown, entry{k, d})
	}
	for _, k := range ready {
		if budget == 0 {
			hiddenReady++
			continue
		}
		budget--
		shown = append(shown, entry{key: k})
	}
	wk, ws := len("RESOURCE"), len("STATUS")
	for _, e := range shown {
		wk = max(wk, len(e.key))
		ws = max(ws, len(rows[e.key].Status))
	}
	row := func(k, st, msg string) string {
		return fmt.Sprintf("%-*s  %-*s  %s", wk, k, ws, st, msg)
	}
	lines := []string{row("RESOURCE", "STATUS", "MESSAGE")}
	for _, e := range shown {
		s := rows[e.key]
		lines = append(lines, row(e.key, string(s.Status), s.Message))
		for _, d := range e.details {
			lines = append(lines, "    "+d)
		}
	}
	switch {
	case hiddenNotReady > 0 && hiddenReady > 0:
		lines = append(lines, fmt.Sprintf("... and %d more not ready, %d more ready", hiddenNotReady, hiddenReady))
	case hiddenNotReady > 0:
		lines = append(lines, fmt.Sprintf("... and %d more not ready", hiddenNotReady))
	case hiddenReady > 0:
		lines = append(lines, fmt.Sprintf("... and %d more ready", hiddenReady))
	}
	for i, l := range lines {
		lines[i] = truncateWidth(strings.TrimRight(l, " "), maxWidth)
	}
	return lines
}

// truncateWidth cuts s to at most width terminal cells, so that no line
// of a frame wraps (which would break moving the cursor back over it).
func truncateWidth(s string, width int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if runewidth.StringWidth(s) <= width {
		return s
	}
	w := 0
	for i, r := range s {
		rw := runewidth.RuneWidth(r)
		if w+rw > width-3 {
			return s[:i] + "..."
		}
		w += rw
	}
	return s
}

func jobComplete(obj *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Complete" && m["status"] == "True" {
			return true
		}
	}
	return false
}
