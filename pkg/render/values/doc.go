// Package values computes the values a chart renders with, as Helm v4.3.1
// does: user value options (-f, --set and friends), Chart.yaml dependency
// processing (conditions, tags, aliases, import-values), coalescing of chart
// defaults, subchart values and globals, and values.schema.json validation.
//
// The engine calls, in order: Options.MergeValues, ProcessDependencies,
// CoalesceValues (which also validates schemas unless told to skip).
package values
