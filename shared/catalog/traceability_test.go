package catalog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The traceability table of docs/programs.md (seed section → rule → test)
// cannot drift: every row names at least one test, and every test it names
// ("pkg/path: TestName", or a bare TestName of the package named before it
// in the cell; a subtest after "/") is a test function of that package.
func TestEveryTestTheTraceabilityTableNamesExists(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "programs.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "## Traceability: seed section → rule → test")
	if !ok {
		t.Fatal("docs/programs.md has no traceability table")
	}
	table, _, _ = strings.Cut(table, "\n## ")
	tests := map[string]map[string]bool{} // package dir → its test functions
	testsOf := func(pkg string) map[string]bool {
		if got, ok := tests[pkg]; ok {
			return got
		}
		found := map[string]bool{}
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*_test.go"))
		fset := token.NewFileSet()
		for _, f := range files {
			parsed, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, d := range parsed.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") {
					found[fn.Name.Name] = true
				}
			}
		}
		tests[pkg] = found
		return found
	}
	named := regexp.MustCompile("`(?:([a-z][a-z0-9/_.-]*): )?(Test[A-Za-z0-9_]+)[^`]*`")
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "seed section" {
			continue
		}
		rows++
		section, cell := strings.TrimSpace(cells[1]), cells[4]
		matches := named.FindAllStringSubmatch(cell, -1)
		if len(matches) == 0 || strings.Contains(strings.ToLower(cell), "not modelled") {
			t.Errorf("%s (%s): no test named", section, strings.TrimSpace(cells[2]))
		}
		pkg := ""
		for _, m := range matches {
			if m[1] != "" {
				pkg = m[1]
			}
			if pkg == "" {
				t.Errorf("%s: %s names no package", section, m[2])
				continue
			}
			if !testsOf(pkg)[m[2]] {
				t.Errorf("%s: %s: %s is not a test of that package", section, pkg, m[2])
			}
		}
	}
	if rows < 30 {
		t.Fatalf("read %d rows: is the table still where this test looks?", rows)
	}
}
