package outputs

import (
	"context"
	"fmt"

	"sportello/shared/auth"
	"sportello/shared/export"
	"sportello/shared/money"
	"sportello/shared/problem"
)

var advanceColumns = []export.Column{
	{Header: "Codice ISTAT", Kind: export.Text, Width: 14},
	{Header: "Comune", Kind: export.Text, Width: 34},
	{Header: "Base storica", Kind: export.Euro, Width: 16},
	{Header: "Percentuale", Kind: export.Decimal, Width: 12},
	{Header: "Anticipo", Kind: export.Euro, Width: 16},
}

// Advances is the payment order of a call's Nidi Gratis Plus advances
// (docs/rendicontazione.md): each Comune's historical basis, the
// percentage and the advance, with their totals, dated when the officer
// ordered them so that the same advances always give the same bytes.
func (s *Service) Advances(ctx context.Context, p *auth.Principal, callID string, f export.Format) (File, error) {
	c, _, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return File{}, err
	}
	adv, err := s.Store.Advances(ctx, c.ID)
	if err != nil {
		return File{}, err
	}
	if len(adv) == 0 {
		return File{}, problem.New(problem.CodeNotFound, "Gli anticipi del bando non sono ancora stati disposti.")
	}
	t := &export.Table{Name: "Anticipi", Columns: advanceColumns, Generated: adv[0].OrderedAt}
	var bases, total money.Cents
	for _, a := range adv {
		bases += a.Historical
		total += a.Amount
		t.Rows = append(t.Rows, []export.Value{export.T(a.Org), export.T(s.name(ctx, c.ID, a.Org)), export.E(a.Historical),
			export.Dec(fmt.Sprintf("%d.%02d", a.BP/100, a.BP%100)), export.E(a.Amount)})
	}
	t.Total = []export.Value{export.T("Totale"), {}, export.E(bases), {}, export.E(total)}
	return s.deliver(ctx, p, c, "advances", "anticipi-"+c.ID, t, f, nil, map[string]string{"total": total.String()})
}
