package release

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"
)

// MaxNameLen is the longest release name Helm accepts.
const MaxNameLen = 53

var validName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)

var (
	errMissingName = errors.New("no name provided")
	errInvalidName = fmt.Errorf("invalid release name, must match regex %s and the length must not be longer than %d",
		validName.String(), MaxNameLen)
)

// ValidateName checks a release name against Helm's rule (DNS-1123, 53 characters).
func ValidateName(name string) error {
	if name == "" {
		return errMissingName
	}
	if len(name) > MaxNameLen || !validName.MatchString(name) {
		return errInvalidName
	}
	return nil
}

// NameFromTemplate renders --name-template (sprig functions only).
func NameFromTemplate(tpl string) (string, error) {
	t, err := template.New("name-template").Funcs(sprig.TxtFuncMap()).Parse(tpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, nil); err != nil {
		return "", err
	}
	return b.String(), nil
}

// GenerateName makes a name from the chart reference and the time, as
// --generate-name does ("mychart-1700000000").
func GenerateName(chartRef string) string {
	base := filepath.Base(chartRef)
	if base == "." || base == "" {
		base = "chart"
	}
	if i := strings.Index(base, "."); i != -1 {
		base = base[:i]
	}
	return fmt.Sprintf("%s-%d", base, time.Now().Unix())
}
