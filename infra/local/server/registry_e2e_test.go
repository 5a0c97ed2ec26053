package server

import (
	"strings"
	"testing"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// A reference list is imported into a call only if the call's program
// declares its kind (program.Lister), and forms read it at once: a service
// imported into the Piemonte call is among the Comune's pre-loaded
// services; a list of facilities, which only Lombardy's program checks
// against, is refused on the Piemonte call naming the kind it takes.
func TestReferenceListsAreTheProgramsOwn(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 4, 10, 0))
	officer := e.officer("PIE")
	csv := "service_id,comune_istat,name,type,address,operator,places,authorised_on\n" +
		"PIE-SE-9001,001272,Nido Nuovo,nido,Via Nuova 1,Comune,24,2024-09-01\n"
	r := e.do("POST", "/v1/calls/"+PiemonteCall+"/registry?kind=preloaded", officer, csv, "Content-Type", "text/csv")
	if r.Status != 200 {
		t.Fatalf("import of the pre-loaded services: %d %s", r.Status, r.Body)
	}
	if got := decode[apiclient.RegistryImport](t, r); got.Imported != 1 {
		t.Fatalf("rows imported: %+v", got)
	}
	r = e.preloaded(PiemonteCall, e.applicant("comune:001272"), "001272")
	if r.Status != 200 || !strings.Contains(string(r.Body), "PIE-SE-9001") {
		t.Fatalf("the imported service is not among Torino's: %d %s", r.Status, r.Body)
	}
	facilities := "code,name,comune_istat,address,public,places,active\nAFAM-1,Nido,001272,Via 1,true,20,true\n"
	r = e.do("POST", "/v1/calls/"+PiemonteCall+"/registry?kind=facility", officer, facilities, "Content-Type", "text/csv")
	if code, msg := fieldError(t, r, "kind"); r.Status != 422 || code != "invalid" || !strings.Contains(msg, "?kind=preloaded") {
		t.Fatalf("a kind the program does not declare: %d %s", r.Status, r.Body)
	}
}
