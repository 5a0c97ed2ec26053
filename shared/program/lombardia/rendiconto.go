package lombardia

import (
	"sportello/shared/money"
	"sportello/shared/program"
)

var _ program.Accounted = Program{}

// AnnualBudget: the admitted Comuni account for the months they made free
// (shared/rendiconto) against the measure's budget per educational year
// (DGR premises: €20,000,000.00).
func (Program) AnnualBudget() money.Cents { return money.Cents(20_000_000_00) }
