// Package catalog lists the programs this deployment runs, by id.
package catalog

import (
	"sportello/shared/program"
	"sportello/shared/program/fvg"
	"sportello/shared/program/lombardia"
	"sportello/shared/program/piemonte"
)

// All returns every program by its id.
func All() map[string]program.Program {
	out := map[string]program.Program{}
	for _, p := range []program.Program{piemonte.New(), fvg.New(), lombardia.New()} {
		out[p.ID()] = p
	}
	return out
}
