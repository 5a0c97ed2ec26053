package gen

import (
	"bytes"
	"os"
	"testing"
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
