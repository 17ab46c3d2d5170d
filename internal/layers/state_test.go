package layers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readOnlyTables are the package-level maps of pkg/ that are tables: filled
// by their declaration and only read after it. Each must stay so: the test
// also fails when a function in its package writes to it (index
// assignment, delete, clear, or assigning the variable). Anything that
// holds state (caches, loads or compiles started ahead, clients) belongs in
// a value its caller owns, never in a package-level variable of a library
// (issue 18: a controller runs many operations in one process).
var readOnlyTables = map[string]string{
	"pkg/kubeapis.index":           "the removed-API table (table.go) by group/version/kind, built at init",
	"pkg/kube.builtinGroups":       "the API groups kube-apiserver serves itself",
	"pkg/kube.workloadKinds":       "the kinds whose pods a failed wait diagnoses",
	"pkg/overlay.builtinKinds":     "the kinds kustomize knows without a CRD",
	"pkg/overlay.perObjectFields":  "the kustomization fields a sharded build accepts",
	"pkg/overlay.mappingReferrers": "kustomize's name-reference kinds",
	"pkg/overlay.mappingReferrals": "kustomize's name-reference kinds",
	"pkg/render.hookEvents":        "Helm's hook annotation values",
	"pkg/render.builtinNames":      "the template functions Helm defines",
	"pkg/fleet/load.celRules":      "the Release CRD's CEL rules and the Go check standing in for each",
}

// TestNoPackageLevelState fails on a package-level variable of pkg/ that is
// a map (or a sync.Map, or named like a cache) and not a read-only table
// listed above (issue 18, Done means 3: no package-level mutable maps
// outside cmd/lade and internal/).
func TestNoPackageLevelState(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	forEachPackage(t, filepath.Join(root, "pkg"), func(dir string, files []*ast.File) {
		rel, _ := filepath.Rel(root, dir)
		pkg := filepath.ToSlash(rel)
		mapTypes := localMapTypes(files)
		for _, f := range files {
			for _, v := range packageVars(f) {
				name := pkg + "." + v.name.Name
				stateful := isStateType(v.typ, mapTypes) || strings.Contains(strings.ToLower(v.name.Name), "cache")
				if !stateful {
					continue
				}
				if _, ok := readOnlyTables[name]; !ok {
					t.Errorf("%s: package-level %s holds state: keep it in a value the caller owns (or, for a table only read, list it in readOnlyTables)", position(root, v.name.Pos()), name)
					continue
				}
				seen[name] = true
				for _, w := range writesTo(files, v.name.Name) {
					t.Errorf("%s: writes to %s, listed as a read-only table", position(root, w), name)
				}
			}
		}
	})
	for name := range readOnlyTables {
		if !seen[name] {
			t.Errorf("readOnlyTables names %s, which is no package-level map: update the list", name)
		}
	}
}

// TestCommandFunctionsAreShort fails on a function of cmd/lade over 80
// lines (issue 18, Done means 3): commands are flag wiring and printing,
// anything longer belongs in the library.
func TestCommandFunctionsAreShort(t *testing.T) {
	const maxLines = 80
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	forEachPackage(t, filepath.Join(root, "cmd", "lade"), func(dir string, files []*ast.File) {
		for _, f := range files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				start, end := fset.Position(fd.Pos()), fset.Position(fd.End())
				if n := end.Line - start.Line + 1; n > maxLines {
					t.Errorf("%s: %s is %d lines, over %d: move what is not flag wiring or printing into the library", position(root, fd.Pos()), fd.Name.Name, n, maxLines)
				}
			}
		}
	})
}

var fset = token.NewFileSet()

// forEachPackage parses the non-test Go files of each directory under top
// (testdata left out) and calls f with them.
func forEachPackage(t *testing.T, top string, f func(dir string, files []*ast.File)) {
	t.Helper()
	err := filepath.WalkDir(top, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		var files []*ast.File
		for _, e := range entries {
			n := e.Name()
			if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files = append(files, file)
		}
		if len(files) > 0 {
			f(dir, files)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func position(root string, p token.Pos) string {
	pos := fset.Position(p)
	rel, err := filepath.Rel(root, pos.Filename)
	if err != nil {
		rel = pos.Filename
	}
	return filepath.ToSlash(rel) + ":" + strconv.Itoa(pos.Line)
}

type packageVar struct {
	name *ast.Ident
	typ  ast.Expr // declared or inferred from the value; nil when unknown
}

// packageVars lists the package-level variables of f with their type, as
// far as the syntax tells it: the declared type, a composite literal's,
// make's, or the result of a function literal called in place.
func packageVars(f *ast.File) []packageVar {
	var out []packageVar
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if n.Name == "_" {
					continue
				}
				typ := vs.Type
				if typ == nil && i < len(vs.Values) {
					typ = valueType(vs.Values[i])
				}
				out = append(out, packageVar{n, typ})
			}
		}
	}
	return out
}

func valueType(e ast.Expr) ast.Expr {
	switch v := e.(type) {
	case *ast.CompositeLit:
		return v.Type
	case *ast.UnaryExpr:
		return nil // &T{...}: a pointer
	case *ast.CallExpr:
		if id, ok := v.Fun.(*ast.Ident); ok && id.Name == "make" && len(v.Args) > 0 {
			return v.Args[0]
		}
		if fl, ok := v.Fun.(*ast.FuncLit); ok && fl.Type.Results != nil && len(fl.Type.Results.List) == 1 {
			return fl.Type.Results.List[0].Type
		}
	}
	return nil
}

// localMapTypes are the names of the map types the package declares.
func localMapTypes(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				if _, ok := ts.Type.(*ast.MapType); ok {
					out[ts.Name.Name] = true
				}
			}
		}
	}
	return out
}

// isStateType reports whether typ is a map, a map type of the package or
// a sync.Map.
func isStateType(typ ast.Expr, mapTypes map[string]bool) bool {
	switch t := typ.(type) {
	case *ast.MapType:
		return true
	case *ast.Ident:
		return mapTypes[t.Name]
	case *ast.SelectorExpr:
		x, ok := t.X.(*ast.Ident)
		return ok && x.Name == "sync" && t.Sel.Name == "Map"
	}
	return false
}

// writesTo finds the statements in the package's functions that change
// the package-level map name: name[k] = v (or op=, ++), delete(name, k),
// clear(name), name = v. A local variable of the same name is mistaken
// for it, which errs on the side of failing.
func writesTo(files []*ast.File, name string) []token.Pos {
	isName := func(e ast.Expr) bool {
		id, ok := e.(*ast.Ident)
		return ok && id.Name == name
	}
	var out []token.Pos
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch s := n.(type) {
				case *ast.AssignStmt:
					if s.Tok == token.DEFINE {
						return true
					}
					for _, l := range s.Lhs {
						if ix, ok := l.(*ast.IndexExpr); ok && isName(ix.X) || isName(l) {
							out = append(out, s.Pos())
						}
					}
				case *ast.IncDecStmt:
					if ix, ok := s.X.(*ast.IndexExpr); ok && isName(ix.X) {
						out = append(out, s.Pos())
					}
				case *ast.CallExpr:
					if id, ok := s.Fun.(*ast.Ident); ok && (id.Name == "delete" || id.Name == "clear") && len(s.Args) > 0 && isName(s.Args[0]) {
						out = append(out, s.Pos())
					}
				}
				return true
			})
		}
	}
	return out
}
