package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
	"github.com/lade-dev/lade/pkg/repo"
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

// NewSource returns the controller's chart source: oci:// through
// pkg/registry, https:// archives and REPO/CHART through pkg/repo, both with
// their content caches; anything else is refused with ErrLocalChart.
// Archives are kept in those content caches by digest; every call loads a
// fresh *chart.Chart, since rendering changes the chart it is given
// (disabled subcharts are removed).
func NewSource(o SourceOptions) (Source, error) {
	rc, err := registry.NewClient(o.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry client: %w", err)
	}
	return &source{reg: rc, repo: repo.NewClient(o.Repo)}, nil
}

type source struct {
	reg  *registry.Client
	repo *repo.Client
}

func (s *source) Resolve(ctx context.Context, ref, version, digest string) (*Chart, error) {
	switch {
	case registry.IsOCI(ref):
		if digest != "" && !strings.Contains(ref, "@") {
			ref += "@" + digest
		}
		res, err := s.reg.Pull(ctx, ref, version)
		if err != nil {
			return nil, err
		}
		return resolved(res.Manifest.Digest.String(), res.Chart), nil
	case repo.IsURL(ref) || repo.IsReference(ref):
		res, err := s.repo.Resolve(ctx, ref, repo.ResolveOptions{Version: version})
		if err != nil {
			return nil, err
		}
		d := res.Digest.String()
		if digest != "" && d != digest {
			return nil, fmt.Errorf("chart %s: digest %s, the spec pins %s", ref, d, digest)
		}
		return resolved(d, res.Chart), nil
	default:
		return nil, fmt.Errorf("chart %q: %w", ref, ErrLocalChart)
	}
}

func resolved(digest string, c *chart.Chart) *Chart {
	v := ""
	if c.Metadata != nil {
		v = c.Metadata.Version
	}
	return &Chart{Chart: c, Digest: digest, Version: v}
}
