package repo

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// compactFormat is the version of lade's compact index form.
const compactFormat = 1

// Compact is lade's compact form of a cached index: what search and chart
// resolution need, read without parsing Helm's YAML. It records the size
// and modification time of the Helm index it was made from, so an index
// rewritten by Helm is noticed and parsed again, and the HTTP validators
// of the download for conditional requests.
type Compact struct {
	Format int `json:"format"`
	// URL is the repository URL the index came from.
	URL string `json:"url"`
	// ETag and LastModified are the response's validators.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"lastModified,omitempty"`
	// IndexSize and IndexModTime (Unix nanoseconds) identify NAME-index.yaml.
	IndexSize    int64 `json:"indexSize"`
	IndexModTime int64 `json:"indexModTime"`
	// Charts are sorted by name; versions newest first.
	Charts []CompactChart `json:"charts"`
}

// CompactChart is one chart of the index (its entries key).
type CompactChart struct {
	Name     string           `json:"n"`
	Versions []CompactVersion `json:"v"`
}

// CompactVersion is one chart version.
type CompactVersion struct {
	// Name is the version's chart name where it differs from the entry key.
	Name        string   `json:"m,omitempty"`
	Version     string   `json:"v"`
	AppVersion  string   `json:"a,omitempty"`
	Description string   `json:"d,omitempty"`
	Keywords    []string `json:"k,omitempty"`
	URLs        []string `json:"u,omitempty"`
	Digest      string   `json:"g,omitempty"`
	Deprecated  bool     `json:"x,omitempty"`
}

// ChartName is the chart name of the version.
func (v *CompactVersion) ChartName(key string) string {
	if v.Name != "" {
		return v.Name
	}
	return key
}

// NewCompact makes the compact form of a parsed index.
func NewCompact(i *IndexFile) *Compact {
	c := &Compact{Format: compactFormat, Charts: make([]CompactChart, 0, len(i.Entries))}
	for name, vs := range i.Entries {
		cc := CompactChart{Name: name, Versions: make([]CompactVersion, 0, len(vs))}
		for _, v := range vs {
			cv := CompactVersion{
				Version:     v.Version,
				AppVersion:  v.AppVersion,
				Description: v.Description,
				Keywords:    v.Keywords,
				URLs:        v.URLs,
				Digest:      v.Digest,
				Deprecated:  v.Deprecated,
			}
			if v.Name != name {
				cv.Name = v.Name
			}
			cc.Versions = append(cc.Versions, cv)
		}
		c.Charts = append(c.Charts, cc)
	}
	sort.Slice(c.Charts, func(a, b int) bool { return c.Charts[a].Name < c.Charts[b].Name })
	return c
}

// chart returns the versions of the chart called name.
func (c *Compact) chart(name string) ([]CompactVersion, bool) {
	i := sort.Search(len(c.Charts), func(i int) bool { return c.Charts[i].Name >= name })
	if i < len(c.Charts) && c.Charts[i].Name == name {
		return c.Charts[i].Versions, true
	}
	return nil, false
}

// ChartNames are the chart names, sorted.
func (c *Compact) ChartNames() []string {
	names := make([]string, len(c.Charts))
	for i, ch := range c.Charts {
		names[i] = ch.Name
	}
	return names
}

// Get picks a version of chart name as Helm's IndexFile.Get does: an exact
// version match first, else the newest version meeting the constraint
// version (empty: the newest release, prereleases skipped).
func (c *Compact) Get(name, version string) (*CompactVersion, error) {
	vs, ok := c.chart(name)
	if !ok {
		return nil, fmt.Errorf("%w: no chart named %q", ErrChartNotFound, name)
	}
	cons := "*"
	if version != "" {
		cons = version
		for i := range vs {
			if vs[i].Version == version {
				return &vs[i], nil
			}
		}
	}
	constraint, err := semver.NewConstraint(cons)
	if err != nil {
		return nil, fmt.Errorf("invalid version constraint %q: %w", version, err)
	}
	for i := range vs {
		v, err := semver.NewVersion(vs[i].Version)
		if err != nil {
			continue
		}
		if constraint.Check(v) {
			return &vs[i], nil
		}
	}
	if version == "" {
		return nil, fmt.Errorf("%w: chart %q has no release version (use --devel for prereleases)", ErrChartNotFound, name)
	}
	return nil, fmt.Errorf("%w: chart %q has no version matching %q", ErrChartNotFound, name, version)
}

// writeCompact stores c at path.
func writeCompact(path string, c *Compact) error {
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return atomicWrite(path, data, 0o644)
}

// errStale marks a compact form that does not describe the index file.
var errStale = errors.New("stale compact index")

// readCompact loads the compact form at path if it still describes the
// index file at indexPath.
func readCompact(path, indexPath string) (*Compact, error) {
	fi, err := os.Stat(indexPath)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c := &Compact{}
	if err := json.Unmarshal(data, c); err != nil {
		return nil, fmt.Errorf("%w: %v", errStale, err)
	}
	if c.Format != compactFormat || c.IndexSize != fi.Size() || c.IndexModTime != fi.ModTime().UnixNano() {
		return nil, errStale
	}
	return c, nil
}

// chartsList is NAME-charts.txt: one chart name a line, as Helm writes it.
func chartsList(c *Compact) []byte {
	var b strings.Builder
	for _, ch := range c.Charts {
		b.WriteString(ch.Name)
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
