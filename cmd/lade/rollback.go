package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/release"
)

func newRollbackCmd(g *globalFlags) *cobra.Command {
	var cf commonFlags
	var compat compatFlags
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:   "rollback RELEASE [REVISION]",
		Short: "roll back a release to a previous revision",
		Long:  "Roll back a release to REVISION (default: the previous revision), recorded as a new revision.",
		Args:  rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := compat.check(); err != nil {
				return err
			}
			o, err := cf.options()
			if err != nil {
				return err
			}
			ro := release.RollbackOptions{CommonOptions: o, Name: args[0]}
			if len(args) == 2 {
				if ro.Version, err = strconv.Atoi(args[1]); err != nil {
					return fmt.Errorf("could not convert revision to a number: %w", err)
				}
			}
			cfg, err := kf.config(kf.namespace(), progress())
			if err != nil {
				return err
			}
			if _, err := cfg.Rollback(cmd.Context(), ro); err != nil {
				return err
			}
			cmd.Println("Rollback was a success!")
			return nil
		},
	}
	f := cmd.Flags()
	cf.add(f, false)
	f.StringVar(&cf.dryRun, "dry-run", "", `simulate the rollback without changing anything: "client" (the default with --dry-run alone) or "server" (the API server also validates it by a server-side dry-run apply)`)
	f.Lookup("dry-run").NoOptDefVal = "client"
	compat.add(f, false)
	f.BoolVar(&cf.o.CleanupOnFail, "cleanup-on-fail", false, "allow deletion of new resources created in this rollback when rollback fails")
	kf = newKubeFlags(g, f)
	return cmd
}
