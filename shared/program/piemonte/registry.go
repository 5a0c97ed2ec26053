package piemonte

import (
	"sportello/shared/program"
	"sportello/shared/registry"
)

// ReferenceLists: the officers import the services the Region believes
// authorised and active in each Comune; a Comune's scheda starts from
// them (seed note 6).
func (Program) ReferenceLists() []program.ReferenceList {
	return []program.ReferenceList{registry.Preloaded}
}
