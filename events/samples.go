// Package samples (the Go side of events/, the layout's folder of sample
// data) embeds what the local runtime seeds and the end-to-end tests file:
// the ISTAT list of Comuni, example applications and the demo registry, and
// the document fixtures.
package samples

import (
	"embed"
	"fmt"
	"sync"

	"sportello/shared/program"
	"sportello/shared/registry"
)

// FS holds data/, submissions/ and the document fixtures of files/.
//
//go:embed data submissions files/*.pdf files/*.p7m files/*.xlsx
var FS embed.FS

var comuni = sync.OnceValues(func() ([]program.Comune, error) {
	f, err := FS.Open("data/comuni-istat-2020.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return registry.LoadComuni(f)
})

// Comuni is the ISTAT list (Fonte: ISTAT, elenco dei comuni italiani, CC BY 3.0 IT).
func Comuni() []program.Comune {
	c, err := comuni()
	if err != nil {
		panic(fmt.Sprintf("embedded ISTAT list: %v", err))
	}
	return c
}
