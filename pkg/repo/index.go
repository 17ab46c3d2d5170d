package repo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/opencontainers/go-digest"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
)

// DefaultMaxIndexSize bounds an index file (downloaded or cached) unless
// the caller sets another limit.
const DefaultMaxIndexSize = 100 << 20

var (
	// ErrIndexTooLarge is returned for an index over the size limit.
	ErrIndexTooLarge = errors.New("index is too large")
	// ErrNoAPIVersion is returned for an index without apiVersion.
	ErrNoAPIVersion = errors.New("no API version specified")
	// ErrEmptyIndex is returned for an empty index file.
	ErrEmptyIndex = errors.New("empty index.yaml file")
	// ErrChartNotFound is returned when an index has no such chart or version.
	ErrChartNotFound = errors.New("chart not found")
)

// IndexFile is a repository's index.yaml, with Helm's field names.
type IndexFile struct {
	ServerInfo  map[string]any           `json:"serverInfo,omitempty"`
	APIVersion  string                   `json:"apiVersion"`
	Generated   time.Time                `json:"generated"`
	Entries     map[string]ChartVersions `json:"entries"`
	PublicKeys  []string                 `json:"publicKeys,omitempty"`
	Annotations map[string]string        `json:"annotations,omitempty"`
}

// ChartVersion is one chart version of an index: the chart's metadata and
// where its archive is.
type ChartVersion struct {
	*chart.Metadata
	URLs    []string  `json:"urls"`
	Created time.Time `json:"created"`
	Removed bool      `json:"removed,omitempty"`
	Digest  string    `json:"digest,omitempty"`

	// Fields of old indexes that Helm ignores but accepts.
	ChecksumDeprecated      string `json:"checksum,omitempty"`
	EngineDeprecated        string `json:"engine,omitempty"`
	TillerVersionDeprecated string `json:"tillerVersion,omitempty"`
	URLDeprecated           string `json:"url,omitempty"`
}

// ChartVersions are the versions of one chart, newest first once sorted.
type ChartVersions []*ChartVersion

// NewIndexFile is an empty index generated now.
func NewIndexFile() *IndexFile {
	return &IndexFile{APIVersion: "v1", Generated: time.Now(), Entries: map[string]ChartVersions{}, PublicKeys: []string{}}
}

// versionLess orders versions as Helm does: unparsable ones go first
// (last once reversed).
func versionLess(a, b string) bool {
	va, err := semver.NewVersion(a)
	if err != nil {
		return true
	}
	vb, err := semver.NewVersion(b)
	if err != nil {
		return false
	}
	return va.LessThan(vb)
}

// SortEntries sorts every chart's versions newest first.
func (i *IndexFile) SortEntries() {
	for _, vs := range i.Entries {
		sort.SliceStable(vs, func(a, b int) bool { return versionLess(vs[b].Version, vs[a].Version) })
	}
}

// Has reports whether the index holds name at exactly version.
func (i *IndexFile) Has(name, version string) bool {
	for _, v := range i.Entries[name] {
		if v.Version == version {
			return true
		}
	}
	return false
}

// Merge adds f's versions that i does not hold yet (as Helm's Merge).
func (i *IndexFile) Merge(f *IndexFile) {
	for _, vs := range f.Entries {
		for _, v := range vs {
			if !i.Has(v.Name, v.Version) {
				i.Entries[v.Name] = append(i.Entries[v.Name], v)
			}
		}
	}
}

// Marshal is the index as Helm writes index.yaml.
func (i *IndexFile) Marshal() ([]byte, error) { return yaml.Marshal(i) }

// WriteFile writes the index as Helm does (YAML, mode 0644), atomically.
func (i *IndexFile) WriteFile(path string) error {
	data, err := i.Marshal()
	if err != nil {
		return err
	}
	return atomicWrite(path, data, 0o644)
}

// Warner receives one message per skipped index entry.
type Warner func(msg string)

// LoadIndex parses an index (YAML, or JSON as Helm accepts) from source
// (a URL or file, for messages). The index is hostile input: more than
// maxSize bytes (0: DefaultMaxIndexSize) is refused, unknown fields fail as
// in Helm's strict parser, and entries with an invalid name, version or
// archive URL are dropped with one warning each. Versions end up sorted
// newest first.
func LoadIndex(data []byte, source string, maxSize int64, warn Warner) (*IndexFile, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxIndexSize
	}
	if int64(len(data)) > maxSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, more than the %d allowed", source, ErrIndexTooLarge, len(data), maxSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s: %w", source, ErrEmptyIndex)
	}
	i := &IndexFile{}
	var err error
	if json.Valid(data) {
		err = json.Unmarshal(data, i)
	} else {
		err = yaml.UnmarshalStrict(data, i)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid chart repository index: %w", source, err)
	}
	if i.APIVersion == "" {
		return nil, fmt.Errorf("%s: %w", source, ErrNoAPIVersion)
	}
	if warn == nil {
		warn = func(string) {}
	}
	for name, vs := range i.Entries {
		kept := vs[:0]
		for _, v := range vs {
			if v == nil {
				warn(fmt.Sprintf("skipping invalid entry for chart %q in %s: empty entry", name, source))
				continue
			}
			if v.Metadata == nil {
				v.Metadata = &chart.Metadata{}
			}
			if v.APIVersion == "" {
				v.APIVersion = "v1"
			}
			if err := checkEntry(v); err != nil {
				warn(fmt.Sprintf("skipping invalid entry for chart %q version %q in %s: %v", name, v.Version, source, err))
				continue
			}
			kept = append(kept, v)
		}
		i.Entries[name] = kept
	}
	i.SortEntries()
	return i, nil
}

// LoadIndexFile reads and parses an index file (see LoadIndex).
func LoadIndexFile(path string, maxSize int64, warn Warner) (*IndexFile, error) {
	data, err := readLimited(path, maxSize)
	if err != nil {
		return nil, err
	}
	return LoadIndex(data, path, maxSize, warn)
}

// readLimited reads a file of at most maxSize bytes.
func readLimited(path string, maxSize int64) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxIndexSize
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxSize {
		return nil, fmt.Errorf("%s: %w: %d bytes, more than the %d allowed", path, ErrIndexTooLarge, fi.Size(), maxSize)
	}
	return os.ReadFile(path)
}

// checkEntry applies Helm's metadata rules that matter to an index (name,
// version, type) and lade's URL and digest rules.
func checkEntry(v *ChartVersion) error {
	md := v.Metadata
	switch {
	case md.Name == "":
		return errors.New("chart name is required")
	case md.Name == "." || md.Name == "..", strings.ContainsAny(md.Name, `/\`):
		return fmt.Errorf("chart name %q is invalid", md.Name)
	case md.Version == "":
		return errors.New("chart version is required")
	}
	if _, err := semver.NewVersion(md.Version); err != nil {
		return fmt.Errorf("chart version %q is not a SemVer version", md.Version)
	}
	switch md.Type {
	case "", "application", "library":
	default:
		return fmt.Errorf("chart type %q must be application or library", md.Type)
	}
	for _, u := range v.URLs {
		if err := checkArchiveURL(u); err != nil {
			return err
		}
	}
	if v.Digest != "" {
		if _, err := digest.Parse("sha256:" + v.Digest); err != nil {
			return fmt.Errorf("digest %q is not a SHA-256 hex digest", v.Digest)
		}
	}
	return nil
}

// checkArchiveURL accepts archive URLs relative to the index, or absolute
// http(s) URLs; file://, other schemes and unparsable URLs are refused.
func checkArchiveURL(raw string) error {
	if raw == "" {
		return errors.New("empty archive URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("archive URL %q cannot be parsed", raw)
	}
	if u.Scheme == "" && u.Host == "" && u.Opaque == "" {
		return nil
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("archive URL %q: scheme %q is not allowed (only http and https)", raw, u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("archive URL %q has no host", raw)
	}
	return nil
}

// ResolveURL resolves an archive URL of an index relative to the
// repository URL, as Helm does (the repository URL as a directory, its
// query kept), refusing anything but http(s).
func ResolveURL(repoURL, ref string) (string, error) {
	if err := checkArchiveURL(ref); err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	if r.IsAbs() {
		return ref, nil
	}
	base, err := url.Parse(repoURL)
	if err != nil {
		return "", fmt.Errorf("repository URL %q: %w", repoURL, err)
	}
	base.RawPath = strings.TrimSuffix(base.RawPath, "/") + "/"
	base.Path = strings.TrimSuffix(base.Path, "/") + "/"
	res := base.ResolveReference(r)
	res.RawQuery = base.RawQuery
	if res.Scheme != "http" && res.Scheme != "https" {
		return "", fmt.Errorf("archive URL %q resolves to %q: only http and https are allowed", ref, res)
	}
	return res.String(), nil
}

// IndexDirectory indexes the chart archives (*.tgz) in dir and its direct
// subdirectories as Helm's `repo index` does: archives that do not load as
// charts are skipped; URLs are baseURL joined with the archive's path.
func IndexDirectory(dir, baseURL string) (*IndexFile, error) {
	archives, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil {
		return nil, err
	}
	more, err := filepath.Glob(filepath.Join(dir, "**", "*.tgz"))
	if err != nil {
		return nil, err
	}
	archives = append(archives, more...)
	index := NewIndexFile()
	for _, arch := range archives {
		rel, err := filepath.Rel(dir, arch)
		if err != nil {
			return nil, err
		}
		parent, file := filepath.Split(rel)
		parent = strings.TrimSuffix(parent, string(os.PathSeparator))
		parentURL := joinURL(baseURL, filepath.ToSlash(parent))
		data, err := os.ReadFile(arch)
		if err != nil {
			return nil, err
		}
		c, err := chart.LoadArchive(bytes.NewReader(data))
		if err != nil {
			continue // not a chart, as Helm assumes
		}
		md := c.Metadata
		if md.APIVersion == "" {
			md.APIVersion = "v1"
		}
		if err := md.Validate(); err != nil {
			return nil, fmt.Errorf("failed adding %s to index: %w", rel, err)
		}
		u := file
		if parentURL != "" {
			u = joinURL(parentURL, file)
		}
		index.Entries[md.Name] = append(index.Entries[md.Name], &ChartVersion{
			Metadata: md,
			URLs:     []string{u},
			Created:  time.Now(),
			Digest:   digest.FromBytes(data).Encoded(),
		})
	}
	return index, nil
}

// joinURL joins path elements to a URL's path (Helm's URLJoin).
func joinURL(base string, elems ...string) string {
	u, err := url.Parse(base)
	if err != nil {
		return path.Join(append([]string{base}, elems...)...)
	}
	u.Path = path.Join(append([]string{u.Path}, elems...)...)
	return u.String()
}

// IndexDirectoryFile is `repo index DIR [--url URL] [--merge FILE]`: the
// index of dir, merged into the index at merge if given (a missing file
// counts as empty), written to dir/index.yaml.
func IndexDirectoryFile(dir, baseURL, merge string, warn Warner) (string, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", dir)
	}
	i, err := IndexDirectory(dir, baseURL)
	if err != nil {
		return "", err
	}
	if merge != "" {
		old, err := LoadIndexFile(merge, 0, warn)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return "", fmt.Errorf("merge failed: %w", err)
		default:
			i.Merge(old)
		}
	}
	i.SortEntries()
	out := filepath.Join(dir, "index.yaml")
	return out, i.WriteFile(out)
}
