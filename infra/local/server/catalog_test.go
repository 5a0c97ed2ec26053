package server

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	samples "sportello/events"
	"sportello/shared/catalog"
)

// A program is not done until it ships what docs/adding-a-program.md
// lists: an example application in events/submissions (in its README's
// table) that decodes under the program, a demo call seeded by the local
// runtime, and its section of docs/programs.md naming its id.
func TestEveryProgramOfTheCatalogShipsItsExampleSeedAndDocs(t *testing.T) {
	readme, err := samples.FS.ReadFile("submissions/README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string][]string{} // program → example files
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+\\.json)` \\| `([^`]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		examples[m[2]] = append(examples[m[2]], m[1])
	}
	seeded := map[string]bool{}
	for _, d := range demoCalls() {
		seeded[d.spec.Program] = true
	}
	docs, err := os.ReadFile("../../../docs/programs.md")
	if err != nil {
		t.Fatal(err)
	}
	programs := catalog.All()
	if len(programs) == 0 {
		t.Fatal("the catalog lists no program")
	}
	for id, prog := range programs {
		t.Run(id, func(t *testing.T) {
			if len(examples[id]) == 0 {
				t.Errorf("no example application in events/submissions/README.md's table")
			}
			for _, file := range examples[id] {
				raw, err := samples.FS.ReadFile("submissions/" + file)
				if err != nil {
					t.Errorf("example %s: %v", file, err)
					continue
				}
				var ex struct {
					Data json.RawMessage `json:"data"`
				}
				if err := json.Unmarshal(raw, &ex); err != nil {
					t.Errorf("example %s: %v", file, err)
					continue
				}
				if _, err := prog.Decode(ex.Data); err != nil {
					t.Errorf("example %s does not decode under %s: %v", file, id, err)
				}
			}
			if !seeded[id] {
				t.Errorf("no demo call seeded by the local runtime (infra/local/server/seed.go)")
			}
			if !strings.Contains(string(docs), "Program `"+id+"`, region `"+prog.Region().Code+"`.") {
				t.Errorf("docs/programs.md has no section stating \"Program `%s`, region `%s`.\"", id, prog.Region().Code)
			}
		})
	}
}
