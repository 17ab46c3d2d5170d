package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
)

func newPackageCmd() *cobra.Command {
	var rf registryFlags
	var opts chart.PackageOptions
	var dest string
	var depUpdate bool
	var sf signFlags
	cmd := &cobra.Command{
		Use:   "package CHART_DIR [...]",
		Short: "package a chart directory into a reproducible chart archive",
		Long: `Package chart directories into NAME-VERSION.tgz archives.

Packages are reproducible: the same chart gives byte-identical archives (and so
the same registry digests) on any machine at any time. Entries are sorted, and
have mode 0644, owner 0:0 and one modification time: SOURCE_DATE_EPOCH when set,
else 1980-01-01T00:00:00Z. .helmignore is honoured and the chart loader's safety
rules apply to everything packed.

--sign writes NAME-VERSION.tgz.prov beside the archive: Helm's provenance file
(the metadata and the archive's SHA-256, OpenPGP clear-signed) that 'lade
verify', 'helm verify' and --verify check.

Example:

  lade package ./web -d dist/
  lade package ./web --sign --key 'CI signer' --keyring ci-secret.gpg --passphrase-file pass.txt`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errors.New("need at least one argument, the path to the chart")
			}
			if err := sf.unlock(cmd); err != nil {
				return err
			}
			for _, dir := range args {
				if _, err := os.Stat(dir); err != nil {
					return err
				}
				if depUpdate {
					c, err := rf.client(cmd.ErrOrStderr())
					if err != nil {
						return err
					}
					err = c.UpdateDependencies(cmd.Context(), dir, registry.DependencyOptions{Out: cmd.ErrOrStderr()})
					c.Close()
					if err != nil {
						return err
					}
				}
				name, err := chart.Package(dir, dest, opts)
				if err != nil {
					return err
				}
				if sf.sign {
					if err := sf.signArchive(name); err != nil {
						return err
					}
				}
				if abs, err := filepath.Abs(name); err == nil {
					name = abs
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Successfully packaged chart and saved it to: %s\n", name)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Version, "version", "", "set the version on the chart to this semver version")
	f.StringVar(&opts.AppVersion, "app-version", "", "set the appVersion on the chart to this version")
	f.StringVarP(&dest, "destination", "d", ".", "location to write the chart")
	f.BoolVarP(&depUpdate, "dependency-update", "u", false, `update dependencies from "Chart.yaml" to dir "charts/" before packaging`)
	rf.add(f)
	sf.add(f)
	return cmd
}
