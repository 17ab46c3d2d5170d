package registry

import (
	"context"
	"encoding/json"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxProvSize bounds a provenance layer (a few KiB in practice).
const maxProvSize = 1 << 20

// provLayer is the provenance layer of a chart manifest (Helm pushes the
// .prov file as a layer of type ProvLayerMediaType), or a zero descriptor.
func provLayer(manifest []byte) ocispec.Descriptor {
	var m ocispec.Manifest
	if json.Unmarshal(manifest, &m) != nil {
		return ocispec.Descriptor{}
	}
	for _, l := range m.Layers {
		if l.MediaType == ProvLayerMediaType && l.Digest.Validate() == nil {
			return l
		}
	}
	return ocispec.Descriptor{}
}

// Provenance fetches the provenance file pushed beside a pulled chart
// (through the cache, verified against its layer digest). found is false
// when the chart's manifest has no provenance layer.
func (c *Client) Provenance(ctx context.Context, res *PullResult) (prov []byte, found bool, err error) {
	l := res.ProvLayer
	if l.Digest == "" {
		return nil, false, nil
	}
	if data, ok := c.fromCache(l.Digest, maxProvSize); ok {
		return data, true, nil
	}
	repo, err := c.repository(res.Ref)
	if err != nil {
		return nil, true, err
	}
	rc, err := repo.Blobs().Fetch(ctx, l)
	if err != nil {
		return nil, true, blobError(err, "pull "+res.Ref.URL(), res.Ref, l)
	}
	data, err := readVerified(rc, l, l.Digest, maxProvSize, res.Ref.URL())
	if err != nil {
		return nil, true, err
	}
	c.finish(c.stage(l.Digest, data), true)
	return data, true, nil
}

// FetchManifest fetches the manifest tagged tag in r's repository (an
// artifact stored beside a chart, such as cosign's sha256-HEX.sig), at most
// 4 MiB and verified against the digest the registry names. A missing tag
// is an error matching ErrNotFound.
func (c *Client) FetchManifest(ctx context.Context, r Reference, tag string) ([]byte, error) {
	repo, err := c.repository(r)
	if err != nil {
		return nil, err
	}
	desc, rc, err := repo.Manifests().FetchReference(ctx, tag)
	if err != nil {
		return nil, explain(err, "fetch "+r.Repo()+":"+tag, r.Registry)
	}
	return readVerified(rc, desc, desc.Digest, maxManifestSize, r.Repo()+":"+tag)
}

// FetchBlob fetches a blob of r's repository, at most max bytes, verified
// against desc's digest.
func (c *Client) FetchBlob(ctx context.Context, r Reference, desc ocispec.Descriptor, max int64) ([]byte, error) {
	repo, err := c.repository(r)
	if err != nil {
		return nil, err
	}
	rc, err := repo.Blobs().Fetch(ctx, desc)
	if err != nil {
		return nil, explain(err, "fetch "+r.Repo()+"@"+desc.Digest.String(), r.Registry)
	}
	return readVerified(rc, desc, desc.Digest, max, r.Repo()+"@"+desc.Digest.String())
}
