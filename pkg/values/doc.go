// Package values computes the values a chart renders with, exactly as Helm
// v4.3.1 does: user value options (-f, --set and friends), Chart.yaml
// dependency processing (conditions, tags, aliases, import-values),
// coalescing of chart defaults, parent values and globals, and
// values.schema.json validation.
//
// The engine calls, in order:
//
//	vals, err := opts.MergeValues()                   // Options: -f, --set, ...
//	err = values.ProcessDependencies(c, vals, logOpt) // mutates c; wrap as "chart dependencies processing failed: %w"
//	v, err := values.CoalesceValues(c, vals, logOpt, values.SkipSchemaValidation(skip))
//
// and puts v under .Values. Warnings go to the *slog.Logger given with
// WithLogger, as Helm's CLI prints them (its log.Printf warnings at INFO).
//
// It imports pkg/chart and pkg/chart/common only: it is the stage between
// loading a chart and rendering it.
package values
