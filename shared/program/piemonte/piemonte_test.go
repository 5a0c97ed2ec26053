package piemonte

import (
	"math/big"
	"strings"
	"testing"

	"sportello/shared/clock"
	"sportello/shared/problem"
	"sportello/shared/program"
	pt "sportello/shared/program/programtest"
)

var filing = clock.InRome(2026, 5, 4, 10, 0)

var to, changes = pt.To, pt.Changes

func TestRules(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	pt.Run(t, New(), ex, filing, nil, []pt.Case{
		{Name: "the Torino example is complete"},

		// Seed note 6: the latest authorisation act the Region pre-loaded, or a later one.
		{Name: "a pre-loaded service names another act of the Region's date", Change: to("services.1.authorisationAct", "D.D. 2019/78"), Field: "services[1].authorisationAct", Code: problem.FieldMismatch},
		{Name: "a pre-loaded service names an act older than the Region's", Change: changes(to("services.1.authorisationAct", "D.D. 2018/1"), to("services.1.authorisedOn", "2018-06-01")), Field: "services[1].authorisationAct", Code: problem.FieldMismatch},
		{Name: "a pre-loaded service may name a later act with its date", Change: changes(to("services.1.authorisationAct", "D.D. 2024/9"), to("services.1.authorisedOn", "2024-02-01"))},
		{Name: "the act reference is compared without case and outer blanks", Change: to("services.1.authorisationAct", " d.d. 2019/77 ")},

		// Statuses (notes 8-10): each refers to 27/04/2026.
		{Name: "non raggiunto without a reason cannot be sent", Change: to("services.1.reason", ""), Field: "services[1].reason", Code: problem.FieldRequired},
		{Name: "cessato needs the formal act", Change: to("services.2.ceasedAct", ""), Field: "services[2].ceasedAct", Code: problem.FieldRequired},
		{Name: "cessato needs the date of the act", Change: to("services.2.ceasedOn", nil), Field: "services[2].ceasedOn", Code: problem.FieldRequired},
		{Name: "a service ceased after 27/04/2026 was active on the reference day", Change: to("services.2.ceasedOn", "2026-04-28"), Field: "services[2].ceasedOn", Code: problem.FieldInvalid},
		{Name: "a service ceased on 27/04/2026 is ceased", Change: to("services.2.ceasedOn", "2026-04-27")},
		{Name: "cessato takes an act, not a reason", Change: to("services.2.reason", "chiuso"), Field: "services[2].reason", Code: problem.FieldNotAllowed},
		{Name: "a cessation act on a service not ceased is refused", Change: to("services.1.ceasedAct", "D.D. 1"), Field: "services[1].ceasedAct", Code: problem.FieldNotAllowed},
		{Name: "sospeso needs no reason and no act", Change: pt.Changes(to("services.0.status", "suspended"), to("services.0.averageAttendance", nil))},
		{Name: "sospeso may say why", Change: pt.Changes(to("services.0.status", "suspended"), to("services.0.averageAttendance", nil), to("services.0.reason", "Lavori di adeguamento"))},
		{Name: "a suspended service has no average attendance", Change: to("services.0.status", "suspended"), Field: "services[0].averageAttendance", Code: problem.FieldNotAllowed},
		{Name: "a non raggiunto service has no average attendance", Change: to("services.1.averageAttendance", "3.00"), Field: "services[1].averageAttendance", Code: problem.FieldNotAllowed},
		{Name: "an active service needs its average attendance", Change: to("services.0.averageAttendance", nil), Field: "services[0].averageAttendance", Code: problem.FieldRequired},
		{Name: "an average attendance of zero is a value", Change: to("services.0.averageAttendance", "0")},
		{Name: "an active service needs its activation date", Change: to("services.0.activeFrom", nil), Field: "services[0].activeFrom", Code: problem.FieldRequired},
		{Name: "an active service takes no reason", Change: to("services.0.reason", "x"), Field: "services[0].reason", Code: problem.FieldNotAllowed},
		{Name: "a status outside the four is refused", Change: to("services.0.status", "closed"), Field: "services[0].status", Code: problem.FieldInvalid},
		{Name: "the status is required", Change: to("services.0.status", nil), Field: "services[0].status", Code: problem.FieldRequired, Others: true},

		// AGGIUNGI SERVIZIO (note 7): only authorised and active services.
		{Name: "an added service must be active", Change: pt.Changes(to("services.3.status", "suspended"), to("services.3.averageAttendance", nil)), Field: "services[3].status", Code: problem.FieldNotAllowed},
		{Name: "an added service must be authorised by 27/04/2026", Change: to("services.3.authorisedOn", "2026-04-28"), Field: "services[3].authorisedOn", Code: problem.FieldInvalid},
		{Name: "an added service must be active by 27/04/2026", Change: to("services.3.activeFrom", "2026-04-28"), Field: "services[3].activeFrom", Code: problem.FieldInvalid},
		{Name: "a service activated on 27/04/2026 counts", Change: to("services.4.activeFrom", "2026-04-27")},
		{Name: "an added service has no regional id", Change: to("services.3.id", "PIE-SE-0004"), Field: "services[3].id", Code: problem.FieldNotAllowed},

		// The pre-loaded list must be accounted for, exactly.
		{Name: "a pre-loaded service cannot be left out", Change: func(d map[string]any) { d["services"] = d["services"].([]any)[1:] }, Field: "services", Code: program.FieldMissingItem},
		{Name: "a pre-loaded service needs its id or the added mark", Change: to("services.0.id", nil), Field: "services[0].id", Code: problem.FieldRequired, Others: true},
		{Name: "an unknown pre-loaded id is refused", Change: to("services.0.id", "PIE-SE-9999"), Field: "services[0].id", Code: problem.FieldInvalid, Others: true},
		{Name: "another Comune's service is unknown here", Change: to("services.0.id", "PIE-SE-0004"), Field: "services[0].id", Code: problem.FieldInvalid, Others: true},
		{Name: "a pre-loaded service given twice is refused", Change: to("services.1.id", "PIE-SE-0001"), Field: "services[1].id", Code: program.FieldDuplicate, Others: true},

		// Anagrafica: as in the latest authorisation act.
		{Name: "the name is required", Change: to("services.0.name", " "), Field: "services[0].name", Code: problem.FieldRequired},
		{Name: "the type is one of D.Lgs. 65/2017", Change: to("services.0.type", "asilo"), Field: "services[0].type", Code: problem.FieldInvalid},
		{Name: "the type is required", Change: to("services.0.type", ""), Field: "services[0].type", Code: problem.FieldRequired},
		{Name: "the authorised places are required", Change: to("services.0.places", 0), Field: "services[0].places", Code: problem.FieldRequired},
		{Name: "a thousand places is a typo", Change: to("services.0.places", 1000), Field: "services[0].places", Code: problem.FieldTooLarge},
		{Name: "the authorisation date is required", Change: to("services.0.authorisedOn", nil), Field: "services[0].authorisedOn", Code: problem.FieldRequired},
		{Name: "the authorisation act is required", Change: to("services.0.authorisationAct", ""), Field: "services[0].authorisationAct", Code: problem.FieldRequired},
		{Name: "the operator is required", Change: to("services.0.operator", ""), Field: "services[0].operator", Code: problem.FieldRequired},
		{Name: "the address is required", Change: to("services.0.address", ""), Field: "services[0].address", Code: problem.FieldRequired},
		{Name: "a contact e-mail is needed for the receipt", Change: to("contactEmail", "not-an-email"), Field: "contactEmail", Code: problem.FieldInvalid},
		{Name: "notes are at most 4000 characters", Change: to("notes", strings.Repeat("x", 4001)), Field: "notes", Code: problem.FieldTooLarge},

		// Strict decoding.
		{Name: "the average attendance is a decimal string, not a number", Change: to("services.0.averageAttendance", 52.4), Field: "services[0].averageAttendance", Code: problem.FieldInvalid},
		{Name: "a comma decimal is refused", Change: to("services.0.averageAttendance", "52,4"), Field: "services[0].averageAttendance", Code: problem.FieldInvalid},
		{Name: "three decimals are refused", Change: to("services.0.averageAttendance", "52.405"), Field: "services[0].averageAttendance", Code: problem.FieldInvalid},
		{Name: "a negative average is refused", Change: to("services.0.averageAttendance", "-1"), Field: "services[0].averageAttendance", Code: problem.FieldInvalid},
		{Name: "a date with a time is refused", Change: to("services.0.authorisedOn", "2015-09-01T00:00:00Z"), Field: "services[0].authorisedOn", Code: problem.FieldInvalid},
		{Name: "a date in Italian order is refused", Change: to("services.0.activeFrom", "07/09/2015"), Field: "services[0].activeFrom", Code: problem.FieldInvalid},
		{Name: "places are an integer", Change: to("services.0.places", "60"), Field: "services[0].places", Code: problem.FieldInvalid},
		{Name: "an unknown field is refused", Change: to("services.0.colour", "red"), Field: "services[0].colour", Code: problem.FieldUnknown},
		{Name: "an averaging period sent back is ignored, not refused", Change: to("services.0.averagingPeriod", map[string]any{"from": "2020-01-01", "to": "2020-01-02"})},

		// Who files.
		{Name: "Milano cannot file the Piemonte rilevazione", Org: "comune:015146", Field: "org", Code: problem.FieldInvalid, Others: true},
		{Name: "a Comune without pre-loaded services may declare none", Org: "comune:001001", Change: to("services", []any{})},
		{Name: "a Comune with pre-loaded services cannot declare none", Change: to("services", []any{}), Field: "services", Code: program.FieldMissingItem, Others: true},
		{Name: "a Comune without pre-loaded services files the ones it adds", Org: "comune:001001", Change: func(d map[string]any) { d["services"] = d["services"].([]any)[3:] }},
	})
}

func TestAveragingPeriod(t *testing.T) {
	tests := []struct {
		name       string
		authorised string
		active     string
		from, to   string
	}{
		{"a long-running service uses 03/03/2025–27/02/2026", "2015-09-01", "2015-09-07", "2025-03-03", "2026-02-27"},
		{"authorised and active on 3 March 2025 uses the default period", "2025-03-03", "2025-03-03", "2025-03-03", "2026-02-27"},
		{"authorised and active after 3 March 2025 counts from then", "2025-09-01", "2025-09-15", "2025-09-15", "2026-02-27"},
		{"active on 27 February 2026 still ends then", "2026-02-01", "2026-02-27", "2026-02-27", "2026-02-27"},
		{"active on 28 February 2026 runs to 27 April", "2026-02-01", "2026-02-28", "2026-02-28", "2026-04-27"},
		{"active between 27 February and 27 April 2026 runs to 27 April", "2026-03-01", "2026-03-10", "2026-03-10", "2026-04-27"},
		{"authorised later than activation counts from authorisation", "2025-10-01", "2025-09-01", "2025-10-01", "2026-02-27"},
		{"without dates the default period applies", "", "", "2025-03-03", "2026-02-27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Service
			if tt.authorised != "" {
				s.AuthorisedOn, s.ActiveFrom = program.MustDate(tt.authorised), program.MustDate(tt.active)
			}
			from, to := AveragingPeriod(s)
			if from.String() != tt.from || to.String() != tt.to {
				t.Fatalf("got %s–%s", from, to)
			}
		})
	}
}

func TestDecodeShowsEachActiveServicesPeriod(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	form := pt.Decode(t, New(), ex, to("services.0.averagingPeriod", map[string]any{"from": "2020-01-01", "to": "2020-01-02"})).(*Form)
	want := []string{"2025-03-03–2026-02-27", "", "", "2025-09-15–2026-02-27", "2026-03-09–2026-04-27"}
	for i, s := range form.Services {
		got := ""
		if s.AveragingPeriod != nil {
			got = s.AveragingPeriod.From.String() + "–" + s.AveragingPeriod.To.String()
		}
		if got != want[i] {
			t.Errorf("services[%d]: %q, want %q", i, got, want[i])
		}
	}
}

func TestAllocationWeightIsTheSumOfActiveAttendance(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	tests := []struct {
		name   string
		change func(map[string]any)
		weight *big.Rat
	}{
		// 52.40 + 14.50 + 9.25; non raggiunto and cessato count zero.
		{"active services add up exactly", nil, big.NewRat(7615, 100)},
		{"a suspended service counts zero", pt.Changes(to("services.0.status", "suspended"), to("services.0.averageAttendance", nil)), big.NewRat(2375, 100)},
		{"no active service weighs zero", func(d map[string]any) {
			for i := range d["services"].([]any) {
				pt.Set(d, "services."+string(rune('0'+i))+".status", "suspended")
				pt.Set(d, "services."+string(rune('0'+i))+".averageAttendance", nil)
			}
		}, new(big.Rat)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := pt.Decode(t, New(), ex, tt.change).(program.Allocator).Allocation(nil)
			if err != nil || a.Weight.Cmp(tt.weight) != 0 || a.Cap != nil || a.Explanation == "" {
				t.Fatalf("got %v (%s) %v, want %v", a.Weight, a.Explanation, err, tt.weight)
			}
		})
	}
	a, _ := pt.Decode(t, New(), ex, nil).(program.Allocator).Allocation(nil)
	if want := "52,40 (PIE-SE-0001) + 14,50 (aggiunto) + 9,25 (aggiunto) = 76,15"; !strings.Contains(a.Explanation, want) {
		t.Fatalf("explanation %q", a.Explanation)
	}
}

func TestFlagsAttendanceAbovePlaces(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	if got := pt.Decode(t, New(), ex, nil).(*Form).Flags(); len(got) != 0 {
		t.Fatalf("no flag expected: %v", got)
	}
	got := pt.Decode(t, New(), ex, to("services.0.averageAttendance", "60.01")).(*Form).Flags()
	if len(got) != 1 || got[0] != "average_above_places:services[0]" {
		t.Fatalf("flags %v", got)
	}
}

func TestDocumentsAndClaims(t *testing.T) {
	ex := pt.Load(t, "piemonte-torino.json")
	form := pt.Decode(t, New(), ex, nil)
	ctx := program.Context{Org: ex.Org, Now: filing, Registry: pt.Registry(t)}
	if n := form.RequiredDocuments(ctx); len(n) != 0 {
		t.Fatalf("the seed requires no attachment: %v", n)
	}
	for _, k := range New().DocumentKinds() {
		if k.MustBeSigned || k.MaxBytes != 50<<20 || len(k.ContentTypes) == 0 || k.Title == "" {
			t.Errorf("kind %+v", k)
		}
	}
	pt.CheckExampleDocuments(t, New(), ex, form, ctx)
	if c := form.Claims(ex.Org); len(c) != 1 || c[0] != "comune:001272" || form.ClaimConflictCode() != problem.CodeDuplicate {
		t.Fatalf("one scheda per Comune: %v", c)
	}
	if form.Contact() != "servizi.educativi@comune.torino.it" || !strings.HasPrefix(form.Summary(), "5 servizi: 3 attivi, 1 cessati") {
		t.Fatalf("contact %q summary %q", form.Contact(), form.Summary())
	}
}

func TestAnEmptyDraftDecodes(t *testing.T) {
	for _, raw := range []string{`{}`, `{"services":[{}]}`, `null`} {
		if _, err := New().Decode([]byte(raw)); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

// The scheda's description names exactly the fields the decoder accepts.
func TestFormIsDescribed(t *testing.T) { pt.FormIsDescribed(t, New()) }
