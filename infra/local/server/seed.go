package server

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	samples "sportello/events"

	"sportello/shared/call"
	"sportello/shared/catalog"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/program/lombardia"
	"sportello/shared/registry"
)

// Demo call ids, stable so that the printed curl examples work.
const (
	PiemonteCall  = "call_piemonte2026"
	FVGCall       = "call_fvgrette2024"
	LombardiaCall = "call_lombardia2025"
)

// Seeded describes the demo data.
type Seeded struct {
	Calls []call.Call
}

// demoCalls are the three calls of the brief with their real windows
// (Europe/Rome). FVG's seed names only the deadline (21/07/2025, no hour:
// the window closes at 22/07/2025 00:00) — the demo opens it on 16/06/2025,
// the start of the extended term for the tariff plans; an officer sets the
// real opening when creating the call.
// Each is in the Region of its program.
func demoCalls() []struct {
	id   string
	spec call.Spec
} {
	rome := func(y int, m time.Month, d, h int) string { return clock.InRome(y, m, d, h, 0).Format(time.RFC3339) }
	return []struct {
		id   string
		spec call.Spec
	}{
		{PiemonteCall, call.Spec{Program: "piemonte-rilevazione-2026",
			Title:   "Rilevazione 2026 servizi educativi per la prima infanzia (scheda SERVIZI 03)",
			Windows: []call.WindowSpec{{ID: "w1", OpensAt: rome(2026, 4, 27, 12), ClosesAt: rome(2026, 5, 18, 12)}}}},
		{FVGCall, call.Spec{Program: "fvg-rette-2024",
			Title:   "Contributo straordinario contenimento rette nidi d'infanzia a.e. 2024/2025",
			Windows: []call.WindowSpec{{ID: "w1", OpensAt: rome(2025, 6, 16, 0), ClosesOn: "2025-07-21"}},
			Params:  map[string]string{"referenceContributionPerChild": "1500.00"}}},
		{LombardiaCall, call.Spec{Program: "lombardia-ngp-2025",
			Title: "Nidi Gratis Plus 2025/2026 – adesione dei Comuni",
			Windows: []call.WindowSpec{
				{ID: "w1", OpensAt: rome(2025, 7, 1, 12), ClosesAt: rome(2025, 7, 31, 12)},
				{ID: "w2", OpensAt: rome(2025, 8, 26, 12), ClosesAt: rome(2025, 9, 10, 12)},
			}}},
	}
}

// seed creates the demo calls unless they exist (a restart keeps state).
func seed(ctx context.Context, store *dynamo.Store, clk clock.Clock) (Seeded, error) {
	var out Seeded
	programs := program.Programs(catalog.All())
	for _, d := range demoCalls() {
		region, ok := programs.RegionOf(d.spec.Program)
		if !ok {
			return out, fmt.Errorf("demo call %s: program %s is not in the catalog", d.id, d.spec.Program)
		}
		c, err := call.New(d.id, region, d.spec, "system:seed", clk.Now())
		if err != nil {
			return out, fmt.Errorf("demo call %s: %w", d.id, err)
		}
		switch err := store.CreateCall(ctx, c); {
		case err == nil:
			if err := seedRegistry(ctx, store, d.id, programs[d.spec.Program]); err != nil {
				return out, err
			}
		case problem.CodeOf(err) != problem.CodeConflict:
			return out, err
		}
		stored, err := store.Call(ctx, d.id)
		if err != nil {
			return out, err
		}
		out.Calls = append(out.Calls, stored)
	}
	return out, nil
}

// demoRegistry is events/submissions/demo-registry.json.
type demoRegistry struct {
	Preloaded  []program.PreloadedService `json:"preloaded"`
	Facilities []program.Facility         `json:"facilities"`
}

// seedRegistry imports what officers would, for each list the call's
// program declares: the demo pre-loaded services, and the demo AFAM_UDOS
// facilities plus one demo public nido per Lombardy Comune (so every
// Comune can file in a load test).
func seedRegistry(ctx context.Context, store *dynamo.Store, callID string, prog program.Program) error {
	b, err := samples.FS.ReadFile("submissions/demo-registry.json")
	if err != nil {
		return err
	}
	var reg demoRegistry
	if err := json.Unmarshal(b, &reg); err != nil {
		return fmt.Errorf("demo registry: %w", err)
	}
	facilities := reg.Facilities
	for _, c := range samples.Comuni() {
		if c.RegionCode == lombardia.Region.ISTAT {
			facilities = append(facilities, DemoFacility(c))
		}
	}
	rows := map[string]func() ([]program.Row, error){
		program.ListPreloaded:  func() ([]program.Row, error) { return registry.PreloadedRows(reg.Preloaded) },
		program.ListFacilities: func() ([]program.Row, error) { return registry.FacilityRows(facilities) },
	}
	for _, l := range program.ListsOf(prog) {
		demo, ok := rows[l.Kind]
		if !ok {
			continue // no demo rows of this kind
		}
		list, err := demo()
		if err != nil {
			return err
		}
		if err := store.ImportRows(ctx, callID, l.Kind, list); err != nil {
			return err
		}
	}
	return nil
}

// DemoFacility is the demo public nido of a Lombardy Comune.
func DemoFacility(c program.Comune) program.Facility {
	return program.Facility{Code: "AFAM-" + c.ISTAT + "-DEMO", Name: "Nido comunale di " + c.Name, ComuneISTAT: c.ISTAT,
		Address: "Piazza del Municipio 1, " + c.Name, Public: true, Places: 30, Active: true}
}
