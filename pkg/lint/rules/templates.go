package rules

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	yamlutil "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/lint/support"
	"github.com/lade-dev/lade/pkg/render"
	"github.com/lade-dev/lade/pkg/values"
)

const templatesDir = "templates/"

// TemplateOptions are the release settings templates render with in lint.
type TemplateOptions struct {
	Namespace            string
	Values               map[string]any
	KubeVersion          *common.KubeVersion // nil: common.DefaultKubeVersion
	SkipSchemaValidation bool
	Limits               render.Limits // zero fields: render's defaults
}

// Doc is one parsed YAML document of a rendered template.
type Doc struct {
	// Template is the template path relative to the linted chart
	// ("templates/x.yaml", "charts/sub/templates/y.yaml").
	Template string
	// JSON is the document converted to JSON ("null" for empty documents).
	JSON []byte
	// Source is the document's rendered YAML (or JSON) text.
	Source []byte
	// Line is the line of the rendered template the document starts on
	// (1-based).
	Line       int
	APIVersion string
	Kind       string
	Name       string
	Namespace  string
}

// Rendered is what the templates rule rendered, for the rules that follow.
type Rendered struct {
	// Chart is the chart after dependency processing (disabled subcharts removed).
	Chart *chart.Chart
	// Files are the rendered templates keyed by "<chart>/templates/x.yaml".
	Files map[string]string
	// Docs are the documents of the root chart's YAML templates, in template order.
	Docs []Doc
	// Complete is false when a YAML error stopped parsing before the last template.
	Complete bool
}

// k8sYamlStruct is the head of a rendered object as Helm's lint decodes it
// (names kept: they appear in decoding errors).
type k8sYamlStruct struct {
	APIVersion string `json:"apiVersion"`
	Kind       string
	Metadata   k8sYamlMetadata
}

type k8sYamlMetadata struct {
	Namespace string
	Name      string
}

// Templates renders the chart in lint mode (`required` and `fail` only log)
// and checks every YAML template of the chart itself, as `helm lint` does. It
// returns nil when nothing could be rendered.
func Templates(ctx context.Context, l *support.Linter, in *Input, o TemplateOptions) *Rendered {
	const rule = "helm/templates"
	switch in.TemplatesDir {
	case "":
		l.Run(support.Warning, rule, templatesDir, errors.New("directory does not exist"))
		return nil
	case "file":
		l.Run(support.Error, rule, templatesDir, errors.New("not a directory"))
		return nil
	}
	if !l.Run(support.Error, rule, templatesDir, in.LoadErr) {
		return nil
	}
	ch := in.Chart
	vals := o.Values
	if vals == nil {
		vals = map[string]any{}
	}
	vopts := []values.Option{values.WithLogger(slog.Default()), values.SkipSchemaValidation(true)}
	if err := values.ProcessDependencies(ch, vals, vopts...); err != nil {
		return nil
	}
	cvals, err := values.CoalesceValues(ch, vals, vopts...)
	if err != nil {
		return nil
	}
	caps := common.DefaultCapabilities(o.KubeVersion)
	ropts := render.Options{ReleaseName: "test-release", Namespace: o.Namespace}
	top := render.NewRenderValues(ch, cvals, ropts, caps)
	if !o.SkipSchemaValidation {
		if err := values.ValidateSchema(ch, cvals, values.WithLogger(slog.Default()), values.WithPrecompiled(in.Precompiled)); err != nil {
			l.Run(support.Error, rule, templatesDir, err)
			return nil
		}
	}
	eng := render.Engine{LintMode: true, Warn: lintWarn, Limits: o.Limits}
	files, err := eng.Render(ctx, ch, top)
	if !l.Run(support.Error, rule, templatesDir, err) {
		return nil
	}
	out := &Rendered{Chart: ch, Files: files}
	kv := KubeVersion{Major: caps.KubeVersion.Major, Minor: caps.KubeVersion.Minor}
	for _, t := range ch.Templates {
		name := t.Name
		l.Run(support.Error, rule, name, allowedExtension(name))
		if !isYAMLFile(name) {
			continue
		}
		rendered := files[path.Join(ch.Name(), name)]
		if strings.TrimSpace(rendered) == "" {
			continue
		}
		l.Run(support.Warning, rule, name, topIndent(rendered))
		ok := parseDocs(name, rendered, func(d *Doc, head *k8sYamlStruct, err error) bool {
			if !l.Run(support.Error, rule, name, yamlContentError(err)) {
				return false
			}
			if head == nil {
				return true
			}
			out.Docs = append(out.Docs, *d)
			l.Run(support.Warning, rule, name, metadataName(head))
			l.Run(support.Warning, "helm/deprecated-api", name, deprecation(head.APIVersion, head.Kind, kv))
			l.Run(support.Error, rule, name, matchSelector(head, rendered))
			l.Run(support.Error, rule, name, listAnnotations(head, rendered))
			return true
		})
		if !ok {
			return out
		}
	}
	out.Complete = true
	return out
}

// lintWarn logs what `required` and `fail` say in lint mode, as Helm logs it.
func lintWarn(msg string) {
	for _, prefix := range []string{"missing required value", "missing required values"} {
		if rest, ok := strings.CutPrefix(msg, prefix+": "); ok {
			slog.Warn(prefix, "message", rest)
			return
		}
	}
	if rest, ok := strings.CutPrefix(msg, "fail: "); ok {
		slog.Info("funcMap fail", "message", rest)
		return
	}
	slog.Warn(msg)
}

// ParseDocs splits rendered output into documents as Helm's YAML-or-JSON
// decoder does and calls fn for each (d is nil for empty documents and on
// errors). fn returns false to stop; ParseDocs then returns false.
func ParseDocs(template, rendered string, fn func(d *Doc, err error) bool) bool {
	return parseDocs(template, rendered, func(d *Doc, head *k8sYamlStruct, err error) bool {
		if head == nil {
			d = nil
		}
		return fn(d, err)
	})
}

// parseDocs is ParseDocs with Helm's decoded head (nil for empty documents).
func parseDocs(template, rendered string, fn func(d *Doc, head *k8sYamlStruct, err error) bool) bool {
	if looksLikeJSON(rendered) {
		return parseJSONStream(template, rendered, fn)
	}
	r := yamlutil.NewYAMLReader(bufio.NewReader(strings.NewReader(rendered)))
	var lines lineCounter
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			if !fn(nil, nil, err) {
				return false
			}
			continue
		}
		d, head, err := decodeDoc(template, doc)
		if d != nil {
			d.Source, d.Line = doc, lines.find(rendered, doc)
		}
		if !fn(d, head, err) {
			return false
		}
	}
}

// lineCounter finds where successive documents start in a rendered template.
// The YAML reader returns each document as a run of the input's lines, in
// order, each ending in "\n" (CRLF read as LF, a final line break added), so
// each is found after the previous one.
type lineCounter struct {
	off  int // bytes of the input consumed
	line int // line breaks before off
}

// find returns the 1-based line where doc starts in rendered (0 when it is
// not found).
func (c *lineCounter) find(rendered string, doc []byte) int {
	if strings.Contains(rendered, "\r\n") {
		rendered = strings.ReplaceAll(rendered, "\r\n", "\n")
	}
	d := string(doc)
	i := strings.Index(rendered[c.off:], d)
	if i < 0 {
		d = strings.TrimSuffix(d, "\n") // the input's last line had no line break
		if i = strings.Index(rendered[c.off:], d); i < 0 {
			return 0
		}
	}
	c.line += strings.Count(rendered[c.off:c.off+i], "\n")
	start := c.line + 1
	c.line += strings.Count(d, "\n")
	c.off += i + len(d)
	return start
}

func decodeDoc(template string, doc []byte) (*Doc, *k8sYamlStruct, error) {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("error converting YAML to JSON: %w", err)
	}
	var head *k8sYamlStruct
	if err := json.Unmarshal(j, &head); err != nil {
		// Helm converts with the target's types in mind (numbers into string
		// fields become strings): decode its way for its result or error.
		head = nil
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, nil, err
		}
	}
	d := &Doc{Template: template, JSON: j}
	if head != nil {
		d.APIVersion, d.Kind, d.Name, d.Namespace = head.APIVersion, head.Kind, head.Metadata.Name, head.Metadata.Namespace
	}
	return d, head, nil
}

func looksLikeJSON(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n")
	return strings.HasPrefix(t, "{")
}

func parseJSONStream(template, rendered string, fn func(d *Doc, head *k8sYamlStruct, err error) bool) bool {
	dec := yamlutil.NewYAMLOrJSONDecoder(strings.NewReader(rendered), 4096)
	var lines lineCounter
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			if !fn(nil, nil, err) {
				return false
			}
			continue
		}
		var head *k8sYamlStruct
		if err := json.Unmarshal(raw, &head); err != nil {
			if !fn(nil, nil, fmt.Errorf("error unmarshaling JSON: while decoding JSON: %w", err)) {
				return false
			}
			continue
		}
		d := &Doc{Template: template, JSON: raw, Source: raw, Line: lines.find(rendered, raw)}
		if head != nil {
			d.APIVersion, d.Kind, d.Name, d.Namespace = head.APIVersion, head.Kind, head.Metadata.Name, head.Metadata.Namespace
		}
		if !fn(d, head, nil) {
			return false
		}
	}
}

func allowedExtension(name string) error {
	ext := filepath.Ext(name)
	if slices.Contains([]string{".yaml", ".yml", ".tpl", ".txt"}, ext) {
		return nil
	}
	return fmt.Errorf("file extension '%s' not valid. Valid extensions are .yaml, .yml, .tpl, or .txt", ext)
}

func isYAMLFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

func yamlContentError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("unable to parse YAML: %w", err)
}

func topIndent(s string) error {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			return fmt.Errorf("document starts with an illegal indent: %q, which may cause parsing problems", line)
		}
		return nil
	}
	return sc.Err()
}

func metadataName(h *k8sYamlStruct) error {
	check := nameValidator(h.Kind)
	var errs field.ErrorList
	for _, msg := range check(h.Metadata.Name, false) {
		errs = append(errs, field.Invalid(field.NewPath("metadata").Child("name"), h.Metadata.Name, msg))
	}
	if len(errs) > 0 {
		return fmt.Errorf("object name does not conform to Kubernetes naming requirements: %q: %w", h.Metadata.Name, errs.ToAggregate())
	}
	return nil
}

func nameValidator(kind string) validation.ValidateNameFunc {
	switch strings.ToLower(kind) {
	case "service":
		return validation.NameIsDNS1035Label
	case "namespace":
		return validation.ValidateNamespaceName
	case "serviceaccount":
		return validation.ValidateServiceAccountName
	case "certificatesigningrequest":
		return func(string, bool) []string { return nil }
	case "role", "clusterrole", "rolebinding", "clusterrolebinding":
		return func(name string, _ bool) []string { return content.IsPathSegmentName(name) }
	}
	return validation.NameIsDNSSubdomain
}

func matchSelector(h *k8sYamlStruct, manifest string) error {
	switch h.Kind {
	case "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet":
		if !strings.Contains(manifest, "matchLabels") && !strings.Contains(manifest, "matchExpressions") {
			return fmt.Errorf("a %s must contain matchLabels or matchExpressions, and %q does not", h.Kind, h.Metadata.Name)
		}
	}
	return nil
}

func listAnnotations(h *k8sYamlStruct, manifest string) error {
	if h.Kind != "List" {
		return nil
	}
	var m struct {
		Items []struct {
			Metadata struct {
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal([]byte(manifest), &m); err != nil {
		return yamlContentError(err)
	}
	for _, it := range m.Items {
		if _, ok := it.Metadata.Annotations["helm.sh/resource-policy"]; ok {
			return errors.New("annotation 'helm.sh/resource-policy' within List objects are ignored")
		}
	}
	return nil
}
