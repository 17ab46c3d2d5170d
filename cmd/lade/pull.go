package main

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/registry"
)

func newPullCmd() *cobra.Command {
	var rf registryFlags
	var version, dest, untarDir string
	var devel bool
	var untar bool
	cmd := &cobra.Command{
		Use:   "pull oci://HOST/PATH/NAME[:TAG][@DIGEST]",
		Short: "download a chart from an OCI registry",
		Long: `Download a chart from an OCI registry into the current directory (or -d DIR)
as NAME-VERSION.tgz, or unpacked with --untar.

--version takes an exact version or a SemVer constraint ("^1.2", ">=2.0 <3");
without it the highest release is pulled. A @sha256:... digest pins the exact
manifest; digests are verified, and charts already in the cache
($XDG_CACHE_HOME/lade, --cache-dir) are not fetched again.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !registry.IsOCI(args[0]) {
				return errNotOCI(args[0])
			}
			c, err := rf.client(cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer c.Close()
			res, err := c.Pull(cmd.Context(), args[0], develVersion(version, devel))
			if err != nil {
				return err
			}
			if untar {
				ud := untarDir
				if !filepath.IsAbs(ud) {
					ud = filepath.Join(dest, ud)
				}
				_, err = res.Untar(ud)
				return err
			}
			_, err = res.SaveArchive(dest)
			return err
		},
	}
	f := cmd.Flags()
	rf.add(f)
	f.StringVar(&version, "version", "", "a version or SemVer constraint for the chart (default: the highest release)")
	addDevelFlag(f, &devel)
	f.StringVarP(&dest, "destination", "d", ".", "location to write the chart")
	f.BoolVar(&untar, "untar", false, "unpack the chart after downloading it")
	f.StringVar(&untarDir, "untardir", ".", "with --untar, the directory (relative to --destination) to unpack the chart into")
	return cmd
}
