package main

import (
	"time"

	"github.com/spf13/cobra"
)

func newTestCmd(g *globalFlags) *cobra.Command {
	var kf *kubeFlags
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "test RELEASE",
		Short: "run the tests of a release",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := kf.config(kf.namespace(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			r, terr := cfg.Test(cmd.Context(), args[0], timeout)
			if r != nil {
				printRelease(cmd.OutOrStdout(), r, false)
			}
			return terr
		},
	}
	f := cmd.Flags()
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "time to wait for any individual Kubernetes operation (like Jobs for hooks)")
	kf = newKubeFlags(g, f)
	return cmd
}
