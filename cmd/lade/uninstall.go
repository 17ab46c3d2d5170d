package main

import (
	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/release"
)

func newUninstallCmd(g *globalFlags) *cobra.Command {
	var o release.UninstallOptions
	var dryRun bool
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:     "uninstall RELEASE_NAME [...]",
		Aliases: []string{"del", "delete", "un"},
		Short:   "uninstall a release",
		Args:    minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := kf.config(kf.namespace(), cmd.OutOrStdout())
			if err != nil {
				return err
			}
			if dryRun {
				o.DryRun = release.DryRunClient
			}
			for _, name := range args {
				o.Name = name
				r, err := cfg.Uninstall(cmd.Context(), o)
				if err != nil {
					return err
				}
				if r == nil {
					continue
				}
				if o.KeepHistory {
					cmd.Printf("release %q uninstalled\n", name)
				} else {
					cmd.Printf("release %q uninstalled\n", name)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.KeepHistory, "keep-history", false, "remove all associated resources and mark the release as deleted, but retain the release history")
	f.BoolVar(&o.NoHooks, "no-hooks", false, "prevent hooks from running during uninstallation")
	f.BoolVar(&o.IgnoreNotFound, "ignore-not-found", false, `treat "release not found" as a successful uninstall`)
	f.StringVar(&o.Cascade, "cascade", "background", "must be \"background\", \"orphan\", or \"foreground\". Selects the deletion cascading strategy for the dependents")
	addWaitFlag(f, &o.Wait)
	f.DurationVar(&o.Timeout, "timeout", 0, "time to wait for any individual Kubernetes operation (default 5m)")
	f.BoolVar(&dryRun, "dry-run", false, "simulate a uninstall")
	f.StringVar(&o.Description, "description", "", "add a custom description")
	kf = newKubeFlags(g, f)
	return cmd
}
