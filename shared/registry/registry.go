// Package registry holds the reference data a form is checked against: the
// ISTAT list of Comuni, the services the Region pre-loads per Comune
// (Piemonte), and the AFAM_UDOS facilities (Lombardy). Officers import the
// last two as CSV; this package reads those files strictly.
package registry

import (
	"encoding/json"
	"fmt"
	"io"

	"sportello/shared/program"
)

// Memory is an in-memory program.Registry.
type Memory struct {
	comuni     map[string]program.Comune
	preloaded  map[string][]program.PreloadedService
	facilities map[string]program.Facility
}

// NewMemory builds a registry.
func NewMemory(comuni []program.Comune, preloaded []program.PreloadedService, facilities []program.Facility) *Memory {
	m := &Memory{comuni: map[string]program.Comune{}, preloaded: map[string][]program.PreloadedService{}, facilities: map[string]program.Facility{}}
	for _, c := range comuni {
		m.comuni[c.ISTAT] = c
	}
	for _, s := range preloaded {
		m.preloaded[s.ComuneISTAT] = append(m.preloaded[s.ComuneISTAT], s)
	}
	for _, f := range facilities {
		m.facilities[f.Code] = f
	}
	return m
}

// Comune finds a Comune by ISTAT code.
func (m *Memory) Comune(istat string) (program.Comune, bool) {
	c, ok := m.comuni[istat]
	return c, ok
}

// Preloaded lists a Comune's pre-loaded services.
func (m *Memory) Preloaded(istat string) []program.PreloadedService { return m.preloaded[istat] }

// Facility finds an AFAM_UDOS facility.
func (m *Memory) Facility(code string) (program.Facility, bool) {
	f, ok := m.facilities[code]
	return f, ok
}

// Comuni lists the Comuni of an ISTAT region code ("01" Piemonte,
// "03" Lombardia, "06" Friuli-Venezia Giulia), in ISTAT order.
func (m *Memory) Comuni(regionCode string) []program.Comune {
	var out []program.Comune
	for _, c := range m.comuni {
		if c.RegionCode == regionCode {
			out = append(out, c)
		}
	}
	sortComuni(out)
	return out
}

// istatRow is one entry of comuni-istat-2020.json.
type istatRow struct {
	ISTAT      string `json:"istat"`
	Name       string `json:"name"`
	Region     string `json:"region"`
	RegionCode string `json:"regionCode"`
	Province   string `json:"province"`
	Plate      string `json:"plate"`
	Cadastral  string `json:"cadastral"`
}

// LoadComuni reads the ISTAT list (JSON array as shipped in events/data).
// Source: ISTAT, elenco dei comuni italiani, CC BY 3.0 IT.
func LoadComuni(r io.Reader) ([]program.Comune, error) {
	var rows []istatRow
	if err := json.NewDecoder(r).Decode(&rows); err != nil {
		return nil, fmt.Errorf("read ISTAT list: %w", err)
	}
	out := make([]program.Comune, 0, len(rows))
	for i, row := range rows {
		if !program.ValidISTAT(row.ISTAT) || row.Name == "" {
			return nil, fmt.Errorf("read ISTAT list: entry %d has no valid code or name", i)
		}
		out = append(out, program.Comune{ISTAT: row.ISTAT, Name: row.Name, RegionCode: row.RegionCode, Province: row.Plate, Cadastral: row.Cadastral})
	}
	return out, nil
}
