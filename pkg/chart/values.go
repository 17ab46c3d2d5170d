package chart

import (
	"bytes"
	"fmt"
	"maps"
	"strings"

	"github.com/lade-dev/lade/internal/yamljson"
)

// LoadValues parses values.yaml (or a user values file) like Helm: the data
// may hold several YAML documents, which are parsed with sigs.k8s.io/yaml
// (numbers become float64 or int64 as JSON would decode them) and merged with
// MergeMaps, later documents winning. Empty input gives an empty map.
func LoadValues(data []byte) (map[string]any, error) {
	// Helm reads the data line by line: every line ends up "\n"-terminated,
	// a "\r" right before the "\n" is dropped, and a line starting with "---"
	// separates documents (only a comment may follow the dashes).
	values := map[string]any{}
	var doc bytes.Buffer
	emit := func() error {
		current := map[string]any{}
		if err := yamljson.UnmarshalMap(doc.Bytes(), &current); err != nil {
			return fmt.Errorf("cannot unmarshal yaml document: %w", err)
		}
		values = MergeMaps(values, current)
		doc.Reset()
		return nil
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if bytes.HasPrefix(line, []byte("---")) {
			rest := strings.TrimSpace(string(line[3:]))
			if rest != "" && rest[0] != '#' {
				return nil, fmt.Errorf("error reading yaml document: invalid Yaml document separator: %s", rest)
			}
			if doc.Len() != 0 {
				if err := emit(); err != nil {
					return nil, err
				}
				continue
			}
			// A separator before any content stays in the document.
		}
		doc.Write(line)
		doc.WriteByte('\n')
	}
	if doc.Len() != 0 {
		if err := emit(); err != nil {
			return nil, err
		}
	}
	return values, nil
}

// MergeMaps returns a new map with the keys of a and b; where both hold maps
// under the same key they are merged recursively, otherwise b's value wins.
func MergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	maps.Copy(out, a)
	for k, v := range b {
		if vm, ok := v.(map[string]any); ok {
			if om, ok := out[k].(map[string]any); ok {
				out[k] = MergeMaps(om, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
