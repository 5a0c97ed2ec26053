// Package outputs is what the Region adopts, publishes and pays from once
// applications are reviewed: the elenco of admitted and excluded
// applications, the data of a concession decree for a riparto, the riparto
// itself, the Piemonte registry of services, and the call's own deadlines
// with what is still undone.
//
// Every list is described once (package export) and downloaded as JSON,
// CSV, XLSX or — for the lists a decree attaches — PDF. Only officers of
// the call's Region download them; each download is audited (who, what,
// which format, the file's SHA-256, when). A file is a function of stored
// data only — its date is the latest stored instant it shows, never the
// clock — so the same stored inputs give the same bytes.
package outputs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"sportello/shared/access"
	"sportello/shared/allocation"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/export"
	"sportello/shared/ident"
	"sportello/shared/money"
	"sportello/shared/pdfdoc"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/rendiconto"
	"sportello/shared/submission"
)

// Store is what the outputs read, and the audit trail they append to.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	// CurrentSubmissions lists a call's applications as they are now (an
	// elenco published right after a decision carries it).
	CurrentSubmissions(ctx context.Context, callID string) ([]submission.Submission, error)
	Run(ctx context.Context, id string) (allocation.Run, error)
	RunLines(ctx context.Context, id string) ([]allocation.Line, error)
	Runs(ctx context.Context, callID string) ([]allocation.Run, error)
	Advances(ctx context.Context, callID string) ([]rendiconto.Advance, error)
	// Audit appends a line alone: a download's access line, the one line
	// with no change to join (deliver).
	Audit(ctx context.Context, e audit.Entry) error
}

// Service builds the outputs.
type Service struct {
	Store    Store
	Programs map[string]program.Program
	// Names names an org or claim id ("comune:001272" → "Comune di
	// Torino"); nil or "" when unknown.
	Names allocation.Names
	Clock clock.Clock
	Log   *slog.Logger
}

// File is one download.
type File struct {
	Name        string // file name, e.g. "elenco-call_x.csv"
	ContentType string
	Body        []byte
}

// name is an id's name for people ("" when unknown).
func (s *Service) name(ctx context.Context, callID, id string) string {
	if s.Names == nil {
		return ""
	}
	return s.Names.OrgName(ctx, callID, id)
}

// officerCall loads a call for an officer of its Region: anyone else is
// refused (403), another Region's officer finds nothing (404).
func (s *Service) officerCall(ctx context.Context, p *auth.Principal, callID string) (call.Call, program.Program, error) {
	if err := access.Officer(p); err != nil {
		return call.Call{}, nil, err
	}
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return c, nil, err
	}
	if err := access.ManageCall(p, c.Region); err != nil {
		return call.Call{}, nil, err
	}
	prog, ok := s.Programs[c.Program]
	if !ok {
		return c, nil, fmt.Errorf("program %q not configured", c.Program)
	}
	return c, prog, nil
}

// render writes a table in a format; pdf gives the annex's frame.
func render(t *export.Table, f export.Format, pdf func() pdfdoc.TableData) ([]byte, error) {
	switch f {
	case export.CSV:
		return t.CSV()
	case export.XLSX:
		return t.XLSX()
	case export.PDF:
		data := pdf()
		data.Header, data.Widths, data.Right, data.Rows, data.Total = t.PDFColumns()
		data.GeneratedAt = t.Generated
		return pdfdoc.Table(data)
	}
	return t.JSON()
}

// deliver renders, audits the download and names the file.
func (s *Service) deliver(ctx context.Context, p *auth.Principal, c call.Call, what, base string, t *export.Table, f export.Format,
	pdf func() pdfdoc.TableData, detail map[string]string) (File, error) {
	body, err := render(t, f, pdf)
	if err != nil {
		return File{}, fmt.Errorf("render %s: %w", what, err)
	}
	sum := sha256.Sum256(body)
	d := map[string]string{"export": what, "format": string(f), "sha256": hex.EncodeToString(sum[:]), "rows": fmt.Sprint(len(t.Rows))}
	for k, v := range detail {
		d[k] = v
	}
	// A download changes nothing, so there is no transaction for its line
	// to join: the line is written before the bytes are handed back, so a
	// served export always has its line. A crash (or a lost answer) after
	// the line leaves the line of a download attempted and perhaps not
	// received: the line says the export was produced for this officer
	// (docs/reliability.md).
	if err := s.Store.Audit(ctx, audit.Entry{CallID: c.ID, At: s.Clock.Now(), Actor: p.Subject, Action: "export.downloaded", Detail: d}); err != nil {
		return File{}, err
	}
	s.Log.Info("export downloaded", "call", c.ID, "export", what, "format", string(f), "outcome", "downloaded")
	return File{Name: base + "." + string(f), ContentType: f.ContentType(), Body: body}, nil
}

// latest is the latest of some instants (zero when none).
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// Decree is the data of a concession decree for a finished run.
func (s *Service) Decree(ctx context.Context, p *auth.Principal, callID, runID string, f export.Format) (File, error) {
	c, _, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return File{}, err
	}
	run, lines, err := s.finishedRun(ctx, c, runID)
	if err != nil {
		return File{}, err
	}
	t := allocation.DecreeTable(run, lines)
	pdf := func() pdfdoc.TableData {
		meta := [][2]string{
			{"Bando", c.Title},
			{"Riparto", run.ID},
			{"Fondo annunciato", euro(run.Fund)},
			{"Importo assegnato", euro(run.Allocated)},
			{"Importo non assegnato", euro(run.Unallocated)},
			{"Beneficiari", fmt.Sprint(len(lines))},
			{"Annunciato il", clock.FormatRome(run.AnnouncedAt)},
			{"Calcolato il", clock.FormatRome(run.FinishedAt)},
			{"Impronta SHA-256 dei dati di input", run.InputSHA256},
			{"Motore di calcolo", run.EngineVersion},
		}
		if run.Note != "" {
			meta = append(meta, [2]string{"Nota dell'annuncio", run.Note})
		}
		if run.OnlyDecided {
			meta = append(meta, [2]string{"Domande non decise escluse dal riparto", strings.Join(run.LeftOut, ", ") + " (motivo: " + run.OverrideReason + ")"})
		}
		return pdfdoc.TableData{Region: program.Programs(s.Programs).RegionName(c.Region), Title: "Allegato al decreto di concessione – dati dei beneficiari", Subtitle: c.Title, Meta: meta,
			Note: "Gli importi sono in euro. Ogni importo è calcolato dal motore di riparto sui dati di input la cui impronta è indicata sopra; " +
				"i criteri applicati riportano il peso e il tetto che lo ha limitato. " + allocation.DecreeNote(run)}
	}
	return s.deliver(ctx, p, c, "decree", "decreto-"+run.ID, t, f, pdf, map[string]string{"allocation": run.ID})
}

// Riparto is a finished run's riparto table (every line with its exact
// share and explanation).
func (s *Service) Riparto(ctx context.Context, p *auth.Principal, callID, runID string, f export.Format) (File, error) {
	c, _, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return File{}, err
	}
	run, lines, err := s.finishedRun(ctx, c, runID)
	if err != nil {
		return File{}, err
	}
	return s.deliver(ctx, p, c, "riparto", "riparto-"+run.ID, allocation.RipartoTable(run, lines), f, nil, map[string]string{"allocation": run.ID})
}

func (s *Service) finishedRun(ctx context.Context, c call.Call, runID string) (allocation.Run, []allocation.Line, error) {
	if !ident.Valid("alloc", runID) {
		return allocation.Run{}, nil, problem.New(problem.CodeNotFound, "Riparto non trovato.")
	}
	run, err := s.Store.Run(ctx, runID)
	if err != nil || run.CallID != c.ID {
		return run, nil, problem.New(problem.CodeNotFound, "Riparto non trovato.")
	}
	if run.Status != allocation.Done {
		return run, nil, problem.New(problem.CodeConflict, "Il riparto non è ancora concluso (stato %s).", run.Status)
	}
	lines, err := s.Store.RunLines(ctx, runID)
	if err != nil {
		return run, nil, err
	}
	return run, lines, nil
}

func euro(c money.Cents) string { return export.DisplayText(export.Euro, export.E(c)) + " euro" }

// lastRun is the call's most recent finished run (ok false when none).
func (s *Service) lastRun(ctx context.Context, callID string) (allocation.Run, bool, error) {
	runs, err := s.Store.Runs(ctx, callID)
	if err != nil {
		return allocation.Run{}, false, err
	}
	var best allocation.Run
	found := false
	for _, r := range runs {
		if r.Status == allocation.Done && (!found || r.AnnouncedAt.After(best.AnnouncedAt) || r.AnnouncedAt.Equal(best.AnnouncedAt) && r.ID > best.ID) {
			best, found = r, true
		}
	}
	return best, found, nil
}

// filed lists a call's filed applications in register order.
func (s *Service) filed(ctx context.Context, callID string) ([]submission.Submission, error) {
	subs, err := s.Store.CurrentSubmissions(ctx, callID)
	if err != nil {
		return nil, err
	}
	out := subs[:0]
	for _, sub := range subs {
		if sub.Filed() {
			out = append(out, sub)
		}
	}
	slices.SortFunc(out, func(a, b submission.Submission) int {
		if c := a.Protocol.At.Compare(b.Protocol.At); c != 0 {
			return c
		}
		return strings.Compare(a.Protocol.Number, b.Protocol.Number)
	})
	return out, nil
}

func romeDate(t time.Time) string { return t.In(clock.Rome).Format("02/01/2006") }
