package registry

import (
	"fmt"
	"path"
	"strings"

	"github.com/opencontainers/go-digest"
	orasregistry "oras.land/oras-go/v2/registry"
)

// Scheme is the URL scheme of chart references in OCI registries.
const Scheme = "oci"

const schemePrefix = Scheme + "://"

// IsOCI reports whether ref is an oci:// chart reference.
func IsOCI(ref string) bool { return strings.HasPrefix(ref, schemePrefix) }

// Reference is a parsed oci:// chart reference: HOST/REPOSITORY[:TAG][@DIGEST].
type Reference struct {
	// Registry is host[:port].
	Registry string
	// Repository is the path in the registry; its last element is the chart name.
	Repository string
	// Tag is the tag as stored in the registry: SemVer build metadata uses
	// '_' where the chart version has '+', as Helm does.
	Tag string
	// Digest is the manifest digest (sha256:...), if the reference pins one.
	Digest string
}

// ParseReference parses a chart reference, with or without the oci:// prefix.
// A '+' in the tag is replaced by '_' (OCI tags cannot hold '+').
func ParseReference(ref string) (Reference, error) {
	raw := strings.TrimPrefix(ref, schemePrefix)
	var r Reference
	if i := strings.LastIndexByte(raw, '@'); i >= 0 {
		r.Digest = raw[i+1:]
		raw = raw[:i]
		d, err := digest.Parse(r.Digest)
		if err != nil {
			return Reference{}, fmt.Errorf("invalid OCI reference %q: digest %q: %w", ref, r.Digest, err)
		}
		r.Digest = d.String()
	}
	// A tag follows the last ':' after the last '/' (a ':' before it is a port).
	if i := strings.LastIndexByte(raw, ':'); i > strings.LastIndexByte(raw, '/') {
		r.Tag = TagForVersion(raw[i+1:])
		raw = raw[:i]
		if r.Tag == "" {
			return Reference{}, fmt.Errorf("invalid OCI reference %q: empty tag", ref)
		}
	}
	host, repo, ok := strings.Cut(raw, "/")
	if !ok || host == "" || repo == "" {
		return Reference{}, fmt.Errorf("invalid OCI reference %q: want oci://HOST/PATH/NAME", ref)
	}
	r.Registry, r.Repository = host, repo
	check := orasregistry.Reference{Registry: r.Registry, Repository: r.Repository, Reference: r.Tag}
	if err := check.ValidateRegistry(); err != nil {
		return Reference{}, fmt.Errorf("invalid OCI reference %q: %w", ref, err)
	}
	if err := check.ValidateRepository(); err != nil {
		return Reference{}, fmt.Errorf("invalid OCI reference %q: %w", ref, err)
	}
	if r.Tag != "" {
		if err := check.ValidateReferenceAsTag(); err != nil {
			return Reference{}, fmt.Errorf("invalid OCI reference %q: %w", ref, err)
		}
	}
	return r, nil
}

// Name is the chart name the reference points at: its last path element.
func (r Reference) Name() string { return path.Base(r.Repository) }

// Repo is HOST/REPOSITORY, without tag or digest.
func (r Reference) Repo() string { return r.Registry + "/" + r.Repository }

// String is HOST/REPOSITORY[:TAG][@DIGEST] (no scheme), as Helm prints it.
func (r Reference) String() string {
	s := r.Repo()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// URL is the reference with the oci:// scheme.
func (r Reference) URL() string { return schemePrefix + r.String() }

// TagForVersion is the OCI tag of a chart version: '+' becomes '_'.
func TagForVersion(version string) string { return strings.ReplaceAll(version, "+", "_") }

// VersionForTag is the chart version of an OCI tag: '_' becomes '+'.
func VersionForTag(tag string) string { return strings.ReplaceAll(tag, "_", "+") }
