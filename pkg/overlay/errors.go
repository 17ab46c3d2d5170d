package overlay

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// BuildError is a kustomize failure, with in-memory paths turned back into
// overlay file names and chart template paths.
type BuildError struct {
	// File is the overlay file the failure names, when it names one.
	File   string
	Reason string
}

func (e *BuildError) Error() string {
	if e.File != "" && !strings.Contains(e.Reason, e.File) {
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	}
	return e.Reason
}

var (
	baseDocRe     = regexp.MustCompile(`(?:` + regexp.QuoteMeta(memRoot) + `/|(?:\.\./)+)?` + baseName + `/` + docPrefix + `(\d+)\.yaml`)
	baseDirRe     = regexp.MustCompile(`(?:` + regexp.QuoteMeta(memRoot) + `/|(?:\.\./)+)?` + baseName + `\b`)
	overlayFileRe = regexp.MustCompile(regexp.QuoteMeta(overlayDir) + `/([^\s'":]+)`)
	// kustomize names the base's files without their directory once it
	// is inside the base ("accumulating resources from 'doc-3.yaml':
	// MalformedYAMLError: ... in File: doc-3.yaml").
	bareDocRe = regexp.MustCompile(`(^|[\s'"(])` + docPrefix + `(\d+)\.yaml\b`)
)

var (
	quotedRe = regexp.MustCompile(`'([^']+)'|"([^"]+)"`)
	resIDRe  = regexp.MustCompile(`[A-Z][A-Za-z0-9]*\.[a-z0-9]+(?:\.[a-z0-9.-]+)?/([a-z0-9][a-z0-9.-]*?)\.(?:\[noNs\]|[a-z0-9-]+)`)
)

// blame finds the overlay file a kustomize error is about when the error
// does not name one: the file that mentions the object or field path it
// quotes (patch files first, then kustomization files with inline patches).
func (o *Overlay) blame(msg string) string {
	var tokens []string
	for _, m := range resIDRe.FindAllStringSubmatch(msg, -1) {
		tokens = append(tokens, "name: "+m[1])
	}
	for _, m := range quotedRe.FindAllStringSubmatch(msg, -1) {
		t := m[1] + m[2]
		if strings.HasPrefix(t, "/") && len(t) > 1 {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 {
		return ""
	}
	var kust []string
	for _, p := range o.Paths() {
		isKust := slices.Contains(kustomizationNames, path.Base(p))
		for _, t := range tokens {
			if strings.Contains(string(o.Files[p]), t) {
				if !isKust {
					return p
				}
				kust = append(kust, p)
				break
			}
		}
	}
	if len(kust) > 0 {
		return kust[0]
	}
	return ""
}

// mentionsBase reports whether a kustomize error names the base (the
// rendered documents) or one of its files.
func mentionsBase(msg string) bool {
	return baseDirRe.MatchString(msg) || bareDocRe.MatchString(msg)
}

func (o *Overlay) explain(err error, base []Doc) error {
	msg := err.Error()
	msg = baseDocRe.ReplaceAllStringFunc(msg, func(s string) string {
		m := baseDocRe.FindStringSubmatch(s)
		i, _ := strconv.Atoi(m[1])
		if i < len(base) {
			return "rendered " + base[i].Source
		}
		return s
	})
	msg = o.nameBareDocs(msg, base)
	msg = baseDirRe.ReplaceAllString(msg, "the rendered chart")
	file := ""
	if m := overlayFileRe.FindStringSubmatch(msg); m != nil {
		file = m[1]
	}
	if file == "" {
		file = o.blame(msg)
	}
	msg = strings.ReplaceAll(msg, overlayDir+"/", "")
	msg = strings.ReplaceAll(msg, overlayDir, "the overlay directory")
	if p, yerr := o.unparsed(msg); p != "" {
		return &BuildError{File: p, Reason: fmt.Sprintf("invalid YAML: %v (kustomize: unable to parse it as a strategic-merge or JSON patch)", yerr)}
	}
	return &BuildError{File: file, Reason: msg}
}

// unparsed finds the patch file kustomize could not parse, which its
// message names without the parser's reason, and that reason (with its
// line), when the file is not valid YAML.
func (o *Overlay) unparsed(msg string) (string, error) {
	const marker = "unable to parse SM or JSON patch from"
	i := strings.Index(msg, marker)
	if i < 0 {
		return "", nil
	}
	for _, p := range o.Paths() {
		if !strings.Contains(msg[i:], `"`+p+`"`) {
			continue
		}
		dec := kyaml.NewDecoder(bytes.NewReader(o.Files[p]))
		for {
			var n kyaml.Node
			err := dec.Decode(&n)
			if err == io.EOF {
				break
			}
			if err != nil {
				return p, err
			}
		}
	}
	return "", nil
}

// nameBareDocs names the template of each base document the message names
// by its file name alone: only after the message has entered the base (it
// names the base's directory), and not when an overlay file has that name.
func (o *Overlay) nameBareDocs(msg string, base []Doc) string {
	loc := baseDirRe.FindStringIndex(msg)
	if loc == nil {
		return msg
	}
	tail := bareDocRe.ReplaceAllStringFunc(msg[loc[1]:], func(s string) string {
		m := bareDocRe.FindStringSubmatch(s)
		i, err := strconv.Atoi(m[2])
		if err != nil || i >= len(base) {
			return s
		}
		for p := range o.Files {
			if path.Base(p) == docPrefix+m[2]+".yaml" {
				return s
			}
		}
		return m[1] + "rendered " + base[i].Source
	})
	return msg[:loc[1]] + tail
}
