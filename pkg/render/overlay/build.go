package overlay

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// Doc is one YAML document and the file it came from.
type Doc struct {
	// Source is the chart template path of a base document; for an object
	// the overlay added, it is the added-prefix joined with the overlay file
	// that defined or generated it (e.g. "overlay/sidecar.yaml").
	Source  string
	Content string
	// Added is true for objects the overlay added (resources, generators).
	Added bool
	// Index is the position of the base document it came from (-1 if Added).
	Index int
}

// In-memory layout kustomize builds: the chart's documents as a base next
// to the overlay, whose kustomization gains the base as its first resource.
const (
	memRoot    = "/lade"
	baseName   = "lade-rendered-chart"
	overlayDir = memRoot + "/overlay"
	baseDir    = memRoot + "/" + baseName
	docPrefix  = "doc-"
	originAnno = "config.kubernetes.io/origin"
	// DefaultAddedPrefix prefixes the `# Source:` of objects an overlay adds.
	DefaultAddedPrefix = "overlay"
)

// kustomize keeps the OpenAPI schema it patches with in a package global
// (openapi.SetSchema), so builds are serialised.
var buildMu sync.Mutex

// Build runs kustomize on the overlay with base as the documents of its
// first resource (nil base: the kustomization is built alone, as a package).
// Plugins are off, nothing outside the overlay's files is read, and the
// result keeps, for every object, the document it came from.
func (o *Overlay) Build(base []Doc, addedPrefix string) ([]Doc, error) {
	if addedPrefix == "" {
		addedPrefix = DefaultAddedPrefix
	}
	rootFile, err := o.Root()
	if err != nil {
		return nil, err
	}
	fsys := filesys.MakeFsInMemory()
	for p, data := range o.Files {
		if p == rootFile {
			continue
		}
		if err := fsys.WriteFile(path.Join(overlayDir, p), data); err != nil {
			return nil, err
		}
	}
	root, userOrigin, err := rewriteRoot(rootFile, o.Files[rootFile], len(base) > 0)
	if err != nil {
		return nil, err
	}
	if err := fsys.WriteFile(path.Join(overlayDir, rootFile), root); err != nil {
		return nil, err
	}
	if len(base) > 0 {
		var k strings.Builder
		k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
		for i, d := range base {
			name := docPrefix + strconv.Itoa(i) + ".yaml"
			fmt.Fprintf(&k, "- %s\n", name)
			if err := fsys.WriteFile(path.Join(baseDir, name), []byte(d.Content)); err != nil {
				return nil, err
			}
		}
		if err := fsys.WriteFile(path.Join(baseDir, "kustomization.yaml"), []byte(k.String())); err != nil {
			return nil, err
		}
	}

	kz := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	buildMu.Lock()
	m, err := kz.Run(fsys, overlayDir)
	buildMu.Unlock()
	if err != nil {
		return nil, o.explain(err, base)
	}
	out := make([]Doc, 0, m.Size())
	for _, r := range m.Resources() {
		d := Doc{Index: -1}
		origin, err := r.GetOrigin()
		if err != nil {
			return nil, err
		}
		if i, ok := baseIndex(origin, len(base)); ok {
			d.Index, d.Source = i, base[i].Source
		} else {
			d.Added = true
			d.Source = addedSource(addedPrefix, origin, rootFile)
		}
		if !userOrigin {
			if err := r.SetOrigin(nil); err != nil {
				return nil, err
			}
		}
		y, err := r.AsYAML()
		if err != nil {
			return nil, err
		}
		d.Content = strings.TrimRight(string(y), "\n")
		out = append(out, d)
	}
	return out, nil
}

// rewriteRoot adds the base (when there is one) as the first resource of
// the root kustomization and turns on origin annotations, which tell each
// object's source; it reports whether the user had asked for them.
func rewriteRoot(file string, data []byte, withBase bool) ([]byte, bool, error) {
	rn, err := kyaml.Parse(string(data))
	if err != nil {
		return nil, false, fmt.Errorf("%s: invalid YAML: %w", file, err)
	}
	if rn.YNode().Kind != kyaml.MappingNode {
		return nil, false, fmt.Errorf("%s: not a kustomization (expected a YAML mapping)", file)
	}
	if withBase {
		res, err := rn.Pipe(kyaml.LookupCreate(kyaml.SequenceNode, "resources"))
		if err != nil {
			return nil, false, fmt.Errorf("%s: resources: %w", file, err)
		}
		if res.YNode().Kind != kyaml.SequenceNode {
			return nil, false, fmt.Errorf("%s: resources must be a list", file)
		}
		res.YNode().Content = append([]*kyaml.Node{kyaml.NewStringRNode("../" + baseName).YNode()}, res.YNode().Content...)
	}
	bm, err := rn.Pipe(kyaml.LookupCreate(kyaml.SequenceNode, "buildMetadata"))
	if err != nil {
		return nil, false, fmt.Errorf("%s: buildMetadata: %w", file, err)
	}
	user := false
	for _, n := range bm.YNode().Content {
		if n.Value == "originAnnotations" {
			user = true
		}
	}
	if !user {
		bm.YNode().Content = append(bm.YNode().Content, kyaml.NewStringRNode("originAnnotations").YNode())
	}
	s, err := rn.String()
	if err != nil {
		return nil, false, err
	}
	return []byte(s), user, nil
}

// baseIndex returns the base document an origin points at.
func baseIndex(o *resource.Origin, n int) (int, bool) {
	if o == nil || o.Path == "" || path.Base(path.Dir(o.Path)) != baseName {
		return 0, false
	}
	name := strings.TrimSuffix(path.Base(o.Path), ".yaml")
	if !strings.HasPrefix(name, docPrefix) {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimPrefix(name, docPrefix))
	if err != nil || i < 0 || i >= n {
		return 0, false
	}
	return i, true
}

func addedSource(prefix string, o *resource.Origin, rootFile string) string {
	file := rootFile
	if o != nil {
		switch {
		case o.Path != "":
			file = o.Path
		case o.ConfiguredIn != "":
			file = o.ConfiguredIn
		}
	}
	file = path.Clean(strings.TrimPrefix(file, overlayDir+"/"))
	for strings.HasPrefix(file, "../") {
		file = strings.TrimPrefix(file, "../")
	}
	return prefix + "/" + file
}

// SortedSources lists the distinct sources of docs.
func SortedSources(docs []Doc) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range docs {
		if !seen[d.Source] {
			seen[d.Source] = true
			out = append(out, d.Source)
		}
	}
	sort.Strings(out)
	return out
}
