// Package helmenv owns the settings lade reads from the environment: the
// variables Helm v4 reads (HELM_NAMESPACE, HELM_KUBECONTEXT, HELM_MAX_HISTORY,
// ...), parsed as Helm parses them, each overridden by its LADE_ equivalent
// (LADE_NAMESPACE wins over HELM_NAMESPACE), and Helm's configuration,
// cache and data paths (HELM_CONFIG_HOME and friends). Flags win over both;
// they are the caller's: these values are their defaults.
//
// Reading the environment costs a few map lookups; nothing else happens
// until a caller asks.
//
// It imports nothing of lade.
package helmenv
