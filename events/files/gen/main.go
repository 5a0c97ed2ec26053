// Command gen writes the document fixtures: go run ./events/files/gen -out events/files
package main

import (
	"flag"
	"log"

	"sportello/events/files/fixtures"
)

func main() {
	out := flag.String("out", "events/files", "directory")
	flag.Parse()
	if err := fixtures.Generate(*out); err != nil {
		log.Fatal(err)
	}
}
