package overlay

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/render"
)

// Doc is one YAML document and the file it came from: the overlay's
// working copy of a document while kustomize runs (Apply takes and gives
// the render's shape, object.Doc; see package object).
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
	// Head, when set on a base document, is its head as the render parsed
	// it (render.Manifest.Head); a sharded build reads the document's
	// identity from it instead of parsing the document again.
	Head *render.Head
}

// In-memory layout kustomize builds: the chart's documents as a base next
// to the overlay, whose kustomization gains the base as its first resource.
const (
	memRoot    = "/lade"
	baseName   = "lade-rendered-chart"
	overlayDir = memRoot + "/overlay"
	baseDir    = memRoot + "/" + baseName
	docPrefix  = "doc-"
	// docKey tags each base document with its index while kustomize runs:
	// a top-level field, removed from the output. It is not an annotation:
	// patches replacing or deleting metadata.annotations (JSON 6902
	// replace or remove, strategic merge $patch: replace, $patch: delete or
	// null) would take an annotation with them, and annotation selectors,
	// replacements and JSON operations on the annotations would see it. No
	// kustomize transformer reads or writes a top-level field it does not
	// know; only a strategic-merge $patch: replace of the whole object
	// drops it (the object then counts as the overlay's, unless kustomize's
	// origin annotation points at the base document).
	docKey = "lade.dev/overlay-doc"
	// DefaultAddedPrefix prefixes the `# Source:` of objects an overlay adds.
	DefaultAddedPrefix = "overlay"
)

// kustomize keeps the OpenAPI schema it patches with in a package global
// (openapi.SetSchema), so builds are serialised.
var buildMu sync.Mutex

// Build runs kustomize on the overlay with base as the documents of its
// first resource (nil base: the kustomization is built alone, as a package).
// Plugins are off, nothing outside the overlay's files is read, and the
// result keeps, for every object, the document it came from. A base of
// minSharded documents or more, under an overlay that changes each object
// on its own, is built in concurrent shards with the same result (see
// shard.go).
func (o *Overlay) Build(base []Doc, addedPrefix string) ([]Doc, error) {
	if len(base) >= minSharded {
		return o.build(base, addedPrefix, shardSize)
	}
	return o.build(base, addedPrefix, 0)
}

// build is Build, sharded in runs of size documents (see shard.go) when
// size > 0 and the overlay allows it.
func (o *Overlay) build(base []Doc, addedPrefix string, size int) ([]Doc, error) {
	if addedPrefix == "" {
		addedPrefix = DefaultAddedPrefix
	}
	rootFile, err := o.Root()
	if err != nil {
		return nil, err
	}
	if size > 0 && len(base) > 0 {
		if docs, ok := o.buildSharded(base, size); ok {
			return docs, nil
		}
	}
	// Origin annotations tell which overlay file an added object came from;
	// kustomize's origin tracking is costly (every transformer annotates
	// every object), so it is only on when the overlay can add objects.
	root, userOrigin, err := rewriteRoot(rootFile, o.Files[rootFile], len(base) > 0, o.mayAdd(), o.baseRef())
	if err != nil {
		return nil, err
	}
	fsys, err := o.memFS(rootFile, root)
	if err != nil {
		return nil, err
	}
	appended := false
	if len(base) > 0 {
		var k strings.Builder
		k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
		for i, d := range base {
			name := docPrefix + strconv.Itoa(i) + ".yaml"
			fmt.Fprintf(&k, "- %s\n", name)
			tagged, ok := tagFast(d.Content, i)
			if !ok {
				tagged, _ = setTag(d.Content, i)
			}
			appended = appended || ok
			if err := fsys.WriteFile(path.Join(baseDir, name), tagged); err != nil {
				return nil, err
			}
		}
		if err := fsys.WriteFile(path.Join(baseDir, "kustomization.yaml"), []byte(k.String())); err != nil {
			return nil, err
		}
	}

	kz := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	buildMu.Lock()
	m, err := kz.Run(fsys, o.buildDir())
	if err != nil && appended && mentionsBase(err.Error()) {
		// A document appendTag took as a plain block mapping may not be
		// valid YAML: kustomize reports the error on the document as kyaml
		// tags it (or leaves it, when it does not parse), as it always has.
		// (Only errors about the base: kustomize prints its warnings on
		// each run, and an error in the overlay's own files is the same.)
		for i, d := range base {
			tagged, _ := setTag(d.Content, i)
			if err := fsys.WriteFile(path.Join(baseDir, docPrefix+strconv.Itoa(i)+".yaml"), tagged); err != nil {
				buildMu.Unlock()
				return nil, err
			}
		}
		m, err = kz.Run(fsys, o.buildDir())
	}
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
		i, tagged := docIndex(&r.RNode, len(base))
		if !tagged {
			i, tagged = baseIndex(origin, len(base))
		}
		if tagged {
			d.Index, d.Source = i, base[i].Source
		} else {
			d.Added = true
			d.Source = addedSource(addedPrefix, origin, rootFile, o.entry())
		}
		if d.Content, err = finish(r, userOrigin); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// rewriteRoot adds the base (when there is one) as the first resource of
// the root kustomization and turns on origin annotations, which tell each
// object's source; it reports whether the user had asked for them.
func rewriteRoot(file string, data []byte, withBase, origins bool, baseRef string) ([]byte, bool, error) {
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
		res.YNode().Content = append([]*kyaml.Node{kyaml.NewStringRNode(baseRef).YNode()}, res.YNode().Content...)
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
	if !user && origins {
		bm.YNode().Content = append(bm.YNode().Content, kyaml.NewStringRNode("originAnnotations").YNode())
	}
	if len(bm.YNode().Content) == 0 {
		if err := rn.PipeE(kyaml.Clear("buildMetadata")); err != nil {
			return nil, false, err
		}
	}
	s, err := printNode(rn)
	if err != nil {
		return nil, false, err
	}
	return []byte(s), user, nil
}

// tagFast is appendTag; tests replace it to compare with setTag alone.
var tagFast = appendTag

// appendTag tags a base document with its index (docKey) by appending the
// field as one more line, which is what setTag does when the document's top
// level is a block mapping at column 0; ok is false when the text does not
// plainly have that shape, and setTag must do it. Kustomize then parses the
// document as the chart rendered it, as kubectl kustomize would, instead of
// kyaml's reprint of it.
//
// Both tag the document as it reads in the rendered output (and in the
// release manifest): followed by the newline render.Result.ManifestText
// prints after each document. It only matters to a keep-chomped block
// scalar ("|+") that ends the document, whose value holds that newline.
func appendTag(content string, i int) (tagged []byte, ok bool) {
	if !plainBlockMapping(content) {
		return nil, false
	}
	b := make([]byte, 0, len(content)+len(docKey)+17)
	b = append(b, content...)
	b = append(b, '\n')
	b = append(b, docKey...)
	b = append(b, `: "`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, "\"\n"...)
	return b, true
}

// plainBlockMapping reports whether a line appended at column 0 is one more
// field of the document's top-level mapping and changes nothing else: the
// first line that is not blank or a comment is a simple key at column 0
// ("key:" or "key: ..."), the document ends in a newline (a block scalar at
// the end keeps its value) and its last line that is not blank is not a
// comment (which would become the new field's), there is no document marker
// or directive, no carriage return, and docKey appears nowhere.
func plainBlockMapping(s string) bool {
	if s == "" || s[len(s)-1] != '\n' || strings.IndexByte(s, '\r') >= 0 || strings.Contains(s, docKey) {
		return false
	}
	keyed := false
	last := ""
	for line := range strings.Lines(s) {
		if strings.HasPrefix(line, "---") || strings.HasPrefix(line, "...") || strings.HasPrefix(line, "%") {
			return false
		}
		t := strings.TrimLeft(line, " \t")
		if t == "\n" {
			continue
		}
		if !keyed {
			if t[0] == '#' {
				continue
			}
			if !simpleKeyLine(line) {
				return false
			}
			keyed = true
		}
		last = t
	}
	return keyed && last[0] != '#'
}

// simpleKeyLine reports whether line starts, at column 0, with a plain key
// of letters, digits and "_.-/" followed by ':' and a space or the end of
// the line.
func simpleKeyLine(line string) bool {
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case i > 0 && (c == '.' || c == '-' || c == '/'):
		case i > 0 && c == ':':
			return i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\n'
		default:
			return false
		}
	}
	return false
}

// setTag tags a base document with its index (docKey) through kyaml. A
// document that does not parse, or whose top level is not a mapping, is
// left as it is for kustomize to report (ok is false).
func setTag(content string, i int) (tagged []byte, ok bool) {
	rn, err := kyaml.Parse(content + "\n")
	if err != nil || rn.YNode().Kind != kyaml.MappingNode {
		return []byte(content), false
	}
	if err := rn.PipeE(kyaml.SetField(docKey, kyaml.NewStringRNode(strconv.Itoa(i)))); err != nil {
		return []byte(content), false
	}
	s, err := printNode(rn)
	if err != nil {
		return []byte(content), false
	}
	return []byte(s), true
}

// docIndex reads the docKey tag of an object.
func docIndex(rn *kyaml.RNode, n int) (int, bool) {
	f := rn.Field(docKey)
	if f == nil || f.Value == nil || f.Value.YNode().Kind != kyaml.ScalarNode {
		return 0, false
	}
	i, err := strconv.Atoi(f.Value.YNode().Value)
	if err != nil || i < 0 || i >= n {
		return 0, false
	}
	return i, true
}

// finish prints an output resource: without kustomize's origin annotation
// unless the user asked for it (keepOrigin), without lade's docKey tag.
// RNode.String keeps the field order of the chart's template (and is much
// cheaper than Resource.AsYAML, which goes through JSON); printNode makes
// it keep every value too (see scalars.go).
func finish(r *resource.Resource, keepOrigin bool) (string, error) {
	if !keepOrigin {
		if err := r.SetOrigin(nil); err != nil {
			return "", err
		}
	}
	if err := r.RNode.PipeE(kyaml.Clear(docKey)); err != nil {
		return "", err
	}
	y, err := printNode(&r.RNode)
	if err != nil {
		return "", err
	}
	// The document is printed with a newline after it (see appendTag):
	// a keep-chomped scalar that ends it, whose value ends in two breaks
	// or more (kyaml prints one break with clip chomping), has one of its
	// breaks from that newline; the others are kept.
	if strings.HasSuffix(y, "\n\n") {
		y = y[:len(y)-1]
	}
	return endLine(y), nil
}

// mayAdd reports whether a kustomization of the overlay can add objects
// (resources, bases, generators).
func (o *Overlay) mayAdd() bool {
	for p, data := range o.Files {
		if !slices.Contains(kustomizationNames, path.Base(p)) {
			continue
		}
		var k map[string]any
		if err := yaml.Unmarshal(data, &k); err != nil {
			return true
		}
		for _, f := range []string{"resources", "bases", "configMapGenerator", "secretGenerator", "generators"} {
			if l, ok := k[f].([]any); ok && len(l) > 0 {
				return true
			}
		}
	}
	return false
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

// addedSource names the overlay file an added object came from, relative to
// the overlay's recorded files: kustomize's origin paths are relative to the
// kustomization built (entry), the fallback rootFile to the files already.
func addedSource(prefix string, o *resource.Origin, rootFile, entry string) string {
	file := rootFile
	if o != nil {
		switch {
		case o.Path != "":
			file = path.Join(entry, o.Path)
		case o.ConfiguredIn != "":
			file = path.Join(entry, o.ConfiguredIn)
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

// buildDir is where kustomize builds: the entry kustomization's directory
// in the in-memory file system.
func (o *Overlay) buildDir() string {
	return path.Join(overlayDir, o.entry())
}

// baseRef is the path of the rendered chart's base as the entry
// kustomization names it.
func (o *Overlay) baseRef() string {
	up := "../"
	if e := o.entry(); e != "." {
		up += strings.Repeat("../", strings.Count(e, "/")+1)
	}
	return up + baseName
}

// memFS is an in-memory file system holding the overlay's files under
// overlayDir, its kustomization rootFile replaced by root.
func (o *Overlay) memFS(rootFile string, root []byte) (filesys.FileSystem, error) {
	fsys := filesys.MakeFsInMemory()
	for p, data := range o.Files {
		if p == rootFile {
			continue
		}
		if err := fsys.WriteFile(path.Join(overlayDir, p), data); err != nil {
			return nil, err
		}
	}
	if err := fsys.WriteFile(path.Join(overlayDir, rootFile), root); err != nil {
		return nil, err
	}
	return fsys, nil
}
