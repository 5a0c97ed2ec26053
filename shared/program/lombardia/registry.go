package lombardia

import (
	"sportello/shared/program"
	"sportello/shared/registry"
)

// ReferenceLists: the officers import the AFAM_UDOS registry of
// facilities into the call, every facility of a form must be in it; and
// the 2024/25 adhesions, which returning Comuni find pre-loaded (C.1).
func (Program) ReferenceLists() []program.ReferenceList {
	return []program.ReferenceList{registry.Facilities, registry.Adhesions}
}

// facility finds a facility of the call's AFAM_UDOS registry.
func facility(reg program.Registry, code string) (program.Facility, bool) {
	found := program.Find[program.Facility](reg, program.ListFacilities, code)
	if len(found) == 0 {
		return program.Facility{}, false
	}
	return found[0], true
}
