// Package chart holds the Helm chart model (apiVersion v1 and v2) and loads,
// validates and packages charts from directories and archives.
//
// It imports only its own .helmignore rules (chart/ignore) and lade's internal
// helpers: the chart model is the first stage and knows none after it.
package chart
