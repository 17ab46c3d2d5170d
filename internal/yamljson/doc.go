// Package yamljson decodes YAML into generic maps and slices exactly as
// sigs.k8s.io/yaml.Unmarshal does (the way Helm reads values and fromYaml
// strings), without its JSON round trip when the result cannot differ, and
// splits multi-document YAML (manifests) as Helm does (SplitDocuments).
//
// It imports nothing of lade.
package yamljson
