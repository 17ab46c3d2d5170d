package registry

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	"github.com/lade-dev/lade/pkg/chart"
)

// Media types of Helm charts in OCI registries (Helm v4's reserved types).
const (
	// ConfigMediaType is the media type of the manifest config: the chart's
	// Chart.yaml metadata as JSON.
	ConfigMediaType = "application/vnd.cncf.helm.config.v1+json"
	// ChartLayerMediaType is the media type of the chart archive layer.
	ChartLayerMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
	// ProvLayerMediaType is the media type of the provenance file layer.
	ProvLayerMediaType = "application/vnd.cncf.helm.chart.provenance.v1.prov"
	// LegacyChartLayerMediaType is the chart layer type of Helm 3.0-3.7
	// pushes; pulls accept it with a warning.
	LegacyChartLayerMediaType = "application/tar+gzip"
)

// underscoreNote is printed, as Helm does, when a tag had '+' turned into '_'.
const underscoreNote = `
OCI artifact references (e.g. tags) do not support the plus sign (+). To support
storing semantic versions, Helm adopts the convention of changing plus (+) to
an underscore (_) in chart version tags when pushing to a registry and back to
a plus (+) when pulling from a registry.`

// chartManifest is the manifest of a chart push and the blobs it references.
type chartManifest struct {
	manifest     []byte
	desc         ocispec.Descriptor
	config       []byte
	configDesc   ocispec.Descriptor
	chartDesc    ocispec.Descriptor
	provDesc     ocispec.Descriptor // zero without provenance
	hasProvLayer bool
}

// buildManifest assembles what Helm's push writes: the metadata as config
// JSON, the chart (and provenance) layers sorted by digest, and the OCI
// annotations derived from Chart.yaml.
func buildManifest(md *chart.Metadata, archive, prov []byte, created time.Time) (*chartManifest, error) {
	cfg, err := json.Marshal(md)
	if err != nil {
		return nil, err
	}
	m := &chartManifest{
		config:     cfg,
		configDesc: content.NewDescriptorFromBytes(ConfigMediaType, cfg),
		chartDesc:  content.NewDescriptorFromBytes(ChartLayerMediaType, archive),
	}
	layers := []ocispec.Descriptor{m.chartDesc}
	if prov != nil {
		m.provDesc = content.NewDescriptorFromBytes(ProvLayerMediaType, prov)
		m.hasProvLayer = true
		layers = append(layers, m.provDesc)
	}
	slices.SortFunc(layers, func(a, b ocispec.Descriptor) int { return strings.Compare(string(a.Digest), string(b.Digest)) })
	man := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		Config:      m.configDesc,
		Layers:      layers,
		Annotations: manifestAnnotations(md, created),
	}
	if m.manifest, err = json.Marshal(man); err != nil {
		return nil, err
	}
	m.desc = content.NewDescriptorFromBytes(ocispec.MediaTypeImageManifest, m.manifest)
	return m, nil
}

// manifestAnnotations are the annotations Helm writes on a chart manifest:
// description, title (name), version, url (home), created, source (the first
// source) and authors (maintainers as "Name (email), ..."), then the chart's
// own annotations except those that would override title or version.
func manifestAnnotations(md *chart.Metadata, created time.Time) map[string]string {
	a := map[string]string{}
	set := func(k, v string) {
		if strings.TrimSpace(v) != "" {
			a[k] = v
		}
	}
	set(ocispec.AnnotationDescription, md.Description)
	set(ocispec.AnnotationTitle, md.Name)
	set(ocispec.AnnotationVersion, md.Version)
	set(ocispec.AnnotationURL, md.Home)
	set(ocispec.AnnotationCreated, created.Format(time.RFC3339))
	if len(md.Sources) > 0 {
		set(ocispec.AnnotationSource, md.Sources[0])
	}
	if len(md.Maintainers) > 0 {
		var b strings.Builder
		for i, m := range md.Maintainers {
			if m != nil {
				b.WriteString(m.Name)
				if m.Email != "" {
					b.WriteString(" (" + m.Email + ")")
				}
			}
			if i < len(md.Maintainers)-1 {
				b.WriteString(", ")
			}
		}
		set(ocispec.AnnotationAuthors, b.String())
	}
	for k, v := range md.Annotations {
		if k == ocispec.AnnotationTitle || k == ocispec.AnnotationVersion {
			continue
		}
		a[k] = v
	}
	return a
}
