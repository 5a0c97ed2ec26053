package piemonte

import (
	"encoding/json"
	"testing"
	"time"

	"sportello/shared/problem"
	"sportello/shared/program"
	pt "sportello/shared/program/programtest"
)

var filing = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

func set(path string, v any) func(map[string]any) {
	return func(d map[string]any) { pt.Set(d, path, v) }
}

func TestRules(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Torino example is complete"},
		{Name: "non raggiunto without a reason cannot be sent", Change: set("services.1.reason", ""), Field: "services[1].reason", Code: problem.FieldRequired},
		{Name: "cessato needs the formal act", Change: set("services.2.ceasedAct", ""), Field: "services[2].ceasedAct", Code: problem.FieldRequired},
		{Name: "an active service needs its average attendance", Change: set("services.0.averageAttendance", nil), Field: "services[0].averageAttendance", Code: problem.FieldRequired},
		{Name: "a suspended service has no average attendance", Change: set("services.0.status", "suspended"), Field: "services[0].averageAttendance", Code: problem.FieldNotAllowed},
		{Name: "an added service must be active", Change: set("services.3.status", "suspended"), Field: "services[3].status", Code: problem.FieldNotAllowed},
		{Name: "an added service must be active by 27 April 2026", Change: set("services.3.activeFrom", "2026-04-28"), Field: "services[3].activeFrom", Code: problem.FieldInvalid},
		{Name: "a pre-loaded service cannot be left out", Change: func(d map[string]any) { d["services"] = d["services"].([]any)[1:] }, Field: "services", Code: "missing_service"},
		{Name: "an unknown pre-loaded id is refused", Change: set("services.0.id", "PIE-SE-9999"), Field: "services[0].id", Code: problem.FieldInvalid},
		{Name: "a status outside the four is refused", Change: set("services.0.status", "closed"), Field: "services[0].status", Code: problem.FieldInvalid},
		{Name: "the average attendance is a decimal string", Change: set("services.0.averageAttendance", 52.4), Field: "services[0].averageAttendance", Code: problem.FieldInvalid},
		{Name: "a comma decimal is refused", Change: set("services.0.averageAttendance", "52,4"), Field: "services[0].averageAttendance", Code: problem.FieldInvalid},
		{Name: "a date with a time is refused", Change: set("services.0.authorisedOn", "2015-09-01T00:00:00Z"), Field: "services[0].authorisedOn", Code: problem.FieldInvalid},
		{Name: "an unknown field is refused", Change: set("services.0.colour", "red"), Field: "services[0].colour", Code: problem.FieldUnknown},
		{Name: "a contact e-mail is needed for the receipt", Change: set("contactEmail", "not-an-email"), Field: "contactEmail", Code: problem.FieldInvalid},
	})
}

func TestAComuneOutsidePiemonteIsRefused(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	ex.Org = "comune:015146"
	pt.Run(t, New(), ex, filing, nil, []pt.Case{{Name: "Milano cannot file the Piemonte rilevazione", Field: "org", Code: problem.FieldInvalid}})
}

func TestAveragingPeriod(t *testing.T) {
	tests := []struct {
		name       string
		authorised string
		active     string
		from, to   string
	}{
		{"a long-running service uses 03/03/2025–27/02/2026", "2015-09-01", "2015-09-07", "2025-03-03", "2026-02-27"},
		{"authorised and active after 3 March 2025 counts from then", "2025-09-01", "2025-09-15", "2025-09-15", "2026-02-27"},
		{"active on 27 February 2026 still ends then", "2026-02-01", "2026-02-27", "2026-02-27", "2026-02-27"},
		{"active between 27 February and 27 April 2026 runs to 27 April", "2026-03-01", "2026-03-10", "2026-03-10", "2026-04-27"},
		{"authorised later than activation counts from authorisation", "2025-10-01", "2025-09-01", "2025-10-01", "2026-02-27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := AveragingPeriod(Service{AuthorisedOn: program.MustDate(tt.authorised), ActiveFrom: program.MustDate(tt.active)})
			if from.String() != tt.from || to.String() != tt.to {
				t.Fatalf("got %s–%s", from, to)
			}
		})
	}
}

func TestWeightIsTheSumOfActiveAttendance(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	raw, _ := json.Marshal(ex.Data)
	form, err := New().Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, err := form.(program.Allocator).Allocation(nil)
	if err != nil || a.Weight.FloatString(2) != "66.90" || a.Cap != nil {
		t.Fatalf("52.40 + 14.5 (non raggiunto and cessato count zero): got %v %v", a.Weight, err)
	}
}
