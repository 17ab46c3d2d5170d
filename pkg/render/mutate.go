package render

import (
	"text/template"
	"text/template/parse"
)

// mutatingFuncs change a map in place. (tpl strings are checked when they
// are parsed: see errNeedSerial.)
var mutatingFuncs = map[string]bool{
	"set": true, "unset": true, "merge": true, "mergeOverwrite": true,
	"mustMerge": true, "mustMergeOverwrite": true,
}

// mayMutate reports whether any template of the set calls a function that can
// change shared objects, which forces Helm's one-after-the-other execution.
func mayMutate(set *template.Template) bool {
	for _, t := range set.Templates() {
		if t.Tree != nil && nodeMutates(t.Tree.Root) {
			return true
		}
	}
	return false
}

func nodeMutates(n parse.Node) bool {
	switch x := n.(type) {
	case nil:
		return false
	case *parse.ListNode:
		if x == nil {
			return false
		}
		for _, c := range x.Nodes {
			if nodeMutates(c) {
				return true
			}
		}
	case *parse.ActionNode:
		return pipeMutates(x.Pipe)
	case *parse.IfNode:
		return pipeMutates(x.Pipe) || nodeMutates(x.List) || nodeMutates(x.ElseList)
	case *parse.RangeNode:
		return pipeMutates(x.Pipe) || nodeMutates(x.List) || nodeMutates(x.ElseList)
	case *parse.WithNode:
		return pipeMutates(x.Pipe) || nodeMutates(x.List) || nodeMutates(x.ElseList)
	case *parse.TemplateNode:
		return pipeMutates(x.Pipe)
	case *parse.PipeNode:
		return pipeMutates(x)
	case *parse.ChainNode:
		return nodeMutates(x.Node)
	case *parse.IdentifierNode:
		return mutatingFuncs[x.Ident]
	case *parse.CommandNode:
		for _, a := range x.Args {
			if nodeMutates(a) {
				return true
			}
		}
	}
	return false
}

func pipeMutates(p *parse.PipeNode) bool {
	if p == nil {
		return false
	}
	for _, c := range p.Cmds {
		if nodeMutates(c) {
			return true
		}
	}
	return false
}
