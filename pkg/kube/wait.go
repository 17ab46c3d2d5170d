package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

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
}

// TimeoutError lists the objects that were not ready in time.
type TimeoutError struct {
	Timeout  time.Duration
	NotReady []ResourceStatus
}

func (e *TimeoutError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "timed out after %s waiting for %d resource(s) to become ready:", e.Timeout, len(e.NotReady))
	for _, s := range e.NotReady {
		fmt.Fprintf(&b, "\n  %s: %s", s.Resource, s.Status)
		if s.Message != "" {
			fmt.Fprintf(&b, ": %s", s.Message)
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
				out[i] = ResourceStatus{Resource: rs[i], Status: status.UnknownStatus, Message: err.Error()}
				continue
			}
			if obj.GetKind() == "Job" && res.Status == status.CurrentStatus && !jobComplete(obj) {
				// kstatus calls a running Job Current; lade waits for completion, as Helm.
				res.Status = status.InProgressStatus
			}
			out[i] = ResourceStatus{Resource: rs[i], Status: res.Status, Message: res.Message}
		}
		return nil
	})
	return out, err
}

// Wait blocks until every object is Current by kstatus, reporting progress.
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
	deadline := time.Now().Add(o.Timeout)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var last []ResourceStatus
	for {
		sts, err := c.Statuses(ctx, todo)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil {
			last = sts
			p.update(sts)
			var pending []*Resource
			for _, s := range sts {
				if s.Status != status.CurrentStatus {
					pending = append(pending, s.Resource)
				}
			}
			if len(pending) == 0 {
				p.done()
				return nil
			}
			todo = pending
		}
		select {
		case <-ctx.Done():
			p.done()
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// Cancelled (say, the release's lease was lost): not a timeout.
				return context.Cause(ctx)
			}
			te := &TimeoutError{Timeout: o.Timeout}
			for _, s := range last {
				if s.Status != status.CurrentStatus {
					te.NotReady = append(te.NotReady, s)
				}
			}
			if len(te.NotReady) == 0 {
				return ctx.Err()
			}
			return te
		case <-time.After(o.Interval):
		}
	}
}

// progress prints status changes: one line per change, or a live table on a terminal.
type progress struct {
	out   io.Writer
	tty   bool
	seen  map[string]string
	rows  map[string]ResourceStatus
	lines int
}

func newProgress(out io.Writer) *progress {
	p := &progress{out: out, seen: map[string]string{}, rows: map[string]ResourceStatus{}}
	if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = true
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
		v := string(s.Status) + ": " + s.Message
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
		}
	}
	if p.tty && changed {
		p.draw()
	}
}

func (p *progress) draw() {
	if p.lines > 0 {
		fmt.Fprintf(p.out, "\x1b[%dA\x1b[J", p.lines)
	}
	keys := make([]string, 0, len(p.rows))
	for k := range p.rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tSTATUS\tMESSAGE")
	for _, k := range keys {
		s := p.rows[k]
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k, s.Status, s.Message)
	}
	tw.Flush()
	fmt.Fprint(p.out, b.String())
	p.lines = strings.Count(b.String(), "\n")
}

func (p *progress) done() {}

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
