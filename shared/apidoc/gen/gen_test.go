package gen

import (
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"sportello/shared/catalog"
	"sportello/shared/program"
)

// openapi.json is exactly what openapi.yaml and the program packages give:
// a form field added in Go, or an edit of the YAML not regenerated, fails
// here with the command that fixes it.
func TestOpenAPIJSONIsGeneratedFromTheSourceAndThePrograms(t *testing.T) {
	src, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("shared/apidoc/openapi.json is stale: run `go generate ./shared/apidoc`")
	}
}

// The Regions and the kinds of reference list the contract accepts are
// the catalog's, not a second list kept by hand in the YAML.
func TestRegionsAndListKindsComeFromTheCatalog(t *testing.T) {
	src, err := os.ReadFile("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		t.Fatal(err)
	}
	programs := program.Programs(catalog.All())
	var regions, lists []string
	for code := range programs.Regions() {
		regions = append(regions, code)
	}
	for _, p := range programs {
		for _, l := range program.ListsOf(p) {
			if !slices.Contains(lists, l.Kind) {
				lists = append(lists, l.Kind)
			}
		}
	}
	enum := func(s *openapi3.Schema) []string {
		var out []string
		for _, v := range s.Enum {
			out = append(out, v.(string))
		}
		return out
	}
	same := func(what string, got, want []string) {
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: %v, want the catalog's %v", what, got, want)
		}
	}
	same("Call.region", enum(doc.Components.Schemas["Call"].Value.Properties["region"].Value), regions)
	same("RegistryImport.kind", enum(doc.Components.Schemas["RegistryImport"].Value.Properties["kind"].Value), lists)
	same("importRegistry ?kind=", enum(doc.Paths.Value("/v1/calls/{callId}/registry").Post.Parameters.GetByInAndName("query", "kind").Schema.Value), lists)
}
