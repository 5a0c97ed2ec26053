// Package registry holds the reference data a form is checked against: the
// ISTAT list of Comuni, and the lists officers import into a call as CSV
// (the kinds a call's program declares, program.Lister). It reads the
// existing kinds strictly (the services the Region pre-loads per Comune,
// the AFAM_UDOS facilities), imports any declared kind, and Memory answers
// the program.Registry look-ups from what was read.
package registry

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"sportello/shared/program"
)

// Memory is an in-memory program.Registry. It is built once and only read
// afterwards, so concurrent look-ups are safe; it hands out copies, so a
// caller cannot change it.
type Memory struct {
	comuni map[string]program.Comune
	rows   map[[2]string][]program.Row // (kind, key) → rows by id
}

var _ program.Registry = (*Memory)(nil)

// NewMemory builds a registry. Later rows win over earlier ones with the
// same kind and id (an import replaces what it repeats).
func NewMemory(comuni []program.Comune, rows []program.Row) *Memory {
	m := &Memory{comuni: map[string]program.Comune{}, rows: map[[2]string][]program.Row{}}
	for _, c := range comuni {
		m.comuni[c.ISTAT] = c
	}
	byID := map[[2]string]program.Row{}
	for _, r := range rows {
		byID[[2]string{r.Kind, r.ID}] = r
	}
	for _, r := range byID {
		k := [2]string{r.Kind, r.Key}
		m.rows[k] = append(m.rows[k], r)
	}
	for _, list := range m.rows {
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	}
	return m
}

// Comune finds a Comune by ISTAT code.
func (m *Memory) Comune(istat string) (program.Comune, bool) {
	c, ok := m.comuni[istat]
	return c, ok
}

// Rows lists the rows of kind under key, by id.
func (m *Memory) Rows(kind, key string) []program.Row {
	return slices.Clone(m.rows[[2]string{kind, key}])
}

// Comuni lists the Comuni of an ISTAT region code (program.Region.ISTAT),
// in ISTAT order.
func (m *Memory) Comuni(regionCode string) []program.Comune {
	var out []program.Comune
	for _, c := range m.comuni {
		if c.RegionCode == regionCode {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ISTAT < out[j].ISTAT })
	return out
}

// istatRow is one entry of comuni-istat-2020.json. The file has more
// (province name and code, population); they are not needed here.
type istatRow struct {
	ISTAT      string `json:"istat"`
	Name       string `json:"name"`
	RegionCode string `json:"regionCode"`
	Plate      string `json:"plate"`
	Cadastral  string `json:"cadastral"`
}

// LoadComuni reads the ISTAT list of Comuni: a JSON array of objects with
// istat, name, regionCode, plate and cadastral, as shipped in events/data
// (Fonte: ISTAT, elenco dei comuni italiani, CC BY 3.0 IT). Every entry is
// checked; a repeated code or a malformed one fails the whole load, naming
// the entry, because a wrong list would refuse or admit the wrong Comuni.
func LoadComuni(r io.Reader) ([]program.Comune, error) {
	var rows []istatRow
	if err := json.NewDecoder(r).Decode(&rows); err != nil {
		return nil, fmt.Errorf("elenco ISTAT dei Comuni illeggibile: %w", err)
	}
	out := make([]program.Comune, 0, len(rows))
	seen := map[string]bool{}
	for i, row := range rows {
		switch {
		case !program.ValidISTAT(row.ISTAT):
			return nil, fmt.Errorf("elenco ISTAT, voce %d: codice %q non valido", i+1, row.ISTAT)
		case seen[row.ISTAT]:
			return nil, fmt.Errorf("elenco ISTAT, voce %d: codice %s ripetuto", i+1, row.ISTAT)
		case strings.TrimSpace(row.Name) == "":
			return nil, fmt.Errorf("elenco ISTAT, voce %d (%s): nome mancante", i+1, row.ISTAT)
		case len(row.RegionCode) != 2 || strings.Trim(row.RegionCode, "0123456789") != "":
			return nil, fmt.Errorf("elenco ISTAT, voce %d (%s): codice regione %q non valido", i+1, row.ISTAT, row.RegionCode)
		case len(row.Cadastral) != 4:
			return nil, fmt.Errorf("elenco ISTAT, voce %d (%s): codice catastale %q non valido", i+1, row.ISTAT, row.Cadastral)
		}
		seen[row.ISTAT] = true
		out = append(out, program.Comune{ISTAT: row.ISTAT, Name: row.Name, RegionCode: row.RegionCode, Province: row.Plate, Cadastral: row.Cadastral})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("elenco ISTAT dei Comuni vuoto")
	}
	return out, nil
}
