// Command gen-fleet-docs writes the Release object reference into
// docs/fleets.md, between the markers
//
//	<!-- BEGIN GENERATED: Release reference -->
//	<!-- END GENERATED: Release reference -->
//
// from the CRD generated from pkg/api/v1alpha1 (its field descriptions are
// the types' doc comments). `make generate` runs it; with -check it only
// fails when the file is stale (`make verify-generate`).
//
//	go run ./hack/gen-fleet-docs [-check] [-file docs/fleets.md]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
)

const (
	begin = "<!-- BEGIN GENERATED: Release reference -->"
	end   = "<!-- END GENERATED: Release reference -->"
)

func main() {
	file := flag.String("file", "docs/fleets.md", "the Markdown file holding the markers")
	check := flag.Bool("check", false, "only check that the file is current")
	flag.Parse()
	if err := run(*file, *check); err != nil {
		fmt.Fprintln(os.Stderr, "gen-fleet-docs:", err)
		os.Exit(1)
	}
}

func run(file string, check bool) error {
	old, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	i, j := bytes.Index(old, []byte(begin)), bytes.Index(old, []byte(end))
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %q ... %q markers", file, begin, end)
	}
	ref, err := reference()
	if err != nil {
		return err
	}
	var out bytes.Buffer
	out.Write(old[:i+len(begin)])
	out.WriteString("\n" + ref)
	out.Write(old[j:])
	if bytes.Equal(out.Bytes(), old) {
		return nil
	}
	if check {
		return fmt.Errorf("%s is stale: run make generate", file)
	}
	return os.WriteFile(file, out.Bytes(), 0o644)
}

// reference is the Markdown of the Release's fields, from the CRD.
func reference() (string, error) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(v1alpha1.CRD(), &crd); err != nil {
		return "", err
	}
	var root *apiextensionsv1.JSONSchemaProps
	for _, v := range crd.Spec.Versions {
		if v.Name == v1alpha1.Version {
			root = v.Schema.OpenAPIV3Schema
		}
	}
	if root == nil {
		return "", fmt.Errorf("the CRD has no %s schema", v1alpha1.Version)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`apiVersion: %s`, `kind: %s`. %s\n\n", v1alpha1.GroupVersion, v1alpha1.Kind, oneLine(root.Description))
	b.WriteString("| field | type | default | description |\n| --- | --- | --- | --- |\n")
	spec := root.Properties["spec"]
	fields(&b, "spec", &spec)
	b.WriteString("\n`status` (written by the controller): ")
	st := root.Properties["status"]
	var names []string
	for _, k := range slices.Sorted(maps.Keys(st.Properties)) {
		names = append(names, "`"+k+"`")
	}
	b.WriteString(strings.Join(names, ", ") + ".\n")
	return b.String(), nil
}

func fields(b *strings.Builder, path string, s *apiextensionsv1.JSONSchemaProps) {
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[k]
		fp := path + "." + k
		desc := oneLine(p.Description)
		if slices.Contains(s.Required, k) {
			desc = "**Required.** " + desc
		}
		if c := constraints(&p); c != "" {
			desc += " " + c
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", fp, typeOf(&p), defaultOf(&p), desc)
		switch {
		case p.Type == "object" && len(p.Properties) > 0:
			fields(b, fp, &p)
		case p.Type == "array" && p.Items != nil && p.Items.Schema != nil && len(p.Items.Schema.Properties) > 0:
			fields(b, fp+"[]", p.Items.Schema)
		}
	}
}

func typeOf(p *apiextensionsv1.JSONSchemaProps) string {
	switch {
	case p.Type == "array" && p.Items != nil && p.Items.Schema != nil:
		t := p.Items.Schema.Type
		if t == "object" {
			t = "objects"
		} else {
			t += "s"
		}
		return "list of " + t
	case p.XPreserveUnknownFields != nil && *p.XPreserveUnknownFields:
		return "object (any fields)"
	case p.Type == "string" && p.Pattern != "" && strings.Contains(p.Pattern, "ms|s|m|h"):
		return "duration"
	}
	return p.Type
}

func defaultOf(p *apiextensionsv1.JSONSchemaProps) string {
	if p.Default == nil {
		return ""
	}
	var v any
	if err := json.Unmarshal(p.Default.Raw, &v); err != nil {
		return ""
	}
	return fmt.Sprintf("`%v`", v)
}

func constraints(p *apiextensionsv1.JSONSchemaProps) string {
	var c []string
	if len(p.Enum) > 0 {
		var vs []string
		for _, e := range p.Enum {
			var v any
			if json.Unmarshal(e.Raw, &v) == nil {
				vs = append(vs, fmt.Sprintf("`%v`", v))
			}
		}
		c = append(c, "One of "+strings.Join(vs, ", ")+".")
	}
	if p.Minimum != nil {
		c = append(c, fmt.Sprintf("At least %v.", *p.Minimum))
	}
	if p.Pattern != "" && typeOf(p) != "duration" {
		c = append(c, "Matches `"+p.Pattern+"`.")
	}
	if p.MaxProperties != nil && *p.MaxProperties == 1 && p.MinProperties != nil && *p.MinProperties == 1 {
		c = append(c, "Exactly one of its fields.")
	}
	return strings.Join(c, " ")
}

// oneLine joins a description's lines for a table cell.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}
