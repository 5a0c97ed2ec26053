package apidoc

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
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
