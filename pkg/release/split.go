package release

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/lade-dev/lade/internal/yamljson"
)

// The Helm-visible record of a split revision (records over 1 MiB, see
// doc.go) is what Helm's commands act on: `helm uninstall` deletes the
// objects of its manifest, `helm get manifest` prints it and `helm
// rollback` applies it. When the full manifest does not fit, the record
// holds a stand-in manifest: one document per object with only its
// apiVersion, kind, name, namespace and helm.sh/resource-policy
// annotation, which is all an uninstall (or an upgrade deleting what the
// new chart drops) needs, and a resourceVersion no object ever has
// (stubResourceVersion), so that applying a stand-in fails on the API
// server's precondition instead of stripping the live object down to it:
// `helm rollback` to such a revision fails and changes no object. lade
// itself reads the full record from the continuation Secrets, and refuses
// to deploy a stand-in manifest (ErrStubManifest).

// stubHeader starts the first document of a stand-in manifest.
const stubHeader = "# lade: stand-in manifest"

// stubResourceVersion is the largest resourceVersion the API server
// parses; etcd never reaches it, so an apply carrying it always fails its
// precondition.
const stubResourceVersion = "18446744073709551615"

// ErrStubManifest is returned when an operation would apply a stand-in
// manifest (the full record of its revision could not be read).
var ErrStubManifest = fmt.Errorf("the revision's record holds only a stand-in of its manifest")

// IsStubManifest reports whether manifest is a stand-in written for a
// split record.
func IsStubManifest(manifest string) bool {
	return strings.Contains(manifest, stubHeader)
}

// stubManifest returns the stand-in of r's manifest.
func stubManifest(r *Release) (string, error) {
	var b strings.Builder
	first := true
	for i, doc := range yamljson.SplitDocuments(r.Manifest) {
		var obj map[string]any
		if err := yamljson.UnmarshalMap([]byte(doc), &obj); err != nil {
			return "", fmt.Errorf("release %q revision %d: manifest document %d: %w", r.Name, r.Version, i+1, err)
		}
		if len(obj) == 0 {
			continue
		}
		b.WriteString("---\n")
		if l, _, ok := strings.Cut(doc, "\n"); ok && strings.HasPrefix(l, "# Source: ") {
			b.WriteString(l + "\n")
		}
		if first {
			first = false
			fmt.Fprintf(&b, "%s: revision %d of release %q is too large for one Secret; each object is listed\n", stubHeader, r.Version, r.Name)
			fmt.Fprintf(&b, "# by kind, namespace and name only. The whole manifest: lade get manifest %s --revision %d\n", r.Name, r.Version)
			b.WriteString("# (helm rollback to this revision fails on the resourceVersion below and changes nothing).\n")
		}
		md, _ := obj["metadata"].(map[string]any)
		fmt.Fprintf(&b, "apiVersion: %s\nkind: %s\nmetadata:\n", yamlScalar(obj["apiVersion"]), yamlScalar(obj["kind"]))
		fmt.Fprintf(&b, "  name: %s\n", yamlScalar(md["name"]))
		if ns, ok := md["namespace"]; ok {
			fmt.Fprintf(&b, "  namespace: %s\n", yamlScalar(ns))
		}
		fmt.Fprintf(&b, "  resourceVersion: %q\n", stubResourceVersion)
		if ann, _ := md["annotations"].(map[string]any); ann != nil {
			if p, ok := ann["helm.sh/resource-policy"]; ok {
				fmt.Fprintf(&b, "  annotations:\n    helm.sh/resource-policy: %s\n", yamlScalar(p))
			}
		}
	}
	return b.String(), nil
}

// yamlScalar writes a scalar of a parsed manifest as a JSON string, which
// YAML reads as the same string.
func yamlScalar(v any) string {
	s, ok := v.(string)
	if !ok && v != nil {
		s = fmt.Sprint(v)
	}
	js, _ := json.Marshal(s)
	return string(js)
}

// partsMarkerOf parses a parts marker, "COUNT:SHA256:REVISION" (lade
// writes the revision since Helm's rollback copies a record, marker
// included, into a new revision) or "COUNT:SHA256" (earlier lade: the
// revision is the record's own, def).
func partsMarkerOf(marker string, def int) (count int, sum string, rev int, err error) {
	f := strings.Split(marker, ":")
	if len(f) == 2 || len(f) == 3 {
		count, err = strconv.Atoi(f[0])
		rev = def
		if err == nil && len(f) == 3 {
			rev, err = strconv.Atoi(f[2])
		}
		if err == nil && count > 0 && rev > 0 && f[1] != "" {
			return count, f[1], rev, nil
		}
	}
	return 0, "", 0, fmt.Errorf("bad %s marker %q", partsMarker, marker)
}
