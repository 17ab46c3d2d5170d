package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/fleet"
	"github.com/lade-dev/lade/pkg/registry"
)

// chartLoader loads the chart of a Release as the other commands load
// CHART (registryFlags.load: a local directory or archive, oci://,
// REPO/CHART, https://), checking spec.chart.digest against the archive's
// SHA-256 or the OCI manifest's digest.
// TODO(issue 18): use the chart-source library once it is on main.
func (a *applyFlags) chartLoader(cmd *cobra.Command) fleet.ChartLoader {
	return func(ctx context.Context, ref, version, digest string) (*chart.Chart, error) {
		if digest == "" {
			return a.reg.load(cmd, ref, version)
		}
		var archive []byte
		var manifest string
		var ch *chart.Chart
		if registry.IsOCI(ref) || a.reg.isRepoRef(ref) {
			res, err := a.reg.pullAny(cmd, cmd.ErrOrStderr(), ref, version)
			if err != nil {
				return nil, err
			}
			archive, manifest, ch = res.Archive, res.Manifest.Digest.String(), res.Chart
		} else {
			st, err := os.Stat(ref)
			if err != nil {
				return nil, err
			}
			if st.IsDir() {
				return nil, fmt.Errorf("digest %s pins an archive, but %s is a directory", digest, ref)
			}
			if archive, err = os.ReadFile(ref); err != nil {
				return nil, err
			}
		}
		sum := sha256.Sum256(archive)
		if got := "sha256:" + hex.EncodeToString(sum[:]); got != digest && manifest != digest {
			return nil, fmt.Errorf("chart %s has digest %s, but the Release pins %s", ref, got, digest)
		}
		if ch != nil {
			return ch, nil
		}
		return chart.LoadArchive(bytes.NewReader(archive))
	}
}
