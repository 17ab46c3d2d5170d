package verify

import (
	"context"
	"errors"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/lade-dev/lade/pkg/registry"
	"github.com/lade-dev/lade/pkg/signature"
)

// maxPayload bounds a cosign payload blob.
const maxPayload = 1 << 20

// registryFetcher reads cosign signatures through lade's registry client
// (its credentials, TLS settings and --plain-http).
type registryFetcher struct {
	c *registry.Client
	r registry.Reference
}

func (f registryFetcher) Manifest(ctx context.Context, tag string) ([]byte, error) {
	data, err := f.c.FetchManifest(ctx, f.r, tag)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, signature.ErrNotFound
	}
	return data, err
}

func (f registryFetcher) Blob(ctx context.Context, desc ocispec.Descriptor) ([]byte, error) {
	return f.c.FetchBlob(ctx, f.r, desc, maxPayload)
}

// OCIChart describes a chart pulled from a registry for Check: its source
// oci://HOST/PATH/NAME, manifest digest, archive, provenance layer and
// cosign signatures, all read through c.
func OCIChart(ctx context.Context, c *registry.Client, res *registry.PullResult) Chart {
	ref := res.Ref
	ref.Tag, ref.Digest = "", ""
	return Chart{
		Source:   "oci://" + ref.Repo(),
		Digest:   res.Manifest.Digest.String(),
		Archive:  res.Archive,
		FileName: res.FileName(),
		Provenance: func() ([]byte, error) {
			data, found, err := c.Provenance(ctx, res)
			if err == nil && !found {
				err = errors.New("no provenance: the manifest has no " + registry.ProvLayerMediaType + " layer")
			}
			return data, err
		},
		Cosign: func(keys []*signature.Key) (*signature.Result, error) {
			return signature.Verify(ctx, registryFetcher{c, res.Ref}, res.Manifest.Digest.String(), keys)
		},
	}
}
