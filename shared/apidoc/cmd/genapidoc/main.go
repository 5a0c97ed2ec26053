// Command genapidoc writes openapi.json from openapi.yaml (see package gen):
// run by `go generate ./shared/apidoc`.
package main

import (
	"flag"
	"fmt"
	"os"

	"sportello/shared/apidoc/gen"
)

func main() {
	in := flag.String("in", "openapi.yaml", "the hand-written source")
	out := flag.String("out", "openapi.json", "the document to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genapidoc:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	doc, err := gen.Generate(src)
	if err != nil {
		return err
	}
	return os.WriteFile(out, doc, 0o644)
}
