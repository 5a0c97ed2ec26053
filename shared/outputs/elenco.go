package outputs

import (
	"context"
	"fmt"
	"strings"

	"sportello/shared/allocation"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/export"
	"sportello/shared/money"
	"sportello/shared/pdfdoc"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// The elenco's columns. The PDF annex leaves out what does not fit an A4
// landscape page (org id, Comuni covered, reason codes, notes): the CSV
// and the workbook have everything.
var elencoColumns = []export.Column{
	{Header: "n", Kind: export.Integer, Width: 5, PDFWidth: 7},
	{Header: "protocollo", Kind: export.Text, Width: 20, PDFWidth: 30},
	{Header: "data_ora_protocollo", Kind: export.DateTime, Width: 20, PDFWidth: 24},
	{Header: "denominazione", Kind: export.Text, Width: 34, PDFWidth: 32},
	{Header: "codice_fiscale", Kind: export.Text, Width: 18, PDFWidth: 24},
	{Header: "ente", Kind: export.Text, Width: 22},
	{Header: "strutture_o_servizi", Kind: export.Text, Width: 40, PDFWidth: 32},
	{Header: "comuni_coperti", Kind: export.Text, Width: 30},
	{Header: "strutture_ammesse", Kind: export.Text, Width: 30, PDFWidth: 26},
	{Header: "esito", Kind: export.Text, Width: 16, PDFWidth: 18},
	{Header: "data_decisione", Kind: export.Date, Width: 12, PDFWidth: 17},
	{Header: "motivi_esclusione", Kind: export.Text, Width: 24},
	{Header: "descrizione_motivi", Kind: export.Text, Width: 40, PDFWidth: 30},
	{Header: "note", Kind: export.Text, Width: 40},
	{Header: "importo_euro", Kind: export.Euro, Width: 16, PDFWidth: 20},
}

// Outcome is the Italian word for an application's state in the elenco.
func Outcome(s submission.State) string {
	switch s {
	case submission.Submitted:
		return "In istruttoria"
	case submission.IntegrationRequested:
		return "Integrazione richiesta"
	case submission.Admitted:
		return "Ammessa"
	case submission.Excluded:
		return "Esclusa"
	case submission.Validated:
		return "Validata"
	case submission.Rejected:
		return "Respinta per correzione"
	}
	return string(s)
}

// elenco is the table and what its PDF says about it.
type elenco struct {
	table  *export.Table
	counts map[string]int
	run    *allocation.Run
}

func (s *Service) elenco(ctx context.Context, c call.Call, prog program.Program) (elenco, error) {
	subs, err := s.filed(ctx, c.ID)
	if err != nil {
		return elenco{}, err
	}
	out := elenco{table: &export.Table{Name: "Elenco ammessi ed esclusi", Columns: elencoColumns}, counts: map[string]int{}}
	amounts := map[string]money.Cents{}
	if run, ok, err := s.lastRun(ctx, c.ID); err != nil {
		return elenco{}, err
	} else if ok {
		lines, err := s.Store.RunLines(ctx, run.ID)
		if err != nil {
			return elenco{}, err
		}
		for _, l := range lines {
			amounts[l.SubmissionID] = l.Amount
		}
		out.run = &run
		out.table.Generated = latest(out.table.Generated, run.FinishedAt)
	}
	titles := map[string]string{}
	if ex, ok := prog.(program.Excluder); ok {
		for _, r := range ex.ExclusionReasons() {
			titles[r.Code] = r.Title
		}
	}
	for i, sub := range subs {
		row, err := s.elencoRow(ctx, c, prog, sub, titles)
		if err != nil {
			return elenco{}, err
		}
		row[0] = export.N(int64(i + 1))
		if a, ok := amounts[sub.ID]; ok {
			row[14] = export.E(a)
		}
		out.table.Rows = append(out.table.Rows, row)
		out.counts[Outcome(sub.State)]++
		out.table.Generated = latest(out.table.Generated, sub.Protocol.At, sub.UpdatedAt)
		if sub.Review != nil {
			out.table.Generated = latest(out.table.Generated, sub.Review.At)
		}
	}
	if out.run != nil {
		var total money.Cents
		for _, a := range amounts {
			total += a
		}
		out.table.Total = make([]export.Value, len(elencoColumns))
		out.table.Total[3], out.table.Total[14] = export.T("TOTALE"), export.E(total)
	}
	return out, nil
}

func (s *Service) elencoRow(ctx context.Context, c call.Call, prog program.Program, sub submission.Submission, titles map[string]string) ([]export.Value, error) {
	row := make([]export.Value, len(elencoColumns))
	name, cf := "", ""
	var covers, comuni []string
	form, err := prog.Decode(sub.Data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", sub.ID, err)
	}
	if who, ok := form.(program.Identified); ok {
		name, cf = who.Applicant()
		covers = who.Covers()
	}
	if name == "" {
		name = s.name(ctx, c.ID, sub.Org)
	}
	if name == "" {
		name = sub.Summary
	}
	for _, claim := range form.Claims(sub.Org) {
		if kind, _, _ := strings.Cut(claim, ":"); kind == program.KindComune {
			n := s.name(ctx, c.ID, claim)
			if n == "" {
				n = claim
			}
			comuni = append(comuni, n)
		}
	}
	row[1], row[2] = export.T(sub.Protocol.Number), export.At(sub.Protocol.At)
	row[3], row[4], row[5] = export.T(name), export.T(cf), export.T(sub.Org)
	row[6], row[7] = export.T(strings.Join(covers, "; ")), export.T(strings.Join(comuni, "; "))
	row[9] = export.T(Outcome(sub.State))
	if r := sub.Review; r != nil {
		row[10] = export.At(r.At)
		if sub.State == submission.Admitted {
			admitted := r.Admitted
			if len(admitted) == 0 {
				admitted = covers // admitted as filed: every facility
			}
			row[8] = export.T(strings.Join(admitted, "; "))
		}
		if sub.State == submission.Excluded {
			codes := r.Reasons
			if len(codes) == 0 {
				codes = []string{"other"}
			}
			var ts []string
			for _, code := range codes {
				t := titles[code]
				if t == "" {
					t = "Altro motivo (indicato nelle note)"
				}
				ts = append(ts, t)
			}
			row[11], row[12] = export.T(strings.Join(codes, "; ")), export.T(strings.Join(ts, "; "))
		}
		if sub.State == submission.Excluded || sub.State == submission.Rejected || sub.State == submission.IntegrationRequested {
			row[13] = export.T(r.Notes)
		}
	}
	return row, nil
}

// Elenco is the list of every filed application of a call with its
// outcome: the elenco degli ammessi e degli esclusi.
func (s *Service) Elenco(ctx context.Context, p *auth.Principal, callID string, f export.Format) (File, error) {
	c, prog, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return File{}, err
	}
	e, err := s.elenco(ctx, c, prog)
	if err != nil {
		return File{}, err
	}
	pdf := func() pdfdoc.TableData {
		meta := [][2]string{{"Bando", c.Title}, {"Domande protocollate", fmt.Sprint(len(e.table.Rows))}}
		for _, o := range []submission.State{submission.Admitted, submission.Validated, submission.Excluded, submission.Rejected,
			submission.Submitted, submission.IntegrationRequested} {
			if n := e.counts[Outcome(o)]; n > 0 {
				meta = append(meta, [2]string{Outcome(o), fmt.Sprint(n)})
			}
		}
		if e.run != nil {
			meta = append(meta, [2]string{"Importi dal riparto", fmt.Sprintf("%s del %s (impronta %s)", e.run.ID, romeDate(e.run.FinishedAt), e.run.InputSHA256)})
		}
		return pdfdoc.TableData{Region: program.Programs(s.Programs).RegionName(c.Region), Title: "Elenco degli ammessi e degli esclusi", Subtitle: c.Title, Meta: meta,
			Note: "Data e ora di protocollo nel fuso orario di Roma. I motivi di esclusione sono quelli codificati dal bando; le note del funzionario sono nel file CSV/XLSX."}
	}
	return s.deliver(ctx, p, c, "elenco", "elenco-"+c.ID, e.table, f, pdf, nil)
}
