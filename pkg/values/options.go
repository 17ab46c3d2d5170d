package values

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// Options are the user-supplied value sources of Helm's -f/--set family of flags.
type Options struct {
	ValueFiles    []string // -f/--values: file paths, or "-" for standard input; later files win
	StringValues  []string // --set-string
	Values        []string // --set
	FileValues    []string // --set-file: key=path, the file's content becomes the string value
	JSONValues    []string // --set-json: key=JSON or a whole JSON object
	LiteralValues []string // --set-literal: key=value taken verbatim

	// Stdin is read for a "-" values file or --set-file path; nil means os.Stdin.
	Stdin io.Reader
}

// MergeValues reads and merges every source in Helm's order: values files,
// then --set-json, --set, --set-string, --set-file and --set-literal.
func (o *Options) MergeValues() (map[string]any, error) {
	base := map[string]any{}

	for _, path := range o.ValueFiles {
		raw, err := o.readFile(path)
		if err != nil {
			return nil, err
		}
		cur, err := LoadValues(raw)
		if err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", path, err)
		}
		base = mergeMaps(base, cur)
	}

	for _, value := range o.JSONValues {
		trimmed := strings.TrimSpace(value)
		if trimmed != "" && trimmed[0] == '{' {
			var obj map[string]any
			if err := json.Unmarshal([]byte(trimmed), &obj); err != nil {
				return nil, fmt.Errorf("failed parsing --set-json data JSON: %s", value)
			}
			base = mergeMaps(base, obj)
			continue
		}
		if err := parseStrvals(value, base, modeJSON, nil); err != nil {
			return nil, fmt.Errorf("failed parsing --set-json data %s", value)
		}
	}

	for _, value := range o.Values {
		if err := parseStrvals(value, base, modeSet, nil); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %w", err)
		}
	}

	for _, value := range o.StringValues {
		if err := parseStrvals(value, base, modeString, nil); err != nil {
			return nil, fmt.Errorf("failed parsing --set-string data: %w", err)
		}
	}

	for _, value := range o.FileValues {
		read := func(path string) (any, error) {
			b, err := o.readFile(path)
			if err != nil {
				return nil, err
			}
			return string(b), nil
		}
		if err := parseStrvals(value, base, modeFile, read); err != nil {
			return nil, fmt.Errorf("failed parsing --set-file data: %w", err)
		}
	}

	for _, value := range o.LiteralValues {
		if err := parseStrvals(value, base, modeLiteral, nil); err != nil {
			return nil, fmt.Errorf("failed parsing --set-literal data: %w", err)
		}
	}

	return base, nil
}

// readFile reads a local file, or standard input for "-". Helm would fetch
// URLs through its getters; lade reads local files only and says so.
func (o *Options) readFile(path string) ([]byte, error) {
	if strings.TrimSpace(path) == "-" {
		in := o.Stdin
		if in == nil {
			in = os.Stdin
		}
		return io.ReadAll(in)
	}
	u, err := url.Parse(path)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http", "https", "oci":
		return nil, fmt.Errorf("reading values from %s: remote values files are not supported, download the file first", path)
	}
	return os.ReadFile(path)
}

// LoadValues parses YAML the way Helm reads values.yaml and -f files: every
// document of a multi-document stream is merged in order into one map (numbers
// become float64, as with sigs.k8s.io/yaml).
func LoadValues(data []byte) (map[string]any, error) {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data[:len(data):len(data)], '\n')
	}
	vals := map[string]any{}
	docs := newDocReader(data)
	for {
		raw, err := docs.next()
		if errors.Is(err, io.EOF) {
			return vals, nil
		}
		if err != nil {
			return nil, fmt.Errorf("error reading yaml document: %w", err)
		}
		cur := map[string]any{}
		if err := yaml.Unmarshal(raw, &cur); err != nil {
			return nil, fmt.Errorf("cannot unmarshal yaml document: %w", err)
		}
		vals = mergeMaps(vals, cur)
	}
}

// mergeMaps merges b over a (Helm's loader.MergeMaps): maps merge
// recursively, anything else in b replaces. a's top level is copied, not changed.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if vm, ok := v.(map[string]any); ok {
			if cur, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(cur, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// docReader splits a YAML stream into documents at "---" lines, as the
// Kubernetes YAMLReader Helm uses does (lines are re-terminated with "\n").
type docReader struct {
	r *bufio.Reader
}

func newDocReader(data []byte) *docReader {
	return &docReader{r: bufio.NewReader(bytes.NewReader(data))}
}

// line reads one line without its terminator and appends "\n".
func (d *docReader) line() ([]byte, error) {
	var buf bytes.Buffer
	prefix := true
	var err error
	for prefix && err == nil {
		var l []byte
		l, prefix, err = d.r.ReadLine()
		buf.Write(l)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), err
}

// next returns the next non-empty document, or io.EOF.
func (d *docReader) next() ([]byte, error) {
	var buf bytes.Buffer
	for {
		l, err := d.line()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if bytes.HasPrefix(l, []byte("---")) {
			rest := strings.TrimSpace(string(l[3:]))
			if rest != "" && rest[0] != '#' {
				return nil, fmt.Errorf("invalid Yaml document separator: %s", rest)
			}
			if buf.Len() != 0 {
				return buf.Bytes(), nil
			}
			if errors.Is(err, io.EOF) {
				return nil, err
			}
		}
		if errors.Is(err, io.EOF) {
			if buf.Len() != 0 {
				return buf.Bytes(), nil
			}
			return nil, err
		}
		buf.Write(l)
	}
}
