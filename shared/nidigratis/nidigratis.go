// Package nidigratis computes Lombardy's "Nidi Gratis Plus 2025/2026"
// contribution for one month of one child's nursery fee (brief §3; seed
// 004, Avviso sections A.5, B.1 and the worked examples a–d; explained for
// officers in docs/riparto.md):
//
//   - INPS "Bonus nido": at most 272.73 euro a month for months 1–10 and
//     272.70 for the 11th (10 × 272.73 + 272.70 = 3,000.00 a year); for
//     children born from 1 January 2024, 327.27 and 327.30 (3,600.00). INPS
//     reimburses the fee actually paid, so the bonus is never more than the
//     fee.
//   - excess (quota eccedente) = fee − bonus, never below zero.
//   - Region: ISEE ≤ 20,000.00 pays the whole excess; 20,000.01–25,000.00
//     pays at most 100.00 a month; above 25,000.00 nothing.
//   - family: pays the rest, fee − bonus − Region.
//
// A family is eligible (ammissibile) when its ISEE is at most 25,000.00 and
// the fee is above the INPS bonus (Avviso A.5, requirement c: "retta
// mensile a carico dei genitori superiore all'importo rimborsabile da
// INPS"): with no excess there is nothing for the Region to cover.
package nidigratis

import (
	"fmt"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// Monthly INPS Bonus nido, spread over 11 months (September–July).
const (
	BonusMonthly      = money.Cents(27273) // months 1–10
	BonusEleventh     = money.Cents(27270) // month 11: 10 × 272.73 + 272.70 = 3,000.00
	BonusMonthly2024  = money.Cents(32727) // born from 1 January 2024 (increased bonus)
	BonusEleventh2024 = money.Cents(32730) // 10 × 327.27 + 327.30 = 3,600.00

	FullCoverMaxISEE = money.Cents(20000_00) // ≤ 20,000.00: the Region pays the whole excess
	PartCoverMaxISEE = money.Cents(25000_00) // ≤ 25,000.00: at most PartCoverMonthly
	PartCoverMonthly = money.Cents(100_00)   // 100.00 a month

	Months = 11 // September 2025 (1) … July 2026 (11)
)

// Input is one month's case.
type Input struct {
	Fee          money.Cents // the monthly fee (retta) only: no enrolment, meals…
	ISEE         money.Cents // ISEE minorenni
	BornFrom2024 bool        // the child was born on or after 1 January 2024
	Month        int         // 1 = September … 11 = July
}

// Result is the split of the month's fee. The four amounts satisfy
// INPSBonus + RegionShare + FamilyShare = fee and Excess = fee − INPSBonus.
type Result struct {
	Eligible    bool        `json:"eligible"`    // ISEE ≤ 25,000.00 and fee above the bonus
	INPSBonus   money.Cents `json:"inpsBonus"`   // what INPS reimburses to the family
	Excess      money.Cents `json:"excess"`      // the fee above the bonus (quota eccedente)
	RegionShare money.Cents `json:"regionShare"` // what the Region pays (through the Comune)
	FamilyShare money.Cents `json:"familyShare"` // what the family pays out of pocket after INPS and the Region
}

// Validate checks an Input that did not come from DecodeRequest: amounts
// not negative, month 1–11.
func (in Input) Validate() error {
	var f problem.Fields
	if in.Fee < 0 {
		f.Add("fee", problem.FieldInvalid, "La retta non può essere negativa.")
	}
	if in.ISEE < 0 {
		f.Add("isee", problem.FieldInvalid, "L'ISEE non può essere negativo.")
	}
	if in.Month < 1 || in.Month > Months {
		f.Add("month", problem.FieldInvalid, "Il mese va da 1 (settembre) a 11 (luglio).")
	}
	return f.Err(problem.CodeValidation, "Dati del calcolo non validi.")
}

// Bonus is the INPS bonus ceiling for the month (before limiting it to the fee).
func Bonus(bornFrom2024 bool, month int) money.Cents {
	switch {
	case bornFrom2024 && month == Months:
		return BonusEleventh2024
	case bornFrom2024:
		return BonusMonthly2024
	case month == Months:
		return BonusEleventh
	default:
		return BonusMonthly
	}
}

// Calculate validates in and applies the rules: the checked entry point for
// callers whose Input did not come from DecodeRequest.
func Calculate(in Input) (Result, error) {
	if err := in.Validate(); err != nil {
		return Result{}, err
	}
	return Compute(in), nil
}

// Compute applies the rules to a valid Input (one from DecodeRequest, or
// one that passed Validate). An invalid Input is a programming error and
// panics, rather than giving a wrong amount.
func Compute(in Input) Result {
	if err := in.Validate(); err != nil {
		panic(fmt.Sprintf("nidigratis.Compute on an invalid input: %v", err))
	}
	bonus := min(Bonus(in.BornFrom2024, in.Month), in.Fee)
	r := Result{INPSBonus: bonus, Excess: in.Fee - bonus}
	switch {
	case in.ISEE > PartCoverMaxISEE || r.Excess == 0:
		// Not eligible: above the ISEE ceiling, or nothing above the bonus.
	case in.ISEE <= FullCoverMaxISEE:
		r.Eligible, r.RegionShare = true, r.Excess
	default:
		r.Eligible, r.RegionShare = true, min(r.Excess, PartCoverMonthly)
	}
	r.FamilyShare = r.Excess - r.RegionShare
	return r
}

// maxBody bounds a calculator body: four short fields.
const maxBody = 4 << 10

type wire struct {
	Fee          *money.Cents `json:"fee"`
	ISEE         *money.Cents `json:"isee"`
	BornFrom2024 *bool        `json:"bornFrom2024"`
	Month        *int         `json:"month"`
}

// DecodeRequest reads {"fee":"800.00","isee":"15000.00","bornFrom2024":false,"month":1}
// strictly: all four fields are required; amounts are decimal strings with a
// dot and at most two decimals ("800,00", "1e3" and bare numbers are
// refused); month is a whole number 1–11; unknown fields are refused. Every
// wrong field is named: wrong types and formats give bad_request, missing or
// out-of-range values validation_failed.
func DecodeRequest(body []byte) (Input, error) {
	if len(body) > maxBody {
		return Input{}, problem.New(problem.CodeTooLarge, "Richiesta troppo grande.")
	}
	var w wire
	if err := program.Strict(body, &w); err != nil {
		return Input{}, err
	}
	var f problem.Fields
	switch {
	case w.Fee == nil:
		f.Add("fee", problem.FieldRequired, "Indicare la retta mensile (es. \"800.00\").")
	case *w.Fee < 0:
		f.Add("fee", problem.FieldInvalid, "La retta non può essere negativa.")
	}
	switch {
	case w.ISEE == nil:
		f.Add("isee", problem.FieldRequired, "Indicare l'ISEE minorenni (es. \"15000.00\").")
	case *w.ISEE < 0:
		f.Add("isee", problem.FieldInvalid, "L'ISEE non può essere negativo.")
	}
	if w.BornFrom2024 == nil {
		f.Add("bornFrom2024", problem.FieldRequired, "Indicare se il bambino è nato dal 1° gennaio 2024 (true/false).")
	}
	switch {
	case w.Month == nil:
		f.Add("month", problem.FieldRequired, "Indicare il mese (1 = settembre … 11 = luglio).")
	case *w.Month < 1 || *w.Month > Months:
		f.Add("month", problem.FieldInvalid, "Il mese va da 1 (settembre) a 11 (luglio).")
	}
	if err := f.Err(problem.CodeValidation, "Dati del calcolo non validi."); err != nil {
		return Input{}, err
	}
	return Input{Fee: *w.Fee, ISEE: *w.ISEE, BornFrom2024: *w.BornFrom2024, Month: *w.Month}, nil
}
