package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// jsonShapes are the Go types encoding/json decodes into an interface
// value: asserting one of them is reading an answer by hand.
var jsonShapes = map[string]bool{
	"string": true, "float64": true, "bool": true, "json.Number": true,
	"[]any": true, "map[string]any": true,
}

// jsonAssertions lists the type assertions of f to a JSON shape that can
// panic or silently yield a zero value, as "file:line: x.(T)": the
// single-value form, and the two-value form whose ok is dropped. A type
// test whose ok is used (_, isObject := v.(map[string]any)), a type switch
// and an assertion to another type (an interface to its implementation)
// are not listed.
func jsonAssertions(fset *token.FileSet, f *ast.File) []string {
	tested := map[*ast.TypeAssertExpr]bool{}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if len(x.Lhs) == 2 && len(x.Rhs) == 1 {
				if ta, ok := x.Rhs[0].(*ast.TypeAssertExpr); ok {
					if id, isIdent := x.Lhs[1].(*ast.Ident); !isIdent || id.Name != "_" {
						tested[ta] = true
					}
				}
			}
		case *ast.ValueSpec:
			if len(x.Names) == 2 && len(x.Values) == 1 && x.Names[1].Name != "_" {
				if ta, ok := x.Values[0].(*ast.TypeAssertExpr); ok {
					tested[ta] = true
				}
			}
		case *ast.TypeAssertExpr:
			if x.Type == nil || tested[x] { // x.(type) of a type switch; a type test
				return true
			}
			shape := strings.ReplaceAll(types.ExprString(x.Type), "interface{}", "any")
			if jsonShapes[shape] {
				out = append(out, fset.Position(x.Pos()).String()+": "+types.ExprString(x))
			}
		}
		return true
	})
	return out
}

// Issue #13: the end-to-end tests and the benches read the API's answers
// through the types generated from the OpenAPI document (infra/apiclient),
// never by type-asserting a decoded map[string]any: an assertion panics
// on a contract change instead of failing with the body, and reads a field
// the document may not have. A case the typed client cannot express goes
// through the harness (decode[T], problemOf, cell, editForm/formOf for form
// data: client_test.go).
func TestEndToEndTestsReadJSONThroughTypes(t *testing.T) {
	t.Run("the scan finds an assertion on decoded JSON", func(t *testing.T) {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "sample.go", `package p
func f(m map[string]any, err error, v any) {
	_ = m["id"].(string)
	_, _ = m["n"].(float64)
	_ = m["xs"].([]interface{})
	_ = m["o"].(map[string]interface{})
	s, _ := m["s"].(string)
	_, isObject := v.(map[string]any)
	if n, ok := m["n"].(float64); ok {}
	var b, ok = m["b"].(bool)
	_ = err.(interface{ Timeout() bool })
	_ = v.(*int)
	switch v.(type) {}
}`, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := jsonAssertions(fset, f)
		want := []string{`sample.go:3:6: m["id"].(string)`, `sample.go:4:9: m["n"].(float64)`, `sample.go:5:6: m["xs"].([]interface{})`,
			`sample.go:6:6: m["o"].(map[string]interface{})`, `sample.go:7:10: m["s"].(string)`}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	var files []string
	for _, root := range []string{".", "../../bench"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".go") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 20 {
		t.Fatalf("scanned only %d files: %v", len(files), files)
	}
	fset := token.NewFileSet()
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range jsonAssertions(fset, f) {
			t.Errorf("%s type-asserts decoded JSON: read the answer through the generated types instead "+
				"(decode[apiclient.T], the typed client, problemOf, cell, editForm/formOf for form data; client_test.go) — "+
				"such an assertion panics (or reads a zero value) on a contract change instead of failing the test with the body (issue #13)", a)
		}
	}
}
