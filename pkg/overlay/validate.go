package overlay

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/yaml"
)

// ErrRefused marks overlay content lade will not build (remote bases, exec
// or container plugins, helm chart inflation, paths leaving the directory).
var ErrRefused = errors.New("refused")

// RefusedError says which file asked for what and why lade refuses it.
type RefusedError struct {
	File, What, Reason string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.File, e.What, e.Reason)
}

func (e *RefusedError) Unwrap() error { return ErrRefused }

const (
	reasonRemote     = "remote bases are refused: lade builds an overlay only from the files in its directory, without network or git, so that the release records everything it was built from"
	reasonExec       = "exec, container and Go plugins are refused: lade runs kustomize with plugins off, so an overlay cannot run programs"
	reasonHelm       = "helm chart inflation is refused: it runs the helm binary; the chart is what lade renders"
	reasonFileEscape = "file is outside the kustomization's directory: kustomize reads the files a kustomization names only in or below its own directory (a base directory with its own kustomization may be elsewhere)"
	reasonEscape     = "path leaves the overlay's files (every file an overlay uses must be below its root: see --overlay-root)"
)

// builtinKinds are the kinds a generators/transformers/validators entry may
// configure: kustomize's builtin plugins, which need no program.
var builtinKinds = map[string]bool{
	"AnnotationsTransformer": true, "ConfigMapGenerator": true, "IAMPolicyGenerator": true,
	"HashTransformer": true, "ImageTagTransformer": true, "LabelTransformer": true,
	"NamespaceTransformer": true, "PatchJson6902Transformer": true, "PatchStrategicMergeTransformer": true,
	"PatchTransformer": true, "PrefixSuffixTransformer": true, "PrefixTransformer": true,
	"SuffixTransformer": true, "ReplicaCountTransformer": true, "SecretGenerator": true,
	"ValueAddTransformer": true, "ReplacementTransformer": true, "SortOrderTransformer": true,
}

// Validate checks every kustomization file of the overlay before kustomize
// sees it: each path it names must exist inside the overlay, and remote
// bases, plugins that run programs and helm chart inflation are refused.
func (o *Overlay) Validate() error {
	if _, err := o.Root(); err != nil {
		return err
	}
	for _, p := range o.Paths() {
		base := path.Base(p)
		isKust := false
		for _, n := range kustomizationNames {
			if base == n {
				isKust = true
			}
		}
		if !isKust {
			continue
		}
		if err := o.validateKustomization(p); err != nil {
			return err
		}
	}
	return nil
}

func (o *Overlay) validateKustomization(file string) error {
	var k map[string]any
	if err := yaml.Unmarshal(o.Files[file], &k); err != nil {
		return fmt.Errorf("%s: invalid YAML: %w", file, err)
	}
	dir := path.Dir(file)
	for _, f := range []string{"helmCharts", "helmGlobals", "helmChartInflationGenerator"} {
		if _, ok := k[f]; ok {
			return &RefusedError{File: file, What: f, Reason: reasonHelm}
		}
	}
	check := func(field, ref string) error {
		return o.checkRef(file, dir, field, ref)
	}
	for _, field := range []string{"resources", "bases", "components", "crds", "configurations"} {
		for _, s := range stringList(k[field]) {
			if err := check(field, s); err != nil {
				return err
			}
		}
	}
	for _, s := range stringList(k["patchesStrategicMerge"]) {
		if isInline(s) {
			continue
		}
		if err := check("patchesStrategicMerge", s); err != nil {
			return err
		}
	}
	for _, field := range []string{"patches", "patchesJson6902", "replacements"} {
		for _, m := range mapList(k[field]) {
			if s, ok := m["path"].(string); ok && s != "" {
				if err := check(field, s); err != nil {
					return err
				}
			}
		}
	}
	if m, ok := k["openapi"].(map[string]any); ok {
		if s, ok := m["path"].(string); ok && s != "" {
			if err := check("openapi", s); err != nil {
				return err
			}
		}
	}
	for _, field := range []string{"configMapGenerator", "secretGenerator"} {
		for _, g := range mapList(k[field]) {
			refs := stringList(g["files"])
			refs = append(refs, stringList(g["envs"])...)
			if s, ok := g["env"].(string); ok && s != "" {
				refs = append(refs, s)
			}
			for _, s := range refs {
				if i := strings.Index(s, "="); i >= 0 {
					s = s[i+1:]
				}
				if err := check(field, s); err != nil {
					return err
				}
			}
		}
	}
	for _, field := range []string{"generators", "transformers", "validators"} {
		for _, s := range stringList(k[field]) {
			if isInline(s) {
				if err := checkPluginConfig(file, field, []byte(s)); err != nil {
					return err
				}
				continue
			}
			if err := check(field, s); err != nil {
				return err
			}
			p := path.Clean(path.Join(dir, s))
			if data, ok := o.Files[p]; ok {
				if err := checkPluginConfig(file, field+" "+s, data); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkRef checks one path named by a kustomization file.
func (o *Overlay) checkRef(file, dir, field, ref string) error {
	what := fmt.Sprintf("%s %q", field, ref)
	if isRemote(ref) {
		return &RefusedError{File: file, What: what, Reason: reasonRemote}
	}
	if path.IsAbs(ref) || strings.HasPrefix(ref, `\`) || (len(ref) > 1 && ref[1] == ':') {
		return &RefusedError{File: file, What: what, Reason: "absolute paths are refused; " + reasonEscape}
	}
	// kustomize's load restriction: the files a kustomization names (not
	// its base directories) must be in or below its own directory.
	p := path.Clean(path.Join(dir, ref))
	_, isFile := o.Files[p]
	baseField := field == "resources" || field == "bases" || field == "components"
	if (isFile || !baseField) && !below(dir, p) {
		return &RefusedError{File: file, What: what, Reason: reasonFileEscape}
	}
	if p == ".." || strings.HasPrefix(p, "../") {
		return &RefusedError{File: file, What: what, Reason: reasonEscape}
	}
	if isFile {
		return nil
	}
	prefix := p + "/"
	if p == "." {
		prefix = ""
	}
	for f := range o.Files {
		if strings.HasPrefix(f, prefix) {
			return nil
		}
	}
	return fmt.Errorf("%s: %s: no such file or directory in the overlay", file, what)
}

// below reports whether slash path p is dir or below it (both clean).
func below(dir, p string) bool {
	if dir == "." {
		return p != ".." && !strings.HasPrefix(p, "../")
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

func isRemote(ref string) bool {
	if strings.Contains(ref, "://") || strings.Contains(ref, "?ref=") || strings.Contains(ref, "?version=") {
		return true
	}
	for _, p := range []string{"git@", "git::", "gh:", "github.com/", "gitlab.com/", "bitbucket.org/", "ssh:", "https:", "http:", "file:"} {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	return false
}

func isInline(s string) bool { return strings.Contains(s, "\n") }

// checkPluginConfig refuses generator/transformer/validator configs that are
// not builtin or that ask for a KRM function (exec or container).
func checkPluginConfig(file, what string, data []byte) error {
	s := string(data)
	if strings.Contains(s, "config.kubernetes.io/function") || strings.Contains(s, "config.k8s.io/function") {
		return &RefusedError{File: file, What: what, Reason: reasonExec}
	}
	for _, doc := range strings.Split(s, "\n---") {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			return fmt.Errorf("%s: %s: invalid YAML: %w", file, what, err)
		}
		if head.Kind != "" && !builtinKinds[head.Kind] {
			return &RefusedError{File: file, What: what, Reason: fmt.Sprintf("kind %s is not a builtin kustomize plugin; %s", head.Kind, reasonExec)}
		}
	}
	return nil
}

func stringList(v any) []string {
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func mapList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
