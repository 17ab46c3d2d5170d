package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func newPullCmd() *cobra.Command {
	var rf registryFlags
	var version, dest, untarDir string
	var devel bool
	var untar bool
	cmd := &cobra.Command{
		Use:   "pull oci://HOST/PATH/NAME[:TAG][@DIGEST] | REPO/CHART | https://.../CHART.tgz",
		Short: "download a chart from an OCI registry or a chart repository",
		Long: `Download a chart from an OCI registry into the current directory (or -d DIR)
as NAME-VERSION.tgz, or unpacked with --untar.

--version takes an exact version or a SemVer constraint ("^1.2", ">=2.0 <3");
without it the highest release is pulled. A @sha256:... digest pins the exact
manifest; digests are verified, and charts already in the cache
($XDG_CACHE_HOME/lade, --cache-dir) are not fetched again.

REPO/CHART takes the chart from a repository added with 'lade repo add',
--repo URL CHART from a repository not added; archives are checked against
the index's digest and share the cache with OCI pulls.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := rf.pullAny(cmd, cmd.OutOrStdout(), args[0], develVersion(version, devel))
			if err != nil {
				return err
			}
			if rf.verified != nil {
				fmt.Fprint(cmd.OutOrStdout(), rf.verified.Text())
			}
			if untar {
				ud := untarDir
				if !filepath.IsAbs(ud) {
					ud = filepath.Join(dest, ud)
				}
				_, err = res.Untar(ud)
				return err
			}
			name, err := res.SaveArchive(dest)
			if err == nil && rf.verified != nil {
				// As Helm: the verified provenance file is kept beside the archive.
				err = os.WriteFile(name+".prov", rf.prov.prov, 0o644)
			}
			return err
		},
	}
	f := cmd.Flags()
	rf.add(f)
	rf.addRepo(f)
	rf.addVerify(f)
	f.StringVar(&version, "version", "", "a version or SemVer constraint for the chart (default: the highest release)")
	addDevelFlag(f, &devel)
	f.StringVarP(&dest, "destination", "d", ".", "location to write the chart")
	f.BoolVar(&untar, "untar", false, "unpack the chart after downloading it")
	f.StringVar(&untarDir, "untardir", ".", "with --untar, the directory (relative to --destination) to unpack the chart into")
	return cmd
}
