// Package scaffold writes new charts as Helm v4's `helm create` does: the
// default chart (the files under default/, Helm's own text with the chart
// name substituted) or a copy of a starter chart.
//
// It imports pkg/chart only.
package scaffold
