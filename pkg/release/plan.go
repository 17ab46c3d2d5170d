package release

import (
	"context"
	"fmt"
)

// PlanUpgrade renders the revision Upgrade would deploy (same values
// handling, same render with lookup against the cluster) without taking the
// lease, writing or applying anything. It returns the new revision and the
// revision Upgrade would replace; current is nil when the upgrade would
// install the release (o.Install).
func (c *Config) PlanUpgrade(ctx context.Context, o UpgradeOptions) (next, current *Release, err error) {
	if err := ValidateName(o.Name); err != nil {
		return nil, nil, fmt.Errorf("release name %q: %w", o.Name, err)
	}
	if o.Values == nil {
		o.Values = map[string]any{}
	}
	o.DryRun = DryRunNone
	st := c.Storage()
	sums, err := st.Summaries(ctx, o.Name)
	if err != nil {
		return nil, nil, err
	}
	if len(sums) == 0 || (o.Install && sums[len(sums)-1].Status == StatusUninstalled) {
		if !o.Install {
			return nil, nil, fmt.Errorf("%q has no deployed releases (use `lade upgrade --install` or `lade install`)", o.Name)
		}
		rev := 1
		if len(sums) > 0 {
			rev = sums[len(sums)-1].Version + 1
		}
		res, err := c.render(ctx, &o.InstallOptions, rev, false, false)
		if err != nil {
			return nil, nil, err
		}
		return c.newRelease(&o.InstallOptions, res, rev, StatusPendingInstall, "Plan"), nil, nil
	}
	last := sums[len(sums)-1]
	for i := len(sums) - 1; i >= 0; i-- {
		if sums[i].Status == StatusDeployed {
			if current, err = st.Get(ctx, o.Name, sums[i].Version); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	if current == nil {
		if last.Status == StatusUninstalled || last.Status == StatusUninstalling {
			return nil, nil, fmt.Errorf("%q has no deployed releases", o.Name)
		}
		if current, err = st.Get(ctx, o.Name, last.Version); err != nil {
			return nil, nil, err
		}
	}
	base, err := st.ladeRevision(ctx, current, sums)
	if err != nil {
		return nil, nil, err
	}
	reuseOverlay(&o, base)
	if o.Values, err = reuseValues(&o, current); err != nil {
		return nil, nil, err
	}
	rev := last.Version + 1
	res, err := c.render(ctx, &o.InstallOptions, rev, true, false)
	if err != nil {
		return nil, nil, err
	}
	next = c.newRelease(&o.InstallOptions, res, rev, StatusPendingUpgrade, "Plan")
	next.FieldManager = fieldManager(o.FieldManager, current, base)
	return next, current, nil
}

// PlanRollback returns the revision Rollback would re-deploy (version, or
// the deployed-or-superseded revision before the newest when version is 0)
// and the newest revision it would replace, without changing anything.
func (c *Config) PlanRollback(ctx context.Context, name string, version int) (target, current *Release, err error) {
	st := c.Storage()
	sums, err := st.Summaries(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	if len(sums) == 0 {
		return nil, nil, fmt.Errorf("%w: %q in namespace %q", ErrNotFound, name, c.Namespace)
	}
	if version == 0 {
		for i := len(sums) - 2; i >= 0; i-- {
			if sums[i].Status == StatusDeployed || sums[i].Status == StatusSuperseded {
				version = sums[i].Version
				break
			}
		}
		if version == 0 {
			return nil, nil, fmt.Errorf("release %q has no earlier revision to roll back to", name)
		}
	}
	if target, err = st.Get(ctx, name, version); err != nil {
		return nil, nil, err
	}
	if current, err = st.Get(ctx, name, sums[len(sums)-1].Version); err != nil {
		return nil, nil, err
	}
	return target, current, nil
}
