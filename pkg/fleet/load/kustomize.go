package load

import (
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// originKey is the annotation kustomize writes, with buildMetadata
// [originAnnotations], naming the file each object came from.
const originKey = "config.kubernetes.io/origin"

// build runs kustomize on dir (with kustomize's default options: files
// only under the kustomization's root, no plugins, resources in input order)
// and returns the Releases it produces, each with the file it came from:
// relative paths in a Release resolve against that file's directory, so a
// base's chart and values paths work from every overlay.
func build(dir string) ([]*document, []error) {
	fail := func(msg string) ([]*document, []error) {
		return nil, []error{&Error{Source: Source{File: dir, Kustomization: dir}, Kind: ErrRead, Msg: "kustomize build: " + msg}}
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return fail(err.Error())
	}
	kfile := kustomizationIn(root)
	fsys := &originFS{FileSystem: filesys.MakeFsOnDisk(), kustomization: kfile}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, root)
	if err != nil {
		return fail(err.Error())
	}
	var docs []*document
	lines := originLines{}
	for _, res := range m.Resources() {
		ann := res.GetAnnotations()
		file, fdir, line := dir, root, 0
		if o, ok := ann[originKey]; ok {
			var origin struct{ Path, Repo string }
			if sigsyaml.Unmarshal([]byte(o), &origin) == nil && origin.Repo == "" && origin.Path != "" {
				file = filepath.Join(dir, origin.Path)
				fdir = filepath.Dir(filepath.Join(root, origin.Path))
				line = lines.of(filepath.Join(root, origin.Path), res.GetKind(), res.GetName())
			}
			if !fsys.userOrigins {
				delete(ann, originKey)
				if err := res.SetAnnotations(ann); err != nil {
					return fail(err.Error())
				}
			}
		}
		data, err := res.AsYAML()
		if err != nil {
			return fail(err.Error())
		}
		docs = append(docs, &document{src: Source{File: file, Line: line, Kustomization: dir}, dir: fdir, data: data})
	}
	return docs, nil
}

// originFS is the disk with buildMetadata [originAnnotations] added to the
// top kustomization as kustomize reads it (the file is not changed), so
// that each built object names its file.
type originFS struct {
	filesys.FileSystem
	kustomization string
	userOrigins   bool // the kustomization asks for origin annotations itself
}

func (f *originFS) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || filepath.Clean(path) != f.kustomization {
		return data, err
	}
	var k map[string]any
	if err := sigsyaml.Unmarshal(data, &k); err != nil || k == nil {
		return data, nil // kustomize reports it
	}
	md, _ := k["buildMetadata"].([]any)
	if slices.ContainsFunc(md, func(v any) bool { s, _ := v.(string); return strings.EqualFold(s, "originAnnotations") }) {
		f.userOrigins = true
		return data, nil
	}
	k["buildMetadata"] = append(md, "originAnnotations")
	return sigsyaml.Marshal(k)
}

// originLines finds the line of a built object's document in the file it
// came from, by kind and name (0 when a name prefix or suffix changed it),
// so errors can point at it. Fields are not given lines: an overlay may
// have patched them.
type originLines map[string][]*document

func (o originLines) of(file, kind, name string) int {
	docs, ok := o[file]
	if !ok {
		docs, _ = readFile(file)
		o[file] = docs
	}
	for _, d := range docs {
		var m struct {
			Kind     string
			Metadata struct{ Name string }
		}
		if sigsyaml.Unmarshal(d.data, &m) == nil && m.Kind == kind && m.Metadata.Name == name {
			return d.src.Line
		}
	}
	return 0
}
