package chart

import (
	"strings"

	"sigs.k8s.io/yaml"
)

var readmeNames = []string{"readme.md", "readme.txt", "readme"}

// ShowPart names what `show` prints: all, chart, values, readme or crds.
type ShowPart string

// Show formats part of a chart exactly as `helm show PART` prints it:
// Chart.yaml as re-encoded metadata, the raw values.yaml, the README and the
// crds/ files (the chart's and its subcharts').
func Show(ch *Chart, part ShowPart) (string, error) {
	all := part == "all"
	var out []byte
	if part == "chart" || all {
		cf, err := yaml.Marshal(ch.Metadata)
		if err != nil {
			return "", err
		}
		out = append(append(out, cf...), '\n')
	}
	if (part == "values" || all) && ch.Values != nil {
		if all {
			out = append(out, "---\n"...)
		}
		for _, f := range ch.Raw {
			if f.Name == "values.yaml" {
				out = append(append(out, f.Data...), '\n')
			}
		}
	}
	if part == "readme" || all {
		if r := findReadme(ch.Files); r != nil {
			if all {
				out = append(out, "---\n"...)
			}
			out = append(append(out, r.Data...), '\n')
		}
	}
	if part == "crds" || all {
		for _, crd := range ch.CRDObjects() {
			if len(crd.File.Data) < 3 || string(crd.File.Data[:3]) != "---" {
				out = append(out, "---\n"...)
			}
			out = append(append(out, crd.File.Data...), '\n')
		}
	}
	return string(out), nil
}

// findReadme returns the chart file Helm shows as README.
func findReadme(files []*File) *File {
	for _, f := range files {
		if f == nil {
			continue
		}
		for _, n := range readmeNames {
			if strings.EqualFold(f.Name, n) {
				return f
			}
		}
	}
	return nil
}
