package overlay

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
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
	baseDocRe     = regexp.MustCompile(`(?:` + regexp.QuoteMeta(memRoot) + `/|\.\./)?` + baseName + `/` + docPrefix + `(\d+)\.yaml`)
	baseDirRe     = regexp.MustCompile(`(?:` + regexp.QuoteMeta(memRoot) + `/|\.\./)?` + baseName + `\b`)
	overlayFileRe = regexp.MustCompile(regexp.QuoteMeta(overlayDir) + `/([^\s'":]+)`)
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
	return &BuildError{File: file, Reason: msg}
}
