package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
	"github.com/lade-dev/lade/pkg/repo"
	"github.com/lade-dev/lade/pkg/source"
)

// ErrLocalChart is returned for a chart reference that is a local path: a
// controller reads charts from registries and repositories only.
var ErrLocalChart = errors.New("local chart paths are not allowed in the cluster: use an oci://, https:// or REPO/CHART reference")

// Chart is a resolved chart and the digest that identifies its content.
type Chart struct {
	Chart   *chart.Chart
	Digest  string
	Version string
}

// Source resolves a chart reference at a version (exact or constraint),
// pinned to digest when it is set.
type Source interface {
	Resolve(ctx context.Context, ref, version, digest string) (*Chart, error)
}

// SourceOptions configure the registry and repository clients of NewSource.
type SourceOptions struct {
	Registry registry.Options
	Repo     repo.Options
}

// NewSource returns the controller's chart source: pkg/source with local
// paths refused (ErrLocalChart), oci:// through pkg/registry, https://
// archives and REPO/CHART through pkg/repo, both with their content
// caches. Every call loads a fresh *chart.Chart, since rendering changes
// the chart it is given (disabled subcharts are removed).
func NewSource(o SourceOptions) (Source, error) {
	// Fail at start-up on a bad registry configuration, not per Release.
	rc, err := registry.NewClient(o.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	rc.Close()
	return &chartSource{reg: o.Registry, repo: repo.NewClient(o.Repo)}, nil
}

type chartSource struct {
	reg  registry.Options
	repo *repo.Client
}

func (s *chartSource) Resolve(ctx context.Context, ref, version, digest string) (*Chart, error) {
	res, err := source.Resolve(ctx, ref, source.Options{
		Version:  version,
		Digest:   digest,
		NoLocal:  true,
		Registry: s.reg,
		Repo:     func() (*repo.Client, error) { return s.repo, nil },
	})
	if errors.Is(err, source.ErrLocalRefused) {
		return nil, fmt.Errorf("chart %q: %w", ref, ErrLocalChart)
	}
	if err != nil {
		return nil, err
	}
	// An OCI chart is identified by its manifest, as `lade pull` prints it.
	d := res.Digest.String()
	if res.Manifest != "" {
		d = res.Manifest.String()
	}
	v := ""
	if res.Chart.Metadata != nil {
		v = res.Chart.Metadata.Version
	}
	return &Chart{Chart: res.Chart, Digest: d, Version: v}, nil
}
