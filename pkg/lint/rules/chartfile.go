package rules

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/Masterminds/semver/v3"
	"github.com/asaskevich/govalidator"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/lint/support"
)

const chartFileName = "Chart.yaml"

// Chartfile checks Chart.yaml as `helm lint` does.
func Chartfile(l *support.Linter, in *Input) {
	const rule = "helm/chartfile"
	if in.ChartYAMLIsDir {
		l.Run(support.Error, rule, chartFileName, errors.New("should be a file, not a directory"))
	}
	md := new(chart.Metadata)
	err := in.ChartYAMLErr
	if err == nil {
		err = yaml.Unmarshal(in.ChartYAML, md)
	}
	if !l.Run(support.Error, rule, chartFileName, wrapf("unable to parse YAML\n\t%w", err)) {
		return
	}
	strict := new(chart.Metadata)
	l.Run(support.Warning, rule, chartFileName, wrapf("failed to strictly parse chart metadata file\n\t%w", yaml.UnmarshalStrict(in.ChartYAML, strict)))
	raw := map[string]any{}
	_ = yaml.Unmarshal(in.ChartYAML, &raw)

	l.Run(support.Error, rule, chartFileName, checkName(md))
	l.Run(support.Error, rule, chartFileName, checkAPIVersion(md))
	l.Run(support.Error, rule, chartFileName, mustBeString(raw, "version"))
	l.Run(support.Error, rule, chartFileName, checkVersion(md))
	l.Run(support.Error, rule, chartFileName, mustBeString(raw, "appVersion"))
	l.Run(support.Error, rule, chartFileName, checkMaintainers(md))
	l.Run(support.Error, rule, chartFileName, checkSources(md))
	l.Run(support.Info, rule, chartFileName, checkIconPresent(md))
	l.Run(support.Error, rule, chartFileName, checkIconURL(md))
	l.Run(support.Error, rule, chartFileName, checkTypeV2(md))
	l.Run(support.Error, rule, chartFileName, checkDependenciesV2(md))
	l.Run(support.Warning, rule, chartFileName, checkStrictSemVer(md))
}

func wrapf(format string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format, err)
}

func mustBeString(raw map[string]any, key string) error {
	v, ok := raw[key]
	if !ok {
		return nil
	}
	if t := fmt.Sprintf("%T", v); t != "string" {
		return fmt.Errorf("%s should be of type string but it's of type %s", key, t)
	}
	return nil
}

func checkName(md *chart.Metadata) error {
	switch {
	case md.Name == "":
		return errors.New("name is required")
	case filepath.Base(md.Name) != md.Name:
		return fmt.Errorf("chart name %q is invalid", md.Name)
	}
	return nil
}

func checkAPIVersion(md *chart.Metadata) error {
	switch md.APIVersion {
	case "":
		return errors.New(`apiVersion is required. The value must be either "v1" or "v2"`)
	case chart.APIVersionV1, chart.APIVersionV2:
		return nil
	}
	return fmt.Errorf(`apiVersion '%s' is not valid. The value must be either "v1" or "v2"`, md.APIVersion)
}

func checkVersion(md *chart.Metadata) error {
	if md.Version == "" {
		return errors.New("version is required")
	}
	v, err := semver.NewVersion(md.Version)
	if err != nil {
		return fmt.Errorf("version '%s' is not a valid SemVer", md.Version)
	}
	c, err := semver.NewConstraint(">0.0.0-0")
	if err != nil {
		return err
	}
	if ok, errs := c.Validate(v); !ok && len(errs) > 0 {
		return fmt.Errorf("version %w", errs[0])
	}
	return nil
}

func checkStrictSemVer(md *chart.Metadata) error {
	if _, err := semver.StrictNewVersion(md.Version); err != nil {
		return fmt.Errorf("version '%s' is not a valid SemVerV2", md.Version)
	}
	return nil
}

func checkMaintainers(md *chart.Metadata) error {
	for _, m := range md.Maintainers {
		if m == nil {
			return errors.New("a maintainer entry is empty")
		}
		if m.Name == "" {
			return errors.New("each maintainer requires a name")
		}
		if m.Email != "" && !govalidator.IsEmail(m.Email) {
			return fmt.Errorf("invalid email '%s' for maintainer '%s'", m.Email, m.Name)
		}
		if m.URL != "" && !govalidator.IsURL(m.URL) {
			return fmt.Errorf("invalid url '%s' for maintainer '%s'", m.URL, m.Name)
		}
	}
	return nil
}

func checkSources(md *chart.Metadata) error {
	for _, s := range md.Sources {
		if s == "" || !govalidator.IsRequestURL(s) {
			return fmt.Errorf("invalid source URL '%s'", s)
		}
	}
	return nil
}

func checkIconPresent(md *chart.Metadata) error {
	if md.Icon == "" {
		return errors.New("icon is recommended")
	}
	return nil
}

func checkIconURL(md *chart.Metadata) error {
	if md.Icon != "" && !govalidator.IsRequestURL(md.Icon) {
		return fmt.Errorf("invalid icon URL '%s'", md.Icon)
	}
	return nil
}

func checkTypeV2(md *chart.Metadata) error {
	if md.Type != "" && md.APIVersion != chart.APIVersionV2 {
		return fmt.Errorf("chart type is not valid in apiVersion '%s'. It is valid in apiVersion '%s'", md.APIVersion, chart.APIVersionV2)
	}
	return nil
}

func checkDependenciesV2(md *chart.Metadata) error {
	if len(md.Dependencies) > 0 && md.APIVersion != chart.APIVersionV2 {
		return fmt.Errorf("dependencies are not valid in the Chart file with apiVersion '%s'. They are valid in apiVersion '%s'", md.APIVersion, chart.APIVersionV2)
	}
	return nil
}
