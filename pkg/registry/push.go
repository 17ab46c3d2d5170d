package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/lade-dev/lade/pkg/chart"
)

// PushResult describes a pushed chart.
type PushResult struct {
	// Ref is HOST/PATH/NAME:TAG@DIGEST of the pushed manifest.
	Ref Reference
	// Manifest, Config, Chart and Prov are the pushed descriptors (Prov is
	// zero without a provenance file).
	Manifest, Config, Chart, Prov ocispec.Descriptor
	// Metadata is the chart's Chart.yaml, as stored in the config.
	Metadata *chart.Metadata
}

// PushOptions tune Push.
type PushOptions struct {
	// Prov is the provenance file (.prov) to push as a layer beside the chart.
	Prov []byte
	// Created is the manifest's org.opencontainers.image.created time. Zero
	// means now; `lade push` passes SOURCE_DATE_EPOCH or the archive file's
	// modification time, as Helm does.
	Created time.Time
}

// Push uploads the chart archive to the registry repository remote
// (oci://HOST/PATH): as Helm, the chart is stored at HOST/PATH/NAME with its
// version as the tag ('+' becoming '_'), in Helm's format. The archive must
// pass the chart loader.
func (c *Client) Push(ctx context.Context, archive []byte, remoteRef string, opts PushOptions) (*PushResult, error) {
	if !IsOCI(remoteRef) {
		return nil, fmt.Errorf("push destination %q must start with oci://", remoteRef)
	}
	ch, err := chart.LoadArchive(bytes.NewReader(archive))
	if err != nil {
		return nil, newKindError(ErrInvalidChart, err, "refusing to push: %v", err)
	}
	md := ch.Metadata
	base := strings.TrimSuffix(strings.TrimPrefix(remoteRef, schemePrefix), "/")
	if strings.Contains(base, "@") || (strings.Contains(base, "/") && strings.Contains(path.Base(base), ":")) {
		return nil, fmt.Errorf("push destination %s must not name a tag or digest: lade push stores the chart at %s/%s:%s",
			remoteRef, remoteRef, md.Name, TagForVersion(md.Version))
	}
	r, err := ParseReference(path.Join(base, md.Name) + ":" + md.Version)
	if err != nil {
		return nil, err
	}
	// Helm's strict mode: the reference ends in the chart's name and version.
	if r.Name() != md.Name || r.Tag != TagForVersion(md.Version) {
		return nil, errors.New("strict mode enabled, ref basename and tag must match the chart name and version")
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	m, err := buildManifest(md, archive, opts.Prov, created.UTC())
	if err != nil {
		return nil, err
	}
	repo, err := c.repository(r)
	if err != nil {
		return nil, err
	}
	op := "push " + r.URL()
	ctx = auth.AppendRepositoryScope(ctx, repo.Reference, auth.ActionPull, auth.ActionPush)

	type blob struct {
		desc ocispec.Descriptor
		data []byte
	}
	blobs := []blob{{m.configDesc, m.config}, {m.chartDesc, archive}}
	if m.hasProvLayer {
		blobs = append(blobs, blob{m.provDesc, opts.Prov})
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, b := range blobs {
		g.Go(func() error {
			ok, err := repo.Blobs().Exists(gctx, b.desc)
			if err != nil {
				return err
			}
			if ok {
				return nil
			}
			return repo.Blobs().Push(gctx, b.desc, bytes.NewReader(b.data))
		})
	}
	if err := g.Wait(); err != nil {
		return nil, explain(err, op, r.Registry)
	}
	if err := repo.Manifests().PushReference(ctx, m.desc, bytes.NewReader(m.manifest), r.Tag); err != nil {
		return nil, explain(err, op, r.Registry)
	}

	res := &PushResult{Ref: r, Manifest: m.desc, Config: m.configDesc, Chart: m.chartDesc, Prov: m.provDesc, Metadata: md}
	res.Ref.Digest = m.desc.Digest.String()
	fmt.Fprintf(c.out, "Pushed: %s\n", r)
	fmt.Fprintf(c.out, "Digest: %s\n", m.desc.Digest)
	if strings.Contains(r.Tag, "_") {
		fmt.Fprintf(c.out, "%s contains an underscore.\n%s\n", r, underscoreNote)
	}
	return res, nil
}
