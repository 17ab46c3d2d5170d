package lint

import (
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// position is where a field's key (or a list item) is in a rendered
// document, and its scalar value's text.
type position struct {
	line  int    // 1-based, within the document
	raw   string // the scalar's text as written
	plain bool   // the scalar was not quoted and had no tag
}

// positions maps the field paths of one rendered document
// ("spec.template.spec.containers[0].name") to where they are. Paths are
// built as the type checker builds them, map keys joined with dots.
type positions map[string]position

// indexPositions parses a rendered document; it returns nil when the
// document does not parse (the caller then reports without lines).
func indexPositions(src []byte) positions {
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil || len(root.Content) == 0 {
		return nil
	}
	p := positions{}
	p.walk(root.Content[0], "", 0)
	return p
}

func (p positions) walk(n *yaml.Node, path string, depth int) {
	if depth > 100 {
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				p.walk(v, path, depth+1)
				continue
			}
			fp := joinField(path, k.Value)
			if _, seen := p[fp]; !seen {
				p.add(fp, k.Line, v)
			}
			p.walk(v, fp, depth+1)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			ip := path + "[" + strconv.Itoa(i) + "]"
			p.add(ip, item.Line, item)
			p.walk(item, ip, depth+1)
		}
	}
}

func (p positions) add(path string, line int, v *yaml.Node) {
	pos := position{line: line}
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind == yaml.ScalarNode {
		pos.raw, pos.plain = v.Value, v.Style == 0
	}
	p[path] = pos
}

// parentField drops the last step of a field path: "a.b[1]" -> "a.b" -> "a".
func parentField(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}
