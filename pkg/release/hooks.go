package release

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// runHooks runs the hooks of one event by weight, then name, applying Helm's
// delete policies; a failing hook fails the operation with its name and reason.
func (c *Config) runHooks(ctx context.Context, rel *Release, event render.HookEvent, timeout time.Duration) error {
	return c.runSelectedHooks(ctx, rel, event, timeout, nil)
}

// runSelectedHooks is runHooks for the hooks selected accepts (all when nil).
func (c *Config) runSelectedHooks(ctx context.Context, rel *Release, event render.HookEvent, timeout time.Duration, selected func(*Hook) bool) error {
	var hooks []*Hook
	for _, h := range rel.Hooks {
		if h.HasEvent(event) && (selected == nil || selected(h)) {
			hooks = append(hooks, h)
		}
	}
	sort.SliceStable(hooks, func(i, j int) bool {
		if hooks[i].Weight != hooks[j].Weight {
			return hooks[i].Weight < hooks[j].Weight
		}
		return hooks[i].Name < hooks[j].Name
	})
	for _, h := range hooks {
		objs, err := c.hookObjects(rel, h, event)
		if err != nil {
			return fmt.Errorf("hook %s (%s): %w", h.Name, h.Path, err)
		}
		if len(objs) == 0 {
			continue // of a kind the cluster no longer serves (see hookObjects)
		}
		if len(h.DeletePolicies) == 0 || h.HasDeletePolicy("before-hook-creation") {
			if err := c.deleteHook(ctx, h, objs, true, timeout); err != nil {
				return fmt.Errorf("%s hook %s: %w", event, h.Name, err)
			}
		}
		h.LastRun = HookExecution{StartedAt: time.Now(), Phase: HookPhaseRunning}
		c.printf("Running %s hook %s (%s)\n", event, h.Name, objs[0])
		err = c.Kube.Apply(ctx, objs, kube.ApplyOptions{Force: true, FieldManager: rel.FieldManager})
		if err == nil {
			err = c.waitHook(ctx, objs, timeout)
		}
		h.LastRun.CompletedAt = time.Now()
		if err != nil {
			h.LastRun.Phase = HookPhaseFailed
			if h.HasDeletePolicy("hook-failed") {
				_ = c.deleteHook(ctx, h, objs, false, 0)
			}
			return fmt.Errorf("%s hook %s failed: %w", event, h.Name, err)
		}
		h.LastRun.Phase = HookPhaseSucceeded
		if h.HasDeletePolicy("hook-succeeded") {
			if err := c.deleteHook(ctx, h, objs, false, 0); err != nil {
				return fmt.Errorf("%s hook %s: %w", event, h.Name, err)
			}
		}
	}
	return nil
}

// deleteHook deletes a hook's objects as Helm does: never a
// CustomResourceDefinition (its custom resources would go with it), with
// background propagation (the object goes at once, what it owns, such as
// a Job's Pods, is collected after), waiting for the deletion when wait.
func (c *Config) deleteHook(ctx context.Context, h *Hook, objs []*kube.Resource, wait bool, timeout time.Duration) error {
	if h.Kind == "CustomResourceDefinition" {
		return nil
	}
	return c.Kube.Delete(ctx, objs, kube.DeleteOptions{Wait: wait, Timeout: timeout, Propagation: metav1.DeletePropagationBackground})
}

// waitHook waits for Jobs to complete and Pods to succeed (other kinds are
// ready once created, as in Helm); a Failed status ends the wait at once.
func (c *Config) waitHook(ctx context.Context, objs []*kube.Resource, timeout time.Duration) error {
	var watch []*kube.Resource
	for _, r := range objs {
		if r.Kind() == "Job" || r.Kind() == "Pod" {
			watch = append(watch, r)
		}
	}
	if len(watch) == 0 {
		return nil
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last []kube.ResourceStatus
	for {
		sts, err := c.Kube.Statuses(ctx, watch)
		if err == nil {
			last = sts
			done := true
			for i, s := range sts {
				if s.Status == status.FailedStatus || (s.Resource.Kind() == "Pod" && strings.Contains(s.Message, "Failed")) {
					return fmt.Errorf("%s: %s%s", s.Resource, s.Message, c.hookDetails(parent, sts[i:i+1]))
				}
				if s.Status != status.CurrentStatus {
					done = false
				}
			}
			if done {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				// Interrupted, or the lease was lost: not a timeout.
				return fmt.Errorf("%w while waiting for %s to complete%s", context.Cause(parent), watch[0], c.hookDetails(parent, last))
			}
			return fmt.Errorf("timed out after %s waiting for %s to complete%s", timeout, watch[0], c.hookDetails(parent, last))
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// hookDetails says why hook objects failed or are not done (see
// kube.Client.Diagnose), one indented line each.
func (c *Config) hookDetails(ctx context.Context, sts []kube.ResourceStatus) string {
	dctx, cancel := detached(ctx, 5*time.Second)
	defer cancel()
	c.Kube.Diagnose(dctx, sts)
	var b strings.Builder
	for _, s := range sts {
		for _, d := range s.Details {
			b.WriteString("\n    " + d)
		}
	}
	return b.String()
}
