package main

import (
	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/release"
)

func newUpgradeCmd(g *globalFlags) *cobra.Command {
	var inf installFlags
	var kf *kubeFlags
	var install, reuse, reset, resetThenReuse, showDiff bool
	cmd := &cobra.Command{
		Use:   "upgrade RELEASE CHART",
		Short: "upgrade a release to a new chart or new values",
		Long: `Upgrade a release: render the chart as the next revision, apply it with
server-side apply and delete what the new revision no longer contains (except
objects annotated helm.sh/resource-policy: keep). The render stops at its
limits (docs/limits.md), which --max-render-bytes, --max-template-bytes,
--max-template-depth, --render-timeout and --max-render-memory raise:

    $ lade upgrade web ./big --max-template-depth 2000

Definitions in the chart's crds/ are left alone, as Helm leaves them, unless
--crds create-replace: then changed ones are applied first, once the
compatibility check (stored versions, scope and names, every existing custom
resource validated against the new schema) accepts them:

    $ lade upgrade op ./operator --crds create-replace`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := inf.options(cmd, args[0], args[1])
			if err != nil {
				return err
			}
			defer inf.ov.raiseGC()()
			ns := kf.namespace()
			cfg, err := kf.config(ns, progress())
			if err != nil {
				return err
			}
			uo := release.UpgradeOptions{
				InstallOptions: o, Install: install, ReuseValues: reuse, ResetValues: reset, ResetThenReuseValues: resetThenReuse,
				ResetOverlay: inf.ov.reset,
			}
			if inf.out.format == "table" {
				uo.OnInstall = func() { cmd.Printf("Release %q does not exist. Installing it now.\n", o.Name) }
			}
			r, err := upgrade(cmd, cfg, uo, showDiff)
			if err != nil || r == nil { // nil: upgrade --diff --dry-run printed the plan
				return err
			}
			reusedNotice(cmd.ErrOrStderr(), r)
			if inf.out.format == "table" && r.Version > 1 {
				cmd.Printf("Release %q has been upgraded.\n", r.Name)
			}
			return inf.print(cmd, r)
		},
	}
	f := cmd.Flags()
	inf.add(f)
	inf.addPrinting(f)
	inf.ov.addReset(f)
	f.BoolVarP(&install, "install", "i", false, "if a release by this name doesn't already exist, run an install")
	f.BoolVar(&reuse, "reuse-values", false, "when upgrading, reuse the last release's values and merge in any overrides from the command line")
	f.BoolVar(&reset, "reset-values", false, "when upgrading, reset the values to the ones built into the chart")
	f.BoolVar(&resetThenReuse, "reset-then-reuse-values", false, "when upgrading, reset the values to the ones built into the chart, apply the last release's values and merge in any overrides from the command line")
	f.BoolVar(&inf.common.o.CleanupOnFail, "cleanup-on-fail", false, "allow deletion of new resources created in this upgrade when upgrade fails")
	f.BoolVar(&showDiff, "diff", false, "print what the upgrade changes (as lade diff upgrade does), then apply exactly that plan (refused if the release changed meanwhile); with --dry-run, print only the plan")
	kf = newKubeFlags(g, f)
	return cmd
}

// upgrade runs the upgrade; with showDiff it plans it, prints the plan's
// diff and deploys that plan (with --dry-run it stops there and returns
// nil), so what was printed is what is applied (or the release moved
// meanwhile: release.ErrPlanStale).
func upgrade(cmd *cobra.Command, cfg *release.Config, uo release.UpgradeOptions, showDiff bool) (*release.Release, error) {
	if !showDiff {
		return cfg.Upgrade(cmd.Context(), uo)
	}
	if uo.HideSecret && !uo.DryRun.Enabled() {
		return nil, release.ErrHideSecretNeedsDryRun
	}
	p, done, err := printUpgradeDiff(cmd, cfg, uo)
	if done || err != nil {
		return nil, err
	}
	if p.Operation == release.OpInstall && uo.OnInstall != nil {
		uo.OnInstall()
	}
	return cfg.Deploy(cmd.Context(), p)
}
