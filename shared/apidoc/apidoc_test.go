package apidoc

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"sportello/shared/apigw"
)

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return doc
}

// problemCodes reads the stable codes from shared/problem's source: every
// constant named Code….
func problemCodes(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	names, err := filepath.Glob("../problem/*.go")
	if err != nil || len(names) == 0 {
		t.Fatalf("problem sources: %v", err)
	}
	codes := map[string]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		{
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if !strings.HasPrefix(n.Name, "Code") || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							t.Fatalf("problem.%s is not a string literal", n.Name)
						}
						v, _ := strconv.Unquote(lit.Value)
						codes[n.Name] = v
					}
				}
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d problem codes: has shared/problem moved?", len(codes))
	}
	return codes
}

func enum(s *openapi3.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		out = append(out, v.(string))
	}
	return out
}

// Every problem code of shared/problem is in the document, listed under
// the status the renderer gives it (schema Problem<status>), and the
// document lists no code the code base cannot answer.
func TestEveryProblemCodeIsDocumentedWithItsStatus(t *testing.T) {
	doc := load(t)
	codes := problemCodes(t)
	all := enum(doc.Components.Schemas["Problem"].Value.Properties["code"].Value)
	for name, code := range codes {
		status := apigw.StatusOf(code)
		if !slices.Contains(all, code) {
			t.Errorf("problem.%s (%q): not in the Problem schema's code enum", name, code)
		}
		ref, ok := doc.Components.Schemas["Problem"+strconv.Itoa(status)]
		if !ok {
			t.Errorf("problem.%s (%q) answers %d: no schema Problem%d", name, code, status, status)
			continue
		}
		var listed []string
		for _, part := range ref.Value.AllOf {
			if c, ok := part.Value.Properties["code"]; ok && part.Ref == "" {
				listed = enum(c.Value)
			}
		}
		if !slices.Contains(listed, code) {
			t.Errorf("problem.%s (%q) answers %d: not listed in Problem%d (%v)", name, code, status, status, listed)
		}
	}
	values := map[string]bool{}
	for _, c := range codes {
		values[c] = true
	}
	for _, c := range all {
		if !values[c] {
			t.Errorf("the document lists %q, which shared/problem does not define", c)
		}
	}
	// A code listed under a status other than its own would let a wrong
	// status pass the validating client.
	for name, ref := range doc.Components.Schemas {
		status, err := strconv.Atoi(strings.TrimPrefix(name, "Problem"))
		if err != nil {
			continue
		}
		for _, part := range ref.Value.AllOf {
			if c, ok := part.Value.Properties["code"]; ok && part.Ref == "" {
				for _, code := range enum(c.Value) {
					if apigw.StatusOf(code) != status {
						t.Errorf("%s lists %q, which answers %d", name, code, apigw.StatusOf(code))
					}
				}
			}
		}
	}
}

// Every problem the code base builds names its code with a constant of
// shared/problem, so the list above is the whole list: a string literal
// as a problem code fails here.
func TestProblemsAreBuiltFromTheCodeConstants(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	var bad []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n != "." && n != ".." && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "cdk.out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		literal := func(e ast.Expr) {
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				bad = append(bad, fset.Position(lit.Pos()).String()+": "+lit.Value)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && len(x.Args) > 0 {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "problem" && sel.Sel.Name == "New" {
						literal(x.Args[0])
					}
					if sel.Sel.Name == "Err" && len(x.Args) == 2 {
						literal(x.Args[0])
					}
				}
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Error" {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "problem" {
						for _, el := range x.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
									literal(kv.Value)
								}
							}
						}
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("problem code as a string literal (use a problem.Code… constant): %s", b)
	}
}

// problemMembers finds the extension members the code base adds to a
// problem document: the key of every .With("key", v) on a problem built
// in the same expression (problem.New(…).With, (&problem.Error{…}).With)
// or held in a variable assigned from one.
func problemMembers(fset *token.FileSet, f *ast.File) map[string]string {
	vars := map[string]bool{}
	var fromProblem func(e ast.Expr) bool
	fromProblem = func(e ast.Expr) bool {
		switch x := e.(type) {
		case *ast.ParenExpr:
			return fromProblem(x.X)
		case *ast.UnaryExpr:
			return fromProblem(x.X)
		case *ast.CompositeLit:
			sel, ok := x.Type.(*ast.SelectorExpr)
			pkg, isPkg := selectorPackage(sel, ok)
			return isPkg && pkg == "problem" && sel.Sel.Name == "Error"
		case *ast.CallExpr:
			sel, ok := x.Fun.(*ast.SelectorExpr)
			if !ok {
				return false
			}
			if pkg, isPkg := selectorPackage(sel, true); isPkg && pkg == "problem" {
				return true
			}
			return sel.Sel.Name == "With" && fromProblem(sel.X)
		case *ast.Ident:
			return vars[x.Name]
		}
		return false
	}
	members := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			for i, lhs := range x.Lhs {
				if id, ok := lhs.(*ast.Ident); ok && i < len(x.Rhs) && len(x.Lhs) == len(x.Rhs) && fromProblem(x.Rhs[i]) {
					vars[id.Name] = true
				}
			}
		case *ast.CallExpr:
			sel, ok := x.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "With" || len(x.Args) != 2 || !fromProblem(sel.X) {
				return true
			}
			if lit, ok := x.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				key, _ := strconv.Unquote(lit.Value)
				members[key] = fset.Position(lit.Pos()).String()
			}
		}
		return true
	})
	return members
}

func selectorPackage(sel *ast.SelectorExpr, ok bool) (string, bool) {
	if !ok {
		return "", false
	}
	id, isIdent := sel.X.(*ast.Ident)
	if !isIdent {
		return "", false
	}
	return id.Name, true
}

// Every member a problem document can carry besides type, title, status,
// code, detail, instance and errors (the other application of a
// member_conflict, the undecided applications of a riparto refused, …) is
// a property of the document's Problem schema, so a client generated from
// the document reads it by name.
func TestEveryProblemMemberIsDocumented(t *testing.T) {
	t.Run("the scan finds the members", func(t *testing.T) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "sample.go", `package p
func f() error {
	e := problem.New(problem.CodeNotAcceptable, "x")
	_ = (&problem.Error{Code: "c"}).With("a", 1).With("b", 2)
	log.With("notAMember", 1)
	return e.With("c", 3)
}`, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Sorted(maps.Keys(problemMembers(fset, f)))
		if strings.Join(got, ",") != "a,b,c" {
			t.Fatalf("found %v, want [a b c]", got)
		}
	})
	props := load(t).Components.Schemas["Problem"].Value.Properties
	fset := token.NewFileSet()
	found := map[string]string{}
	for _, dir := range []string{"../../shared", "../../functions", "../../infra"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "cdk.out") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			maps.Copy(found, problemMembers(fset, f))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(found) < 5 {
		t.Fatalf("found only %d problem members (%v): has the way they are added changed?", len(found), found)
	}
	for key, at := range found {
		if _, ok := props[key]; !ok {
			t.Errorf("%s: problem member %q is not a property of the Problem schema in openapi.yaml", at, key)
		}
	}
}
