// Package docs holds no code: its test keeps the documents honest about
// the repository they describe.
package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// roots are the top-level folders a document names paths under.
var roots = []string{"functions/", "shared/", "infra/", "events/", "docs/", ".ci/", ".github/"}

var (
	code  = regexp.MustCompile("`([^`\n]+)`")
	link  = regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	brace = regexp.MustCompile(`\{([^{}]*,[^{}]*)\}`)
	// testRef is a package and tests of it: infra/local/server: TestA, TestB.
	testRef = regexp.MustCompile(`^([a-z0-9_./{},]+): (Test[A-Za-z0-9_]+(?:, Test[A-Za-z0-9_]+)*)$`)
	// qualified is a package path and one of its names: shared/routes.Limits.
	qualified = regexp.MustCompile(`^([a-z0-9_./]+[a-z0-9_])\.([A-Z][A-Za-z0-9_]*)(\.[A-Za-z0-9_]+)?$`)
)

// hasTest reports whether a test file of the package in dir has test name.
func hasTest(t *testing.T, dir, name string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "func "+name+"(") {
			return true
		}
	}
	return false
}

// declares reports whether a non-test file of the package in dir declares
// name (a function, method, type, variable or constant, or a field).
func declares(t *testing.T, dir, name string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^(func (\([^)]*\) )?|type |var |const |\t)` + name + `\b`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if decl.Match(b) {
			return true
		}
	}
	return false
}

// expand spells out one level of {a,b} alternatives: infra/local/{server,emulator}.
func expand(p string) []string {
	m := brace.FindStringSubmatchIndex(p)
	if m == nil {
		return []string{p}
	}
	var out []string
	for _, alt := range strings.Split(p[m[2]:m[3]], ",") {
		out = append(out, expand(p[:m[0]]+strings.TrimSpace(alt)+p[m[1]:])...)
	}
	return out
}

// Every repository path README.md and docs/*.md name in code spans, and
// every relative link, exists: a rename that forgets a document fails
// here. Placeholders (<call>, *, …) are not paths.
func TestEveryPathTheDocsNameExists(t *testing.T) {
	docs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{"../README.md"}, docs...)
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(here)
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, m := range code.FindAllStringSubmatch(string(b), -1) {
			if tm := testRef.FindStringSubmatch(m[1]); tm != nil && !strings.ContainsAny(tm[0], "<>*…") {
				for _, dir := range expand(tm[1]) {
					checked++
					for _, name := range strings.Split(tm[2], ",") {
						if name = strings.TrimSpace(name); !hasTest(t, filepath.Join(root, dir), name) {
							t.Errorf("%s names %s: %s, which is not a test there", f, dir, name)
						}
					}
				}
			}
			for _, tok := range strings.Fields(m[1]) {
				tok = strings.TrimRight(tok, ".,;:)")
				if i := strings.Index(tok, ":"); i > 0 {
					tok = tok[:i] // "shared/app: TestX", "file.go:12"
				}
				for _, r := range roots {
					if strings.HasPrefix(tok, r) {
						paths = append(paths, tok)
					}
				}
			}
		}
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			if strings.Contains(m[1], "://") || strings.HasPrefix(m[1], "mailto:") {
				continue
			}
			rel, err := filepath.Rel(root, filepath.Join(here, filepath.Dir(f), m[1]))
			if err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links %s, outside the repository", f, m[1])
				continue
			}
			paths = append(paths, rel)
		}
		for _, p := range paths {
			if strings.ContainsAny(p, "<>*$…") || strings.Contains(p, "...") {
				continue
			}
			for _, q := range expand(p) {
				checked++
				dir, ident := q, ""
				if m := qualified.FindStringSubmatch(q); m != nil {
					dir, ident = m[1], m[2] // shared/auth.FromClaims
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dir))); err != nil {
					t.Errorf("%s names %s, which does not exist", f, q)
				} else if ident != "" && !declares(t, filepath.Join(root, dir), ident) {
					t.Errorf("%s names %s, which package %s does not declare", f, q, dir)
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d paths checked: the patterns no longer find them", checked)
	}
}
