package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
)

func newPushCmd() *cobra.Command {
	var rf registryFlags
	cmd := &cobra.Command{
		Use:   "push CHART.tgz oci://HOST/PATH",
		Short: "push a chart archive to an OCI registry",
		Long: `Upload a chart archive to an OCI registry, in Helm's format: the chart is
stored at HOST/PATH/NAME with its version as the tag ('+' becomes '_'). A
provenance file CHART.tgz.prov beside the archive is pushed too.

The manifest's creation time is SOURCE_DATE_EPOCH when set, else the archive
file's modification time (which 'lade package' sets to the package time), so
pushing the same package gives the same manifest digest.`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			file, remote := args[0], args[1]
			fi, err := os.Stat(file)
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s: no such file", file)
			} else if err != nil {
				return err
			}
			if fi.IsDir() {
				return errors.New("cannot push directory, must provide chart archive (.tgz)")
			}
			archive, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			var opts registry.PushOptions
			if prov, err := os.ReadFile(file + ".prov"); err == nil {
				opts.Prov = prov
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			opts.Created = fi.ModTime()
			if t, ok, err := chart.SourceDateEpoch(); err != nil {
				return err
			} else if ok {
				opts.Created = t
			}
			c, err := rf.client(cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer c.Close()
			_, err = c.Push(cmd.Context(), archive, remote, opts)
			return err
		},
	}
	rf.add(cmd.Flags())
	return cmd
}
