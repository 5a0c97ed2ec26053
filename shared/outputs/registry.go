package outputs

import (
	"context"
	"slices"
	"strings"

	"sportello/shared/auth"
	"sportello/shared/export"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// The registry's columns: what the Region sends on for the INPS Bonus
// Nidi, one row per service of every validated scheda.
var registryColumns = []export.Column{
	{Header: "codice_istat", Kind: export.Text, Width: 10},
	{Header: "comune", Kind: export.Text, Width: 24},
	{Header: "id_servizio", Kind: export.Text, Width: 14},
	{Header: "denominazione", Kind: export.Text, Width: 34},
	{Header: "tipologia", Kind: export.Text, Width: 24},
	{Header: "indirizzo", Kind: export.Text, Width: 34},
	{Header: "gestore", Kind: export.Text, Width: 30},
	{Header: "posti_autorizzati", Kind: export.Integer, Width: 10},
	{Header: "stato", Kind: export.Text, Width: 14},
	{Header: "atto", Kind: export.Text, Width: 30},
	{Header: "data_atto", Kind: export.Date, Width: 12},
	{Header: "motivo", Kind: export.Text, Width: 30},
	{Header: "media_frequentanti", Kind: export.Decimal, Width: 12},
	{Header: "periodo_dal", Kind: export.Date, Width: 12},
	{Header: "periodo_al", Kind: export.Date, Width: 12},
	{Header: "protocollo_scheda", Kind: export.Text, Width: 20},
	{Header: "data_validazione", Kind: export.Date, Width: 12},
}

// ServiceRegistry is the registry of services of a call's validated
// schede (Piemonte rilevazione): only what the Region validated is sent on.
func (s *Service) ServiceRegistry(ctx context.Context, p *auth.Principal, callID string, f export.Format) (File, error) {
	c, prog, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return File{}, err
	}
	if !isRegisterProgram(prog) {
		return File{}, problem.New(problem.CodeNotFound, "Questo bando non prevede il registro dei servizi.")
	}
	subs, err := s.filed(ctx, c.ID)
	if err != nil {
		return File{}, err
	}
	t := &export.Table{Name: "Registro servizi", Columns: registryColumns}
	slices.SortFunc(subs, func(a, b submission.Submission) int { return strings.Compare(a.Org, b.Org) })
	for _, sub := range subs {
		form, err := prog.Decode(sub.Data)
		if err != nil {
			return File{}, err
		}
		reg, ok := form.(program.ServiceRegister)
		if !ok {
			continue
		}
		if sub.State != submission.Validated || sub.Review == nil {
			continue
		}
		name := strings.TrimPrefix(s.name(ctx, c.ID, sub.Org), "Comune di ")
		t.Generated = latest(t.Generated, sub.Review.At)
		for _, svc := range reg.RegisteredServices() {
			t.Rows = append(t.Rows, []export.Value{
				export.T(program.OrgID(sub.Org)), export.T(name), export.T(svc.ID), export.T(svc.Name), export.T(svc.Type),
				export.T(svc.Address), export.T(svc.Operator), export.N(int64(svc.Places)), export.T(svc.Status), export.T(svc.Act),
				export.At(svc.ActDate.Time), export.T(svc.Reason), export.Dec(svc.AverageAttendance), export.At(svc.From.Time),
				export.At(svc.To.Time), export.T(sub.Protocol.Number), export.At(sub.Review.At),
			})
		}
	}
	return s.deliver(ctx, p, c, "service-registry", "registro-servizi-"+c.ID, t, f, nil, nil)
}

// isRegisterProgram probes whether a program's forms report services.
func isRegisterProgram(p program.Program) bool {
	f, err := p.Decode([]byte(`{}`))
	if err != nil {
		return false
	}
	_, ok := f.(program.ServiceRegister)
	return ok
}
