package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/fleet"
	"github.com/lade-dev/lade/pkg/source"
)

// chartLoader loads the chart of a Release as the other commands load
// CHART (pkg/source: a local directory or archive, oci://, REPO/CHART,
// https://, with --verify and --verify-policy), checking spec.chart.digest
// against the archive's or the OCI manifest's digest
// (source.ErrDigestMismatch).
func (a *applyFlags) chartLoader(cmd *cobra.Command) fleet.ChartLoader {
	return func(ctx context.Context, ref, version, digest string) (*chart.Chart, error) {
		o := a.reg.sourceOptions(cmd, cmd.ErrOrStderr(), version)
		o.Digest = digest
		s, err := source.Resolve(ctx, ref, o)
		if err != nil {
			return nil, err
		}
		return s.Chart, nil
	}
}
