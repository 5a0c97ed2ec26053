// Package nidigratis computes Lombardy's "Nidi Gratis Plus 2025/2026"
// family contribution for one month (brief §3): what INPS's Bonus nido
// covers, what the Region pays on top, and what the family still pays.
package nidigratis

import (
	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// Monthly INPS Bonus nido, spread over 11 months (September–July).
var (
	bonusMonthly      = money.Cents(27273) // months 1–10
	bonusEleventh     = money.Cents(27270) // month 11: 10 × 272.73 + 272.70 = 3,000.00
	bonusMonthly2024  = money.Cents(32727) // children born from 1 January 2024 (increased bonus)
	bonusEleventh2024 = money.Cents(32730) // 10 × 327.27 + 327.30 = 3,600.00

	fullCoverMaxISEE = money.Euros(20000) // ≤ 20,000.00: the Region pays the whole excess
	partCoverMaxISEE = money.Euros(25000) // ≤ 25,000.00: at most 100 a month
	partCoverMonthly = money.Euros(100)
)

// Input is one month's case.
type Input struct {
	Fee          money.Cents // the monthly fee (retta) only
	ISEE         money.Cents
	BornFrom2024 bool
	Month        int // 1 = September … 11 = July
}

// Result is the split of the month's fee.
type Result struct {
	Eligible    bool        `json:"eligible"`
	INPSBonus   money.Cents `json:"inpsBonus"`
	Excess      money.Cents `json:"excess"`
	RegionShare money.Cents `json:"regionShare"`
	FamilyShare money.Cents `json:"familyShare"` // what the family pays out of pocket after INPS and the Region
}

// Compute applies the rules. The INPS bonus is capped at the fee (INPS
// never refunds more than was paid); the excess is the fee above the
// bonus; the Region pays all of it up to ISEE 20,000.00, at most 100.00
// a month up to 25,000.00, nothing above.
func Compute(in Input) Result {
	bonus := bonusMonthly
	switch {
	case in.BornFrom2024 && in.Month == 11:
		bonus = bonusEleventh2024
	case in.BornFrom2024:
		bonus = bonusMonthly2024
	case in.Month == 11:
		bonus = bonusEleventh
	}
	bonus = min(bonus, in.Fee)
	r := Result{INPSBonus: bonus, Excess: in.Fee - bonus}
	switch {
	case in.ISEE <= fullCoverMaxISEE:
		r.Eligible, r.RegionShare = true, r.Excess
	case in.ISEE <= partCoverMaxISEE:
		r.Eligible, r.RegionShare = true, min(r.Excess, partCoverMonthly)
	}
	r.FamilyShare = r.Excess - r.RegionShare
	return r
}

type wire struct {
	Fee          *money.Cents `json:"fee"`
	ISEE         *money.Cents `json:"isee"`
	BornFrom2024 *bool        `json:"bornFrom2024"`
	Month        *int         `json:"month"`
}

// DecodeRequest reads {"fee","isee","bornFrom2024","month"} strictly.
func DecodeRequest(body []byte) (Input, error) {
	var w wire
	if err := program.Strict(body, &w); err != nil {
		return Input{}, err
	}
	var f problem.Fields
	if w.Fee == nil {
		f.Add("fee", problem.FieldRequired, "Indicare la retta mensile (es. \"800.00\").")
	} else if *w.Fee < 0 {
		f.Add("fee", problem.FieldInvalid, "La retta non può essere negativa.")
	}
	if w.ISEE == nil {
		f.Add("isee", problem.FieldRequired, "Indicare l'ISEE (es. \"15000.00\").")
	} else if *w.ISEE < 0 {
		f.Add("isee", problem.FieldInvalid, "L'ISEE non può essere negativo.")
	}
	if w.BornFrom2024 == nil {
		f.Add("bornFrom2024", problem.FieldRequired, "Indicare se il bambino è nato dal 1° gennaio 2024 (true/false).")
	}
	if w.Month == nil {
		f.Add("month", problem.FieldRequired, "Indicare il mese (1 = settembre … 11 = luglio).")
	} else if *w.Month < 1 || *w.Month > 11 {
		f.Add("month", problem.FieldInvalid, "Il mese va da 1 (settembre) a 11 (luglio).")
	}
	if err := f.Err(problem.CodeValidation, "Dati del calcolo non validi."); err != nil {
		return Input{}, err
	}
	return Input{Fee: *w.Fee, ISEE: *w.ISEE, BornFrom2024: *w.BornFrom2024, Month: *w.Month}, nil
}
