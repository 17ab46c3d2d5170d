package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/errdef"

	"github.com/lade-dev/lade/pkg/chart"
)

const (
	// maxManifestSize bounds manifests (oras' default for metadata).
	maxManifestSize = 4 << 20
	// maxLayerSize bounds chart layers: an archive that decompresses to at
	// most chart.MaxChartSize cannot be much larger than that compressed.
	maxLayerSize = 2 * chart.MaxChartSize
)

// PullResult is a chart fetched from a registry (or from the cache).
type PullResult struct {
	// Ref is what was pulled: the tag used (empty for a pull by digest
	// alone) and the manifest digest.
	Ref Reference
	// Manifest and Layer describe the manifest and the chart layer.
	Manifest ocispec.Descriptor
	Layer    ocispec.Descriptor
	// ProvLayer is the provenance layer (zero without one); Provenance fetches it.
	ProvLayer ocispec.Descriptor
	// Archive is the chart archive (.tgz), verified against Layer.Digest.
	Archive []byte
	// Chart is the archive loaded by the chart loader (all its rules applied).
	Chart *chart.Chart
	// Cached is true when neither the manifest nor the layer was fetched.
	Cached bool
}

// FileName is the archive's file name, NAME-VERSION.tgz, from the chart's metadata.
func (p *PullResult) FileName() string {
	return p.Chart.Metadata.Name + "-" + p.Chart.Metadata.Version + ".tgz"
}

// Pull fetches the chart ref (oci://HOST/PATH/NAME[:TAG][@DIGEST]).
// version is empty (the highest SemVer release), an exact version, or a
// constraint such as "^1.2"; it must agree with a tag in ref. Digests are
// verified; manifests and layers named by a digest already in the cache are
// not fetched again (a pull by digest with a warm cache sends no request). The
// archive must pass the chart loader; nothing is cached otherwise.
func (c *Client) Pull(ctx context.Context, ref, version string) (*PullResult, error) {
	if c.cacheErr != nil {
		return nil, c.cacheErr
	}
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	if r, err = c.resolveTag(ctx, r, version); err != nil {
		return nil, err
	}
	repo, err := c.repository(r)
	if err != nil {
		return nil, err
	}
	op := "pull " + r.URL()

	res := &PullResult{Ref: r}
	var manifest []byte
	manifestCached := false
	if r.Digest != "" {
		d := digest.Digest(r.Digest)
		if r.Tag != "" {
			// As Helm: a tag given beside the digest must resolve to it
			// (a tag that cannot be resolved is not an error).
			if desc, err := repo.Resolve(ctx, r.Tag); err == nil && desc.Digest != d {
				return nil, newKindError(ErrDigestMismatch, nil, "chart reference digest mismatch: %s is not %s", desc.Digest, d)
			}
		}
		manifest, manifestCached = c.fromCache(d, maxManifestSize)
		if !manifestCached {
			desc, rc, err := repo.Manifests().FetchReference(ctx, r.Digest)
			if err != nil {
				return nil, c.notFoundOr(ctx, err, op, r, "")
			}
			if manifest, err = readVerified(rc, desc, d, maxManifestSize, r.URL()); err != nil {
				return nil, err
			}
			if err := checkManifestType(desc.MediaType, r); err != nil {
				return nil, err
			}
		}
		res.Manifest = ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: d, Size: int64(len(manifest))}
	} else {
		desc, rc, err := repo.Manifests().FetchReference(ctx, r.Tag)
		if err != nil {
			return nil, c.notFoundOr(ctx, err, op, r, VersionForTag(r.Tag))
		}
		// The registry names the manifest's digest; the bytes must match it.
		if manifest, err = readVerified(rc, desc, desc.Digest, maxManifestSize, r.URL()); err != nil {
			return nil, err
		}
		if err := checkManifestType(desc.MediaType, r); err != nil {
			return nil, err
		}
		res.Manifest = desc
		r.Digest = desc.Digest.String()
		res.Ref = r
	}

	shown := r // the reference as asked for: with its tag, else its digest
	if shown.Tag != "" {
		shown.Digest = ""
	}
	layer, err := chartLayer(manifest, shown, c.out)
	if err != nil {
		return nil, err
	}
	res.Layer = layer
	res.ProvLayer = provLayer(manifest)
	archive, layerCached := c.fromCache(layer.Digest, maxLayerSize)
	if !layerCached {
		rc, err := repo.Blobs().Fetch(ctx, layer)
		if err != nil {
			return nil, blobError(err, op, r, layer)
		}
		if archive, err = readVerified(rc, layer, layer.Digest, maxLayerSize, r.URL()); err != nil {
			return nil, err
		}
	}
	// The cache is written while the chart loads, into temporary files that
	// are renamed into place only if it loads.
	var pending []*pendingEntry
	if !manifestCached {
		pending = append(pending, c.stage(res.Manifest.Digest, manifest))
	}
	if !layerCached {
		pending = append(pending, c.stage(layer.Digest, archive))
	}
	ch, err := chart.LoadArchive(bytes.NewReader(archive))
	for _, p := range pending {
		c.finish(p, err == nil)
	}
	if err != nil {
		return nil, newKindError(ErrInvalidChart, err, "chart %s (layer %s) fails the chart loader's safety rules: %v", shown.URL(), layer.Digest, err)
	}
	res.Archive, res.Chart = archive, ch
	res.Cached = manifestCached && layerCached

	fmt.Fprintf(c.out, "Pulled: %s\n", shown)
	fmt.Fprintf(c.out, "Digest: %s\n", res.Manifest.Digest)
	if strings.Contains(r.Tag, "_") {
		fmt.Fprintf(c.out, "%s contains an underscore.\n%s\n", shown, underscoreNote)
	}
	return res, nil
}

// fromCache returns a verified cache entry; a corrupt one is reported,
// dropped, and fetched again by the caller.
func (c *Client) fromCache(d digest.Digest, maxSize int64) ([]byte, bool) {
	data, err := c.cache.Get(d, maxSize)
	if err == nil {
		return data, true
	}
	if errors.Is(err, errCorrupt) {
		fmt.Fprintf(c.out, "Warning: cached %s does not match its digest; fetching it again\n", d)
	}
	return nil, false
}

// pendingEntry is a cache entry being written in the background.
type pendingEntry struct {
	d    digest.Digest
	done chan error
	tmp  string
}

// stage starts writing data to a temporary file of the cache.
func (c *Client) stage(d digest.Digest, data []byte) *pendingEntry {
	p := &pendingEntry{d: d, done: make(chan error, 1)}
	go func() {
		var err error
		p.tmp, err = c.cache.writeTemp(d, data)
		p.done <- err
	}()
	return p
}

// finish renames a staged entry into place (keep) or removes it. A cache
// that cannot be written is worth a warning, not a failed pull.
func (c *Client) finish(p *pendingEntry, keep bool) {
	err := <-p.done
	if err == nil && keep {
		err = c.cache.commit(p.d, p.tmp)
	} else if p.tmp != "" {
		os.Remove(p.tmp)
	}
	if err != nil && keep {
		fmt.Fprintf(c.out, "Warning: %v\n", err)
	}
}

// readVerified reads a fetched manifest or blob, refusing more than max
// bytes or content whose size or digest differs from what names it.
func readVerified(rc io.ReadCloser, desc ocispec.Descriptor, want digest.Digest, max int64, where string) ([]byte, error) {
	defer rc.Close()
	if desc.Size > max {
		return nil, fmt.Errorf("%s: %s is %d bytes, more than the %d allowed", where, want, desc.Size, max)
	}
	var data []byte
	var err error
	if desc.Size > 0 {
		// The size is known: read into one buffer of that size, then make
		// sure nothing follows.
		data = make([]byte, desc.Size)
		var n int
		n, err = io.ReadFull(rc, data)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, newKindError(ErrDigestMismatch, nil, "%s: size mismatch for %s: got %d bytes, want %d", where, want, n, desc.Size)
		}
		if err == nil {
			var one [1]byte
			if m, _ := io.ReadFull(rc, one[:]); m > 0 {
				return nil, newKindError(ErrDigestMismatch, nil, "%s: size mismatch for %s: more than the %d bytes announced", where, want, desc.Size)
			}
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(rc, max+1))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", where, want, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: %s is more than the %d bytes allowed", where, want, max)
	}
	if err := want.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if got := want.Algorithm().FromBytes(data); got != want {
		return nil, newKindError(ErrDigestMismatch, nil, "%s: digest mismatch: the registry sent content with digest %s for %s", where, got, want)
	}
	if desc.Size > 0 && int64(len(data)) != desc.Size {
		return nil, newKindError(ErrDigestMismatch, nil, "%s: size mismatch for %s: got %d bytes, want %d", where, want, len(data), desc.Size)
	}
	return data, nil
}

// checkManifestType refuses indexes and anything that is not an OCI manifest.
func checkManifestType(mediaType string, r Reference) error {
	switch mediaType {
	case ocispec.MediaTypeImageManifest:
		return nil
	case ocispec.MediaTypeImageIndex, "application/vnd.docker.distribution.manifest.list.v2+json":
		return newKindError(ErrNotChart, nil, "%s is not a Helm chart: it is an image index (%s)", r.URL(), mediaType)
	}
	return newKindError(ErrNotChart, nil, "%s is not a Helm chart: its manifest has media type %q", r.URL(), mediaType)
}

// chartLayer finds the chart layer of a Helm chart manifest.
func chartLayer(data []byte, r Reference, out io.Writer) (ocispec.Descriptor, error) {
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return ocispec.Descriptor{}, newKindError(ErrNotChart, err, "%s is not a Helm chart: its manifest is not valid JSON: %v", r.URL(), err)
	}
	if m.MediaType != "" && m.MediaType != ocispec.MediaTypeImageManifest {
		return ocispec.Descriptor{}, checkManifestType(m.MediaType, r)
	}
	if m.Config.MediaType != ConfigMediaType {
		what := ""
		if strings.Contains(m.Config.MediaType, "image.config") || strings.Contains(m.Config.MediaType, "container.image") {
			what = " (a container image?)"
		}
		return ocispec.Descriptor{}, newKindError(ErrNotChart, nil, "%s is not a Helm chart: its config media type is %q, not %q%s",
			r.URL(), m.Config.MediaType, ConfigMediaType, what)
	}
	var layer *ocispec.Descriptor
	for i := range m.Layers {
		switch m.Layers[i].MediaType {
		case ChartLayerMediaType:
			layer = &m.Layers[i]
		case LegacyChartLayerMediaType:
			if layer == nil {
				layer = &m.Layers[i]
				fmt.Fprintf(out, "Warning: chart media type %s is deprecated\n", LegacyChartLayerMediaType)
			}
		}
	}
	if layer == nil {
		return ocispec.Descriptor{}, newKindError(ErrNotChart, nil, "%s is not a Helm chart: its manifest does not contain a layer with mediatype %s", r.URL(), ChartLayerMediaType)
	}
	if err := layer.Digest.Validate(); err != nil {
		return ocispec.Descriptor{}, newKindError(ErrNotChart, err, "%s: chart layer digest %q: %v", r.URL(), layer.Digest, err)
	}
	if layer.Size > maxLayerSize {
		return ocispec.Descriptor{}, newKindError(ErrInvalidChart, nil, "%s: the chart layer is %d bytes, more than the %d allowed", r.URL(), layer.Size, maxLayerSize)
	}
	return *layer, nil
}

// blobError explains a failed blob fetch; a registry whose Content-Length or
// Docker-Content-Digest disagrees with the layer descriptor is a mismatch.
func blobError(err error, op string, r Reference, layer ocispec.Descriptor) error {
	msg := err.Error()
	if strings.Contains(msg, "mismatch Content-Length") || strings.Contains(msg, "digest mismatch") {
		return newKindError(ErrDigestMismatch, err, "%s: digest mismatch for %s: %v", r.URL(), layer.Digest, err)
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return newKindError(ErrNotFound, err, "%s: the chart layer %s is missing from the registry", op, layer.Digest)
	}
	return explain(err, op, r.Registry)
}

// notFoundOr explains a failed manifest fetch. A missing tag names the
// nearest versions the repository has.
func (c *Client) notFoundOr(ctx context.Context, err error, op string, r Reference, version string) error {
	if strings.Contains(err.Error(), "digest mismatch") {
		return newKindError(ErrDigestMismatch, err, "%s: %v", op, err)
	}
	err = explain(err, op, r.Registry)
	if !errors.Is(err, ErrNotFound) {
		return err
	}
	if version == "" {
		return newKindError(ErrNotFound, err, "chart %s not found", r.URL())
	}
	versions, verr := c.versions(ctx, r)
	if verr != nil {
		if errors.Is(verr, ErrNotFound) {
			return verr
		}
		return newKindError(ErrNotFound, err, "chart %s: version %s not found", r.Repo(), version)
	}
	return newKindError(ErrNotFound, err, "chart %s: version %s not found; %s", "oci://"+r.Repo(), version, nearestText(versions, version))
}

// resolveTag picks the tag to pull when ref has neither tag nor digest,
// listing the repository's tags for a constraint, as Helm does.
func (c *Client) resolveTag(ctx context.Context, r Reference, version string) (Reference, error) {
	if version != "" && r.Tag != "" && TagForVersion(version) != r.Tag {
		return r, fmt.Errorf("chart reference and version mismatch: %s is not %s", version, VersionForTag(r.Tag))
	}
	exact := version != "" && isExactVersion(version)
	if r.Tag != "" || r.Digest != "" {
		if r.Tag == "" && exact {
			r.Tag = TagForVersion(version)
		}
		return r, nil
	}
	if exact {
		r.Tag = TagForVersion(version)
		return r, nil
	}
	versions, err := c.versions(ctx, r)
	if err != nil {
		return r, err
	}
	v, err := MatchVersion(versions, version)
	if err != nil {
		return r, newKindError(ErrNotFound, nil, "chart %s: %v; %s", r.URL(), err, nearestText(versions, version))
	}
	r.Tag = TagForVersion(v)
	return r, nil
}

// isExactVersion is Helm's test for "a version, not a constraint".
func isExactVersion(v string) bool {
	_, err := semver.NewVersion(v)
	return err == nil
}

// Versions lists the chart versions of an oci:// repository: its tags that
// are strict SemVer once '_' is read as '+', highest first.
func (c *Client) Versions(ctx context.Context, ref string) ([]string, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return nil, err
	}
	return c.versions(ctx, r)
}

func (c *Client) versions(ctx context.Context, r Reference) ([]string, error) {
	repo, err := c.repository(r)
	if err != nil {
		return nil, err
	}
	var vs []*semver.Version
	err = repo.Tags(ctx, "", func(tags []string) error {
		for _, t := range tags {
			if v, err := semver.StrictNewVersion(VersionForTag(t)); err == nil {
				vs = append(vs, v)
			}
		}
		return nil
	})
	if err != nil {
		err = explain(err, "list versions of oci://"+r.Repo(), r.Registry)
		if errors.Is(err, ErrNotFound) {
			return nil, newKindError(ErrNotFound, err, "chart oci://%s not found: %s has no such repository", r.Repo(), r.Registry)
		}
		return nil, err
	}
	slices.SortFunc(vs, func(a, b *semver.Version) int { return b.Compare(a) })
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Original()
	}
	return out, nil
}

// MatchVersion picks from versions (highest first) the one equal to want,
// else the highest that satisfies want as a constraint ("" means any
// release), as Helm does.
func MatchVersion(versions []string, want string) (string, error) {
	if want != "" && slices.Contains(versions, want) {
		return want, nil
	}
	constraint := want
	if constraint == "" {
		constraint = "*"
	}
	cs, err := semver.NewConstraint(constraint)
	if err != nil {
		return "", fmt.Errorf("invalid version or constraint %q: %w", want, err)
	}
	for _, v := range versions {
		if sv, err := semver.NewVersion(v); err == nil && cs.Check(sv) {
			return v, nil
		}
	}
	if want == "" {
		return "", errors.New("no release version found")
	}
	return "", fmt.Errorf("no version matches %q", want)
}

// nearestText lists the versions nearest to want: up to three on each side
// of an exact version, or the highest five for a constraint.
func nearestText(versions []string, want string) string {
	if len(versions) == 0 {
		return "the repository has no chart versions"
	}
	var pick []string
	if target, err := semver.NewVersion(want); err == nil {
		// versions is sorted highest first: find where want would go.
		i := 0
		for i < len(versions) {
			if v, err := semver.NewVersion(versions[i]); err == nil && v.LessThan(target) {
				break
			}
			i++
		}
		pick = versions[max(0, i-3):min(len(versions), i+3)]
	} else {
		pick = versions[:min(5, len(versions))]
	}
	more := ""
	if len(pick) < len(versions) {
		more = fmt.Sprintf(" (%d versions in all)", len(versions))
	}
	return "nearest available: " + strings.Join(pick, ", ") + more
}
