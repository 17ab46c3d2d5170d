package release

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// UninstallOptions describe an uninstall.
// Of the common options it reads NoHooks, Wait, Timeout, Description and
// DryRun (any mode only reports the release that would be uninstalled).
type UninstallOptions struct {
	CommonOptions
	Name           string
	KeepHistory    bool
	IgnoreNotFound bool
	// Cascade is background (default), foreground or orphan.
	Cascade string
}

// Uninstall deletes a release's objects (except helm.sh/resource-policy:
// keep) and its history (unless KeepHistory).
func (c *Config) Uninstall(ctx context.Context, o UninstallOptions) (*Release, error) {
	if !o.DryRun.Enabled() {
		return c.withLease(ctx, o.Name, "lade uninstall "+o.Name, true, func(ctx context.Context) (*Release, error) {
			return c.uninstall(ctx, &o)
		})
	}
	return c.uninstall(ctx, &o)
}

func (c *Config) uninstall(ctx context.Context, o *UninstallOptions) (*Release, error) {
	st := c.Storage()
	rel, err := st.Last(ctx, o.Name)
	if errors.Is(err, ErrNotFound) {
		if o.IgnoreNotFound {
			return nil, nil
		}
		return nil, fmt.Errorf("uninstall: Release not loaded: %s: %w", o.Name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	if o.DryRun.Enabled() {
		return rel, nil
	}
	if rel.Info.Status == StatusUninstalled {
		if !o.KeepHistory {
			return rel, c.purge(ctx, o.Name)
		}
		return nil, fmt.Errorf("the release named %q is already deleted", o.Name)
	}
	// Built before anything changes: a manifest that cannot be built
	// leaves the release as it was.
	objs, err := c.storedObjects(rel)
	if err != nil {
		return rel, fmt.Errorf("unable to build kubernetes objects for delete: %w", err)
	}
	rel.Info.Status = StatusUninstalling
	rel.Info.Deleted = time.Now()
	rel.Info.Description = "Deletion in progress (or silently failed)"
	rel.Holder = c.holder()
	if err := st.Update(ctx, rel); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	if !o.NoHooks {
		if err := c.runHooks(ctx, rel, render.HookPreDelete, timeout); err != nil {
			return rel, err
		}
	}
	var del []*kube.Resource
	var kept []string
	for _, r := range objs {
		if r.Object.GetAnnotations()[kube.ResourcePolicyAnno] == kube.ResourcePolicyKeep {
			kept = append(kept, r.String())
			continue
		}
		del = append(del, r)
	}
	if len(kept) > 0 {
		c.printf("These resources were kept due to the resource policy:\n")
		for _, k := range kept {
			c.printf("[%s]\n", k)
		}
	}
	del, leftCRDs, err := c.leaveCRDs(ctx, rel, del)
	if err != nil {
		return rel, err
	}
	if len(leftCRDs) > 0 {
		c.printf("These CustomResourceDefinitions were left, with their custom resources (lade deletes only those it created from templates/):\n")
		for _, k := range leftCRDs {
			c.printf("[CustomResourceDefinition %s]\n", k)
		}
	}
	prop := metav1.DeletionPropagation(o.Cascade)
	switch prop {
	case "", "background":
		prop = metav1.DeletePropagationBackground
	case "foreground":
		prop = metav1.DeletePropagationForeground
	case "orphan":
		prop = metav1.DeletePropagationOrphan
	default:
		return rel, fmt.Errorf("invalid cascade value %q: must be background, foreground or orphan", o.Cascade)
	}
	if err := c.Kube.Delete(ctx, sortUninstall(del), kube.DeleteOptions{Propagation: prop, Wait: o.Wait, Timeout: timeout}); err != nil {
		return rel, err
	}
	if !o.NoHooks {
		if err := c.runHooks(ctx, rel, render.HookPostDelete, timeout); err != nil {
			return rel, err
		}
	}
	rel.Info.Status = StatusUninstalled
	rel.Info.Description = "Uninstallation complete"
	if o.Description != "" {
		rel.Info.Description = o.Description
	}
	if o.KeepHistory {
		return rel, st.Update(ctx, rel)
	}
	return rel, c.purge(ctx, o.Name)
}

func (c *Config) purge(ctx context.Context, name string) error {
	st := c.Storage()
	sums, err := st.Summaries(ctx, name)
	if err != nil {
		return err
	}
	for _, sm := range sums {
		if err := st.Delete(ctx, name, sm.Version); err != nil {
			return err
		}
	}
	return nil
}
