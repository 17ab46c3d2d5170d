package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/values"
)

// Options describe the release a chart is rendered for.
type Options struct {
	ReleaseName string
	Namespace   string
	// Revision is .Release.Revision (1 when zero).
	Revision int
	// IsUpgrade sets .Release.IsUpgrade instead of .Release.IsInstall.
	IsUpgrade bool
	// Capabilities of the target cluster; nil means common.DefaultCapabilities(nil).
	Capabilities *common.Capabilities
	// SkipSchemaValidation turns off values.schema.json checks.
	SkipSchemaValidation bool
	// SubNotes includes subcharts' NOTES.txt in Notes.
	SubNotes bool
	// Engine settings (strict, lint mode, DNS, lookup).
	Engine Engine
	// ParseObjects parses each manifest document whole (Manifest.Object)
	// while sorting, for callers that apply the objects: one parse of each
	// document instead of a head here and the object later.
	ParseObjects bool
	// Schemas are values.schema.json compiles started ahead (nil: none);
	// the validation starts from the one for a schema's text, if any.
	Schemas *values.Precompiled
}

// Result is a rendered chart.
type Result struct {
	// Chart is the chart after dependency processing (disabled subcharts removed).
	Chart *chart.Chart
	// Values are the coalesced values the root chart rendered with.
	Values map[string]any
	// Manifests are the non-hook documents in install order.
	Manifests []Manifest
	// Hooks are the hook documents in install order.
	Hooks []*Hook
	// Notes is the rendered NOTES.txt.
	Notes string
	// Rendered holds every rendered template by path (set even when sorting fails).
	Rendered map[string]string
}

// ErrNotInstallable is returned for charts whose type cannot be rendered as a release.
var ErrNotInstallable = errors.New("charts are not installable")

// RenderError is an error raised after values were computed (rendering,
// parsing the output); Partial then holds what was rendered, for --debug.
type RenderError struct {
	Err     error
	Partial *Result
}

func (e *RenderError) Error() string { return e.Err.Error() }
func (e *RenderError) Unwrap() error { return e.Err }

// Chart renders ch with user values (already merged from -f/--set flags)
// exactly as `helm template` / `helm install` would: dependency conditions,
// values coalescing, schema validation, templates, notes, hooks and ordering.
// ch is modified (disabled subcharts are removed).
func Chart(ctx context.Context, ch *chart.Chart, userVals map[string]any, opts Options) (*Result, error) {
	if t := ch.Metadata.Type; t != "" && t != "application" {
		return nil, fmt.Errorf("%s %w", t, ErrNotInstallable)
	}
	if userVals == nil {
		userVals = map[string]any{}
	}
	vopts := []values.Option{values.WithLogger(slog.Default()), values.SkipSchemaValidation(opts.SkipSchemaValidation), values.WithPrecompiled(opts.Schemas)}
	if err := values.ProcessDependencies(ch, userVals, vopts...); err != nil {
		slog.Error("chart dependencies processing failed", slog.Any("error", err))
		return nil, fmt.Errorf("chart dependencies processing failed: %w", err)
	}
	caps := opts.Capabilities
	if caps == nil {
		caps = common.DefaultCapabilities(nil)
	}
	vals, err := values.CoalesceValues(ch, userVals, append(slices.Clip(vopts), values.SkipSchemaValidation(true))...)
	if err != nil {
		return nil, err
	}
	// The values are validated against the charts' schemas while the
	// templates are parsed and run: the two are independent, and the
	// schema compile is single-threaded. A schema error still wins over
	// anything the render did, as in Helm, where it comes first.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	schema := validateAlongside(cancel, ch, vals, opts.SkipSchemaValidation, vopts)
	res := &Result{Chart: ch, Values: vals}
	fail := func(err error) (*Result, error) {
		if serr := schema.wait(); serr != nil {
			return nil, serr
		}
		return res, &RenderError{Err: err, Partial: res}
	}

	if kv := ch.Metadata.KubeVersion; kv != "" && !compatibleRange(kv, caps.KubeVersion.String()) {
		return fail(fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", kv, caps.KubeVersion.Version))
	}
	top := NewRenderValues(ch, vals, opts, caps)
	eng := opts.Engine
	// Templates that change shared objects (.Values among them) run only
	// once the validation has its own copy of the values.
	eng.beforeShared = schema.copied
	files, err := eng.Render(ctx, ch, top)
	if err != nil {
		return fail(err)
	}
	if err := schema.wait(); err != nil {
		return nil, err
	}
	res.Rendered = files

	var notes strings.Builder
	rootNotes := path.Join(ch.Name(), "templates", "NOTES.txt")
	manifestFiles := make(map[string]string, len(files))
	for name, out := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			if opts.SubNotes || name == rootNotes {
				if notes.Len() > 0 {
					notes.WriteString("\n")
				}
				notes.WriteString(out)
			}
			continue
		}
		manifestFiles[name] = out
	}
	res.Notes = notes.String()
	res.Rendered = manifestFiles
	hooks, manifests, err := sortManifests(manifestFiles, InstallOrder, opts.ParseObjects)
	if err != nil {
		return fail(err)
	}
	res.Hooks, res.Manifests = hooks, manifests
	return res, nil
}

// schemaCheck is a schema validation running in the background, on its
// own copy of the values.
type schemaCheck struct {
	copy chan struct{} // closed once the values are copied
	done chan struct{}
	err  error
}

// validateAlongside starts validating vals against the schemas of ch and its
// subcharts (none when skip); a failure cancels the render.
func validateAlongside(cancel context.CancelFunc, ch *chart.Chart, vals map[string]any, skip bool, vopts []values.Option) *schemaCheck {
	c := &schemaCheck{copy: make(chan struct{}), done: make(chan struct{})}
	if skip {
		close(c.copy)
		close(c.done)
		return c
	}
	go func() {
		defer close(c.done)
		copied := false
		defer func() {
			if !copied {
				close(c.copy)
			}
			if p := recover(); p != nil {
				c.err = fmt.Errorf("validate values against the chart schemas: %v", p)
				cancel()
			}
		}()
		// A deep copy takes a fraction of a millisecond; templates that
		// change the values wait for it, not for the validation.
		vals := chart.CopyValues(vals)
		close(c.copy)
		copied = true
		if c.err = values.ValidateSchema(ch, vals, vopts...); c.err != nil {
			cancel()
		}
	}()
	return c
}

// copied blocks until the validation has its copy of the values.
func (c *schemaCheck) copied() error {
	<-c.copy
	return nil
}

// wait blocks until the validation is over and returns its error.
func (c *schemaCheck) wait() error {
	<-c.done
	return c.err
}

// NewRenderValues builds the top-level template object: .Values, .Release,
// .Chart and .Capabilities (each chart's .Files, .Subcharts and .Template are
// added by the engine).
func NewRenderValues(ch *chart.Chart, vals map[string]any, opts Options, caps *common.Capabilities) map[string]any {
	rev := opts.Revision
	if rev == 0 {
		rev = 1
	}
	return map[string]any{
		"Chart":        metadataMap(ch.Metadata),
		"Capabilities": caps,
		"Release": map[string]any{
			"Name":      opts.ReleaseName,
			"Namespace": opts.Namespace,
			"IsUpgrade": opts.IsUpgrade,
			"IsInstall": !opts.IsUpgrade,
			"Revision":  rev,
			"Service":   "Helm",
		},
		"Values": common.Values(vals),
	}
}

// copyRenderValues deep-copies a top-level template object built by
// NewRenderValues (its .Values keeps its type).
func copyRenderValues(top map[string]any) map[string]any {
	out := chart.CopyValues(top)
	if v, ok := top["Values"].(common.Values); ok {
		out["Values"] = common.Values(chart.CopyValues(v))
	}
	return out
}

func compatibleRange(constraint, version string) bool {
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	return c.Check(v)
}
