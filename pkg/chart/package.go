package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/fsutil"
)

// DefaultPackageEpoch is the modification time (Unix seconds, 1980-01-01T00:00:00Z)
// written for every entry of a package when SOURCE_DATE_EPOCH is not set. It is
// the earliest time every archive format (zip's DOS time included) can hold.
const DefaultPackageEpoch int64 = 315532800

// PackageOptions tune Package and WriteArchive.
type PackageOptions struct {
	// Version, when set, replaces the chart's version (Chart.yaml is then
	// rewritten from its parsed metadata, as Helm does).
	Version string
	// AppVersion, when set, replaces the chart's appVersion.
	AppVersion string
	// ModTime is the modification time of every entry and of the archive
	// file. Zero means SOURCE_DATE_EPOCH when set, else DefaultPackageEpoch.
	ModTime time.Time
}

// SourceDateEpoch returns $SOURCE_DATE_EPOCH as a UTC time; ok is false when
// it is unset or empty. Like Helm, a value that is not a non-negative integer
// is an error.
func SourceDateEpoch() (t time.Time, ok bool, err error) {
	s, set := os.LookupEnv("SOURCE_DATE_EPOCH")
	if !set || s == "" {
		return time.Time{}, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("invalid SOURCE_DATE_EPOCH: %w", err)
	}
	if n < 0 {
		return time.Time{}, false, errors.New("invalid SOURCE_DATE_EPOCH: must not be negative")
	}
	return time.Unix(n, 0).UTC(), true, nil
}

// PackageTime is the time a package gets when no ModTime is given:
// SOURCE_DATE_EPOCH when set, else DefaultPackageEpoch.
func PackageTime() (time.Time, error) {
	t, ok, err := SourceDateEpoch()
	if err != nil {
		return time.Time{}, err
	}
	if ok {
		return t, nil
	}
	return time.Unix(DefaultPackageEpoch, 0).UTC(), nil
}

// Package loads the chart directory dir (applying .helmignore and every rule
// of the loader), checks what Helm checks before packaging, and writes the
// reproducible archive NAME-VERSION.tgz into destDir (created if missing).
// The file appears complete or not at all. It returns the archive's path.
func Package(dir, destDir string, opts PackageOptions) (string, error) {
	c, err := LoadDir(dir)
	if err != nil {
		return "", err
	}
	if err := prepareForPackage(c, &opts); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := writeArchive(&buf, c, opts); err != nil {
		return "", err
	}
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return "", err
	}
	name := filepath.Join(destDir, c.Metadata.Name+"-"+c.Metadata.Version+".tgz")
	if err := fsutil.WriteFileAtomic(name, buf.Bytes(), opts.ModTime); err != nil {
		return "", err
	}
	return name, nil
}

// WriteArchive writes the reproducible gzipped tar of a chart loaded from a
// directory or archive (its Raw files) to w: entries sorted by name under
// NAME/, regular files with mode 0644, uid/gid 0, no user or group names,
// one fixed modification time, and a gzip header without name or time. The
// same chart and options always give the same bytes.
func WriteArchive(w io.Writer, c *Chart, opts PackageOptions) error {
	if err := prepareForPackage(c, &opts); err != nil {
		return err
	}
	return writeArchive(w, c, opts)
}

// prepareForPackage applies the overrides and Helm's pre-packaging checks,
// and settles opts.ModTime.
func prepareForPackage(c *Chart, opts *PackageOptions) error {
	if c == nil || c.Metadata == nil {
		return errors.New("chart has no Chart.yaml")
	}
	md := c.Metadata
	if opts.Version != "" {
		if _, err := semver.NewVersion(opts.Version); err != nil {
			return fmt.Errorf("invalid --version %q: %w", opts.Version, err)
		}
		md.Version = opts.Version
	}
	if opts.AppVersion != "" {
		md.AppVersion = opts.AppVersion
	}
	if err := md.Validate(); err != nil {
		return fmt.Errorf("chart validation: %w", err)
	}
	if c.Schema != nil && !json.Valid(c.Schema) {
		return errors.New("invalid JSON in values.schema.json")
	}
	if err := CheckDependencies(c); err != nil {
		return fmt.Errorf("an error occurred while checking for chart dependencies. You may need to run 'lade dependency build' to fetch missing dependencies: %w", err)
	}
	if opts.ModTime.IsZero() {
		t, err := PackageTime()
		if err != nil {
			return err
		}
		opts.ModTime = t
	}
	opts.ModTime = opts.ModTime.UTC().Truncate(time.Second)
	return nil
}

type packEntry struct {
	name string
	data []byte
}

func writeArchive(w io.Writer, c *Chart, opts PackageOptions) error {
	name := c.Metadata.Name
	entries := make([]packEntry, 0, len(c.Raw))
	seen := make(map[string]bool, len(c.Raw))
	for _, f := range c.Raw {
		if f == nil {
			continue
		}
		if err := checkFileName(f.Name); err != nil {
			return err
		}
		if seen[f.Name] {
			return fmt.Errorf("file %s appears twice in the chart", f.Name)
		}
		seen[f.Name] = true
		data := f.Data
		if f.Name == "Chart.yaml" && (opts.Version != "" || opts.AppVersion != "") {
			var err error
			if data, err = marshalChartfile(c.Metadata); err != nil {
				return err
			}
		}
		entries = append(entries, packEntry{name: name + "/" + f.Name, data: data})
	}
	slices.SortFunc(entries, func(a, b packEntry) int { return strings.Compare(a.name, b.name) })

	zw, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
	if err != nil {
		return err
	}
	// The header keeps its zero values: no file name, no time, OS "unknown".
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.name,
			Mode:     0o644,
			Size:     int64(len(e.data)),
			ModTime:  opts.ModTime,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return fmt.Errorf("write %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// marshalChartfile renders Chart.yaml from metadata the way Helm's package
// does: a v1 chart keeps its dependencies in requirements.yaml.
func marshalChartfile(md *Metadata) ([]byte, error) {
	out := *md
	if out.APIVersion == APIVersionV1 {
		out.Dependencies = nil
	}
	return yaml.Marshal(&out)
}
