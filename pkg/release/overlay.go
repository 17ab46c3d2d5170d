package release

import (
	"fmt"
	"strings"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/render"
)

// Overlay is the kustomize overlay a revision was built with, recorded in
// the revision's chart as the file lade.dev/overlay.json, which Helm keeps
// when it rewrites or copies the record (see helmform.go).
type Overlay struct {
	// Files are the overlay's files by slash path (base64 in JSON).
	Files map[string][]byte `json:"files"`
	// Entry is the directory of the kustomization built, within Files,
	// when its bases lie above it ("" for the top of Files).
	Entry string `json:"entry,omitempty"`
	// SkipHooks is true when hooks bypassed the overlay (--overlay-hooks=false).
	SkipHooks bool `json:"skip_hooks,omitempty"`
	// Package is true for a kustomization-only package: Files are the
	// package itself and the chart is an empty placeholder.
	Package bool `json:"package,omitempty"`

	// ReusedFrom is the revision whose overlay an upgrade reused (not stored).
	ReusedFrom int `json:"-"`
	// Dir is the directory the overlay was loaded from, for errors (not stored).
	Dir string `json:"-"`
}

// NewOverlay records ov; skipHooks keeps hooks out of it.
func NewOverlay(ov *overlay.Overlay, skipHooks bool) *Overlay {
	return &Overlay{Files: ov.Files, Entry: ov.Entry, SkipHooks: skipHooks}
}

// NewPackage records a kustomization-only package and returns the
// placeholder chart it is released as (no templates, no values), named
// after name (usually the directory) made a valid chart name (PackageName).
func NewPackage(ov *overlay.Overlay, name, version string) (*Overlay, *chart.Chart) {
	if version == "" {
		version = "0.0.0"
	}
	ch := &chart.Chart{Metadata: &chart.Metadata{
		APIVersion: "v2", Name: PackageName(name), Version: version, Type: "application",
		Description: "kustomization-only package built by lade (its files are recorded with the release: lade get overlay)",
		Annotations: map[string]string{"lade.dev/package": "kustomize"},
	}}
	return &Overlay{Files: ov.Files, Entry: ov.Entry, Package: true}, ch
}

// PackageName makes a directory name a chart name that Helm and lade accept
// everywhere (as `helm create` requires: lower-case letters, digits and
// dashes, starting and ending with a letter or digit, at most 63
// characters): "My_App.v2" becomes "my-app-v2"; a name with nothing left
// becomes "kustomization".
func PackageName(dir string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(dir) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	name := b.String()
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	if name == "" {
		return "kustomization"
	}
	return name
}

// Overlay returns the recorded files as an overlay.
func (o *Overlay) Overlay() *overlay.Overlay {
	return &overlay.Overlay{Files: o.Files, Entry: o.Entry}
}

// Apply runs the overlay on a render (or builds the package); res is not modified.
func (o *Overlay) Apply(res *render.Result) (*render.Result, error) {
	out, err := o.apply(res)
	if err == nil {
		return out, nil
	}
	what := "overlay"
	if o.Package {
		what = "kustomization"
	}
	switch {
	case o.Dir != "":
		return nil, fmt.Errorf("%s %s: %w", what, o.Dir, err)
	case o.ReusedFrom > 0:
		return nil, fmt.Errorf("%s recorded in revision %d: %w", what, o.ReusedFrom, err)
	}
	return nil, fmt.Errorf("%s: %w", what, err)
}

func (o *Overlay) apply(res *render.Result) (*render.Result, error) {
	ov := o.Overlay()
	if err := ov.Validate(); err != nil {
		return nil, err
	}
	if o.Package {
		hooks, manifests, err := overlay.Package(ov, res.Chart.Name())
		if err != nil {
			return nil, err
		}
		out := *res
		out.Hooks, out.Manifests = hooks, manifests
		return &out, nil
	}
	return overlay.Apply(res, ov, overlay.Options{SkipHooks: o.SkipHooks})
}

// reuseOverlay makes an upgrade without an overlay reuse the one recorded
// in the revision it upgrades (unless ResetOverlay); packages are never
// reused implicitly (the package directory is the upgrade's source).
func reuseOverlay(o *UpgradeOptions, current *Release) {
	if o.Overlay != nil || current == nil || current.Overlay == nil {
		return
	}
	if o.ResetOverlay || current.Overlay.Package {
		return
	}
	reused := *current.Overlay
	reused.ReusedFrom = current.Version
	o.Overlay = &reused
}
