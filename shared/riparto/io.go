package riparto

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"

	"github.com/xuri/excelize/v2"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// MaxBeneficiaries bounds a what-if request.
const MaxBeneficiaries = 100_000

// Request is the what-if body: {"fund","beneficiaries":[{"id","weight","cap"}]}.
type Request struct {
	Fund          money.Cents
	Beneficiaries []Beneficiary
}

type wireBeneficiary struct {
	ID     string          `json:"id"`
	Weight program.Decimal `json:"weight"`
	Cap    *money.Cents    `json:"cap"`
}

type wireRequest struct {
	Fund          *money.Cents      `json:"fund"`
	Beneficiaries []wireBeneficiary `json:"beneficiaries"`
}

// DecodeRequest reads a what-if request strictly: amounts and weights are
// decimal strings; every wrong field is named.
func DecodeRequest(body []byte) (Request, error) {
	var w wireRequest
	if err := program.Strict(body, &w); err != nil {
		return Request{}, err
	}
	var f problem.Fields
	if w.Fund == nil {
		f.Add("fund", problem.FieldRequired, "Indicare il fondo (es. \"1000000.00\").")
	} else if *w.Fund < 0 {
		f.Add("fund", problem.FieldInvalid, "Il fondo non può essere negativo.")
	}
	if len(w.Beneficiaries) == 0 {
		f.Add("beneficiaries", problem.FieldRequired, "Indicare almeno un beneficiario.")
	}
	if len(w.Beneficiaries) > MaxBeneficiaries {
		f.Add("beneficiaries", problem.FieldTooLarge, "Al massimo %d beneficiari.", MaxBeneficiaries)
	}
	req := Request{Beneficiaries: make([]Beneficiary, 0, len(w.Beneficiaries))}
	for i, b := range w.Beneficiaries {
		if !b.Weight.Set {
			f.Add(fmt.Sprintf("beneficiaries[%d].weight", i), problem.FieldRequired, "Indicare il peso (es. \"12.5\").")
		}
		req.Beneficiaries = append(req.Beneficiaries, Beneficiary{ID: b.ID, Weight: b.Weight.Rat(), Cap: b.Cap})
	}
	if err := f.Err(problem.CodeValidation, "La richiesta di riparto non è valida."); err != nil {
		return Request{}, err
	}
	req.Fund = *w.Fund
	return req, nil
}

type wireLine struct {
	ID                 string       `json:"org"`
	Weight             string       `json:"weight"`
	RawShare           string       `json:"rawShare"`
	Amount             money.Cents  `json:"amount"`
	Cap                *money.Cents `json:"cap,omitempty"`
	Capped             bool         `json:"capped"`
	Caps               []string     `json:"caps"`
	RoundingAdjustment money.Cents  `json:"roundingAdjustment"`
	Explanation        string       `json:"explanation"`
}

// MarshalJSON renders amounts as decimal strings.
func (r Result) MarshalJSON() ([]byte, error) {
	lines := make([]wireLine, len(r.Lines))
	for i, l := range r.Lines {
		lines[i] = wireLine{ID: l.ID, Weight: ratString(l.Weight), RawShare: euros(l.RawShare), Amount: l.Amount, Cap: l.Cap,
			Capped: l.Capped, Caps: []string{}, RoundingAdjustment: l.Rounding, Explanation: l.Explanation()}
		if l.Capped {
			lines[i].Caps = append(lines[i].Caps, l.CapReason)
		}
	}
	return json.Marshal(struct {
		Fund          money.Cents `json:"fund"`
		Allocated     money.Cents `json:"allocated"`
		Unallocated   money.Cents `json:"unallocated"`
		EngineVersion string      `json:"engineVersion"`
		Lines         []wireLine  `json:"lines"`
	}{r.Fund, r.Allocated, r.Unallocated, r.EngineVersion, lines})
}

var csvHeader = []string{"beneficiario", "denominazione", "peso", "quota_esatta_euro", "tetto_euro", "tetto_applicato", "arrotondamento_euro", "importo_euro", "spiegazione"}

// WriteCSV writes the lines as UTF-8 CSV with a BOM (so Excel reads the
// accents), amounts as "1234.56", and a final total row.
func WriteCSV(w io.Writer, r Result, names map[string]string) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(csvHeader) //nolint:errcheck // checked by Flush/Error
	for _, l := range r.Lines {
		capStr := ""
		if l.Cap != nil {
			capStr = l.Cap.String()
		}
		cw.Write([]string{l.ID, names[l.ID], ratString(l.Weight), euros(l.RawShare), capStr, yesNo(l.Capped), l.Rounding.String(), l.Amount.String(), l.Explanation()}) //nolint:errcheck
	}
	cw.Write([]string{"TOTALE", "fondo " + r.Fund.String(), "", "", "", "", "", r.Allocated.String(), "non ripartito " + r.Unallocated.String()}) //nolint:errcheck
	cw.Flush()
	return cw.Error()
}

func yesNo(b bool) string {
	if b {
		return "sì"
	}
	return "no"
}

// WriteXLSX writes the same table as a spreadsheet, amounts as numbers
// with two decimals (each computed from its cents, so the sheet's sum
// equals the CSV's).
func WriteXLSX(w io.Writer, r Result, names map[string]string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "Riparto"
	f.SetSheetName(f.GetSheetName(0), sheet)
	num, _ := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	for c, h := range csvHeader {
		cell, _ := excelize.CoordinatesToCellName(c+1, 1)
		f.SetCellValue(sheet, cell, h)
	}
	amount := func(c money.Cents) any { v, _ := new(big.Rat).SetFrac64(int64(c), 100).Float64(); return v }
	for i, l := range r.Lines {
		row := i + 2
		vals := []any{l.ID, names[l.ID], ratString(l.Weight), euros(l.RawShare), "", yesNo(l.Capped), amount(l.Rounding), amount(l.Amount), l.Explanation()}
		if l.Cap != nil {
			vals[4] = amount(*l.Cap)
		}
		for c, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(c+1, row)
			f.SetCellValue(sheet, cell, v)
		}
		for _, c := range []int{5, 7, 8} {
			cell, _ := excelize.CoordinatesToCellName(c, row)
			f.SetCellStyle(sheet, cell, cell, num)
		}
	}
	total := len(r.Lines) + 2
	f.SetCellValue(sheet, fmt.Sprintf("A%d", total), "TOTALE")
	f.SetCellValue(sheet, fmt.Sprintf("H%d", total), amount(r.Allocated))
	f.SetCellStyle(sheet, fmt.Sprintf("H%d", total), fmt.Sprintf("H%d", total), num)
	f.SetCellValue(sheet, fmt.Sprintf("I%d", total), "fondo "+r.Fund.String()+", non ripartito "+r.Unallocated.String())
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}
