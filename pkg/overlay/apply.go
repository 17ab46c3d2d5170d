package overlay

import (
	"strings"

	"github.com/lade-dev/lade/pkg/render"
)

// Options tune Apply.
type Options struct {
	// SkipHooks keeps hooks out of the overlay (--overlay-hooks=false).
	SkipHooks bool
	// AddedPrefix prefixes the `# Source:` of objects the overlay adds
	// (default "overlay": "# Source: overlay/FILE").
	AddedPrefix string
}

// Apply runs the overlay on a rendered chart: its manifests (and hooks,
// unless SkipHooks) are the kustomize base, and the result replaces them.
// Objects keep the template path they were rendered from; objects the
// overlay adds are sourced "overlay/FILE". The result is sorted as Helm
// sorts a render (by template path, then install order of kinds), and
// objects annotated helm.sh/hook after the overlay are hooks. res is not
// modified. CRDs from crds/ do not go through the overlay.
func Apply(res *render.Result, ov *Overlay, opts Options) (*render.Result, error) {
	var base []Doc
	for _, m := range res.Manifests {
		base = append(base, Doc{Source: m.Path, Content: m.Content, Head: m.Head})
	}
	if !opts.SkipHooks {
		for _, h := range res.Hooks {
			base = append(base, Doc{Source: h.Path, Content: h.Manifest})
		}
	}
	docs, err := ov.Build(base, opts.AddedPrefix)
	if err != nil {
		return nil, err
	}
	hooks, manifests, err := sortDocs(docs)
	if err != nil {
		return nil, err
	}
	if opts.SkipHooks {
		// The rendered hooks as they were, then hooks the overlay added.
		hooks = append(append([]*render.Hook(nil), res.Hooks...), hooks...)
	}
	out := *res
	out.Manifests, out.Hooks = manifests, hooks
	return &out, nil
}

// Files groups docs by source into the map render.SortManifests takes:
// documents of one source joined in their order.
func Files(docs []Doc) map[string]string {
	var order []string
	bySource := map[string][]string{}
	for _, d := range docs {
		if _, ok := bySource[d.Source]; !ok {
			order = append(order, d.Source)
		}
		bySource[d.Source] = append(bySource[d.Source], d.Content)
	}
	files := make(map[string]string, len(order))
	for _, s := range order {
		files[s] = strings.Join(bySource[s], "---\n")
	}
	return files
}

// Package builds a kustomization-only package (a directory with
// kustomization.yaml and no Chart.yaml) into manifests and hooks sorted as a
// chart render is; every object is sourced "NAME/FILE".
func Package(ov *Overlay, name string) (hooks []*render.Hook, manifests []render.Manifest, err error) {
	docs, err := ov.Build(nil, name)
	if err != nil {
		return nil, nil, err
	}
	return sortDocs(docs)
}

// sortDocs sorts as a chart render is sorted, each document ending in a
// newline as rendered documents do (a block scalar that ends a document
// needs it). Further trailing newlines are kept: with the newline printed
// after each document, they are the value of a keep-chomped block scalar
// ("|+") that ends the document (see finish).
func sortDocs(docs []Doc) ([]*render.Hook, []render.Manifest, error) {
	hooks, manifests, err := render.SortManifests(Files(docs), render.InstallOrder)
	if err != nil {
		return nil, nil, err
	}
	for i := range manifests {
		manifests[i].Content = endLine(manifests[i].Content)
	}
	for _, h := range hooks {
		h.Manifest = endLine(h.Manifest)
	}
	return hooks, manifests, nil
}

// endLine ends s with a newline.
func endLine(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
