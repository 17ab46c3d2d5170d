// Package common holds the types templates see that Helm v4 keeps in its
// package of the same name (helm.sh/helm/v4/pkg/chart/common): Values, the
// type of .Values and .Template, with the methods Helm's chart values have
// (AsMap, YAML, Table, PathValue, Encode), and Capabilities, the
// .Capabilities object (Kubernetes version, API versions, Helm version) with
// the Kubernetes version parsing of --kube-version. It is named after Helm's
// package so that a chart printing a type (typeOf, printf "%T") reads
// Helm's "common.Values", "*common.Capabilities".
//
// It imports nothing of lade: values, render, lint and kube all import it.
package common
