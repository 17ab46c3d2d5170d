package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/yamljson"
	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/release"
)

// Options tune Load.
type Options struct {
	// Namespace is the namespace of Releases without metadata.namespace
	// (the CLI's -n); "default" when empty.
	Namespace string
	// Selector picks the Releases to return (-l); nil picks all. Every
	// document is still read and checked, and cycles are looked for among
	// all of them.
	Selector labels.Selector
	// Installed says whether a release is installed in the cluster. A
	// dependsOn naming a release outside the selected set is an error
	// (ErrDependency) unless Installed reports it installed; then it is in
	// Fleet.External. Nil: only dependencies declared in the fleet (but not
	// selected) are allowed outside the set.
	Installed func(ctx context.Context, k Key) (bool, error)
}

// Key names a release: its namespace and name.
type Key struct {
	Namespace, Name string
}

// String is NAMESPACE/NAME.
func (k Key) String() string { return k.Namespace + "/" + k.Name }

// Source is where a Release was read.
type Source struct {
	// File is the file's path as the user gave it (joined to -f PATH).
	File string
	// Line is the line of the document or field, 0 when unknown (for
	// documents built by kustomize).
	Line int
	// Doc is the document's position in File (1 for the first), 0 for
	// documents built by kustomize.
	Doc int
	// Kustomization is the directory kustomize built the Release from
	// (the -f PATH), empty for plain files.
	Kustomization string
}

// String is FILE[:LINE], and "(kustomize build DIR)" after it for built
// Releases.
func (s Source) String() string {
	out := s.File
	if s.Line > 0 {
		out += ":" + strconv.Itoa(s.Line)
	}
	if s.Kustomization != "" && s.Kustomization != s.File {
		out += " (kustomize build " + s.Kustomization + ")"
	}
	return out
}

// Release is one Release of a fleet: the object as the API server would
// store it (defaults applied, metadata.namespace and every
// dependsOn[].namespace set) with its local paths made absolute: a local
// chart's spec.chart.ref, spec.valuesFiles and spec.overlay.path. A chart
// ref that is not absolute is remote (oci://, https://, REPO/CHART).
type Release struct {
	*v1alpha1.Release
	// Source is where it was declared.
	Source Source
}

// Key is the Release's namespace and name.
func (r *Release) Key() Key { return Key{r.Namespace, r.Name} }

// Dependencies are the releases named by spec.dependsOn.
func (r *Release) Dependencies() []Key {
	out := make([]Key, len(r.Spec.DependsOn))
	for i, d := range r.Spec.DependsOn {
		out[i] = Key{d.Namespace, d.Name}
	}
	return out
}

// LocalChart reports whether spec.chart.ref is a local directory or
// archive (then it is an absolute path).
func (r *Release) LocalChart() bool { return filepath.IsAbs(r.Spec.Chart.Ref) }

// Fleet is the checked set of selected Releases.
type Fleet struct {
	// Name is the fleet's default name: the base name of PATH without its
	// extension (the CLI's --fleet overrides it).
	Name string
	// Path is -f PATH, absolute.
	Path string
	// Releases are the selected Releases in dependency order: every
	// Release comes after the Releases it depends on.
	Releases []*Release
	// External are dependencies outside Releases (declared but not
	// selected, or installed), sorted: the caller waits for them to be
	// Ready.
	External []Key

	levels [][]*Release
	byKey  map[Key]*Release
}

// Order returns the Releases in levels: the first level depends on nothing
// in the fleet, each later one only on the levels before it, so a level's
// Releases can be applied in parallel.
func (f *Fleet) Order() [][]*Release { return f.levels }

// Get returns the selected Release k, or nil.
func (f *Fleet) Get(k Key) *Release { return f.byKey[k] }

// Load reads the fleet at path: a file of Release documents, a directory of
// such files (*.yaml and *.yml, not its subdirectories), or a directory
// holding kustomization.yaml, built with kustomize first. It checks every
// document against the Release schema, applies defaults, resolves local
// paths against the directory of the file that declares the Release (for
// kustomize-built Releases: the file kustomize read it from), then checks
// the set: no duplicates, every dependsOn known, no cycles. It reports every
// problem it finds (an errors.Join of *Error) and returns no Fleet then.
func Load(ctx context.Context, path string, opts Options) (*Fleet, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{Source: Source{File: path}, Kind: ErrRead, Msg: err.Error()}
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Source: Source{File: path}, Kind: ErrRead, Msg: pathErr(err)}
	}
	var docs []*document
	var errs []error
	switch {
	case !st.IsDir():
		docs, errs = readFile(path)
	case kustomizationIn(path) != "":
		docs, errs = build(path)
	default:
		docs, errs = readDir(path)
	}
	if len(docs) == 0 && len(errs) == 0 {
		return nil, &Error{Source: Source{File: path}, Kind: ErrRead, Msg: "no Release documents"}
	}
	sch, err := crdSchema()
	if err != nil {
		return nil, err
	}
	var all []*Release
	for _, d := range docs {
		r, derrs := d.decode(sch, opts.Namespace)
		errs = append(errs, derrs...)
		if r != nil {
			all = append(all, r)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	name := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs))
	f, errs := newFleet(ctx, all, opts)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	f.Name, f.Path = name, abs
	return f, nil
}

// document is one YAML document of a fleet, not yet decoded.
type document struct {
	src  Source
	dir  string     // the directory relative paths are resolved against
	data []byte     // the document's YAML
	node *yaml.Node // its parse tree, for lines; nil for built documents
}

func readDir(dir string) ([]*document, []error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []error{&Error{Source: Source{File: dir}, Kind: ErrRead, Msg: pathErr(err)}}
	}
	var docs []*document
	var errs []error
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			continue
		}
		d, es := readFile(filepath.Join(dir, e.Name()))
		docs, errs = append(docs, d...), append(errs, es...)
	}
	return docs, errs
}

// readFile splits a file into its non-empty documents.
func readFile(file string) ([]*document, []error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, []error{&Error{Source: Source{File: file}, Kind: ErrRead, Msg: pathErr(err)}}
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, []error{&Error{Source: Source{File: file}, Kind: ErrRead, Msg: err.Error()}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*document
	for n := 1; ; {
		var node yaml.Node
		err := dec.Decode(&node)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			// The decoder cannot go on after a syntax error.
			src := Source{File: file, Doc: n}
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			if l := yamlErrorLine(err); l > 0 {
				src.Line = l
				msg = strings.TrimPrefix(msg, "line "+strconv.Itoa(l)+": ")
			}
			return docs, []error{&Error{Source: src, Kind: ErrInvalid, Msg: msg}}
		}
		if len(node.Content) == 0 || node.Content[0].Tag == "!!null" {
			continue
		}
		if node.Content[0].Kind != yaml.MappingNode {
			return docs, []error{&Error{Source: Source{File: file, Line: node.Content[0].Line, Doc: n}, Kind: ErrInvalid,
				Msg: "not a Release: a Release is a YAML mapping (apiVersion, kind, metadata, spec)"}}
		}
		text, err := yaml.Marshal(&node)
		if err != nil {
			return docs, []error{&Error{Source: Source{File: file, Line: node.Line, Doc: n}, Kind: ErrInvalid, Msg: err.Error()}}
		}
		docs = append(docs, &document{src: Source{File: file, Line: node.Content[0].Line, Doc: n}, dir: filepath.Dir(abs), data: text, node: &node})
		n++
	}
}

// pathErr is an error of the os package without the path, which the
// message names already.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// yamlErrorLine is the line a YAML syntax error names ("yaml: line N: ..."),
// 0 when it names none.
func yamlErrorLine(err error) int {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		s := msg[i+5:]
		if j := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }); j > 0 {
			n, _ := strconv.Atoi(s[:j])
			return n
		}
	}
	return 0
}

// decode turns a document into a Release, or reports what is wrong with
// it.
func (d *document) decode(sch *schema, namespace string) (*Release, []error) {
	e := func(field []string, msg string) error {
		src := d.src
		if l := d.lineOf(field); l > 0 {
			src.Line = l
		}
		return &Error{Source: src, Release: d.key(), Field: fieldPath(field), Kind: ErrInvalid, Msg: msg}
	}
	var obj map[string]any
	if err := yamljson.UnmarshalMap(d.data, &obj); err != nil {
		return nil, []error{e(nil, err.Error())}
	}
	if obj == nil {
		return nil, []error{e(nil, "not a YAML object")}
	}
	av, k := obj["apiVersion"], obj["kind"]
	switch {
	case av == nil:
		return nil, []error{e([]string{"apiVersion"}, "required: "+v1alpha1.GroupVersion.String())}
	case k == nil:
		return nil, []error{e([]string{"kind"}, "required: "+v1alpha1.Kind)}
	case av != v1alpha1.GroupVersion.String() || k != v1alpha1.Kind:
		return nil, []error{e([]string{"kind"}, fmt.Sprintf("a %v %v, not a %s %s (a fleet holds only Releases)", av, k, v1alpha1.GroupVersion, v1alpha1.Kind))}
	}
	pruneNulls(obj, sch.props)
	applyDefaults(obj, sch.props)
	var errs []error
	for _, fe := range sch.validate(obj) {
		errs = append(errs, e(fe.path, fe.msg))
	}
	errs = append(errs, d.checkMetadata(obj, e)...)
	if len(errs) > 0 {
		return nil, errs
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, []error{e(nil, err.Error())}
	}
	r := &Release{Release: &v1alpha1.Release{}, Source: d.src}
	if err := json.Unmarshal(b, r.Release); err != nil {
		return nil, []error{e(nil, err.Error())}
	}
	if r.Namespace == "" {
		r.Namespace = namespace
		if r.Namespace == "" {
			r.Namespace = metav1.NamespaceDefault
		}
	}
	for i := range r.Spec.DependsOn {
		if r.Spec.DependsOn[i].Namespace == "" {
			r.Spec.DependsOn[i].Namespace = r.Namespace
		}
	}
	if errs := d.resolvePaths(r, e); len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// key is the document's NAMESPACE/NAME as far as it can be read, for
// error messages.
func (d *document) key() string {
	var m struct {
		Metadata struct{ Name, Namespace string }
	}
	if sigsyaml.Unmarshal(d.data, &m) != nil || m.Metadata.Name == "" {
		return ""
	}
	if m.Metadata.Namespace == "" {
		return m.Metadata.Name
	}
	return m.Metadata.Namespace + "/" + m.Metadata.Name
}

// checkMetadata checks what the API server checks in metadata (known
// fields, name, namespace, labels), with Helm's rule for release names.
func (d *document) checkMetadata(obj map[string]any, e func([]string, string) error) []error {
	md, ok := obj["metadata"].(map[string]any)
	if !ok {
		return []error{e([]string{"metadata"}, "required: an object with name")}
	}
	b, _ := json.Marshal(md)
	var meta metav1.ObjectMeta
	if err := sigsyaml.UnmarshalStrict(b, &meta); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, `unknown field "`); i >= 0 {
			f := strings.TrimSuffix(msg[i+len(`unknown field "`):], `"`)
			return []error{e([]string{"metadata", f}, "unknown field")}
		}
		return []error{e([]string{"metadata"}, msg)}
	}
	var errs []error
	if err := release.ValidateName(meta.Name); err != nil {
		errs = append(errs, e([]string{"metadata", "name"}, err.Error()))
	}
	if meta.Namespace != "" {
		for _, m := range validation.IsDNS1123Label(meta.Namespace) {
			errs = append(errs, e([]string{"metadata", "namespace"}, m))
		}
	}
	for _, fe := range metav1validation.ValidateLabels(meta.Labels, field.NewPath("metadata", "labels")) {
		errs = append(errs, e([]string{"metadata", "labels"}, fe.ErrorBody()))
	}
	return errs
}

// resolvePaths makes the Release's local paths absolute, checking they
// exist, and checks what the CLI needs beyond the schema (the version
// constraint parses).
func (d *document) resolvePaths(r *Release, e func([]string, string) error) []error {
	var errs []error
	if v := r.Spec.Chart.Version; v != "" {
		if _, err := semver.NewConstraint(v); err != nil {
			errs = append(errs, e([]string{"spec", "chart", "version"}, fmt.Sprintf("%q is no version or version constraint: %v", v, err)))
		}
	}
	local := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(d.dir, p)
	}
	if ref := r.Spec.Chart.Ref; !strings.Contains(ref, "://") {
		p := local(ref)
		if _, err := os.Stat(p); err == nil {
			r.Spec.Chart.Ref = p
		} else if strings.HasPrefix(ref, ".") || filepath.IsAbs(ref) || strings.HasSuffix(ref, ".tgz") || strings.Count(ref, "/") != 1 {
			// Not REPO/CHART: a local path that is not there.
			errs = append(errs, e([]string{"spec", "chart", "ref"}, "no chart directory or archive at "+p))
		}
	}
	for i, f := range r.Spec.ValuesFiles {
		if strings.Contains(f, "://") {
			continue
		}
		p := local(f)
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			errs = append(errs, e([]string{"spec", "valuesFiles", strconv.Itoa(i)}, "no values file at "+p))
			continue
		}
		r.Spec.ValuesFiles[i] = p
	}
	if o := r.Spec.Overlay; o != nil && o.Path != "" {
		p := local(o.Path)
		if kustomizationIn(p) == "" {
			errs = append(errs, e([]string{"spec", "overlay", "path"}, fmt.Sprintf("no kustomization.yaml in %s", p)))
		} else {
			o.Path = p
		}
	}
	return errs
}

// lineOf is the line of the field (or of its nearest parent in the file),
// 0 when the document has no parse tree.
func (d *document) lineOf(field []string) int {
	if d.node == nil || len(d.node.Content) == 0 {
		return 0
	}
	n := d.node.Content[0]
	line := n.Line
	for _, tok := range field {
		for n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					line, next = n.Content[i].Line, n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		n = next
	}
	return line
}

// kustomizationIn returns the kustomization file in dir, or "".
func kustomizationIn(dir string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}
