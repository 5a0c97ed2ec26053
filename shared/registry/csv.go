package registry

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// MaxRows bounds an import: Lombardy's AFAM_UDOS nidi are a few thousand.
const MaxRows = 50000

// maxCell bounds one cell: names and addresses, never essays.
const maxCell = 500

// Columns of the two imports, in order.
var (
	PreloadedColumns = []string{"service_id", "comune_istat", "name", "type", "address", "operator", "places", "authorised_on"}
	// PreloadedActColumn may follow PreloadedColumns: the reference of the
	// latest authorisation act the Region knows, which the Comune sees
	// beside the service and its form must match.
	PreloadedActColumn = "authorisation_act"
	FacilityColumns    = []string{"code", "name", "comune_istat", "address", "public", "places", "active"}
)

// reader wraps encoding/csv with the checks both imports share: UTF-8 (a
// BOM is dropped), comma or semicolon separators (an Italian Excel saves
// "CSV" with semicolons; the header line decides), the exact header, a
// bounded number of rows, and errors that name line and column in Italian.
// Every bad cell is reported; nothing is imported unless all are good.
type reader struct {
	r       *csv.Reader
	columns []string
	fields  problem.Fields
	line    int
}

// newReader reads the header: exactly columns, or columns followed by
// optional (then the records carry them too).
func newReader(in io.Reader, columns []string, optional ...string) (*reader, error) {
	br := bufio.NewReader(in)
	first, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	first = bytes.TrimPrefix(first, []byte("\ufeff"))
	headerLine, _, _ := bytes.Cut(first, []byte("\n"))
	r := csv.NewReader(br)
	if bytes.Count(headerLine, []byte(";")) > bytes.Count(headerLine, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1 // a wrong header is reported as such below
	header, err := r.Read()
	if err != nil || len(header) == 0 {
		return nil, problem.New(problem.CodeBadRequest, "File CSV illeggibile o vuoto: la prima riga deve essere %s.", strings.Join(columns, ","))
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if len(optional) > 0 && slices.Equal(header, append(slices.Clone(columns), optional...)) {
		columns = header
	}
	if !slices.Equal(header, columns) {
		return nil, problem.New(problem.CodeBadRequest, "Intestazione del CSV errata (riga 1): attese le colonne %s.", strings.Join(columns, ","))
	}
	r.FieldsPerRecord = len(columns)
	return &reader{r: r, columns: columns, line: 1}, nil
}

// next returns the next record with its cells trimmed, or nil at the end.
// A malformed line stops the import: what follows it cannot be trusted.
func (rd *reader) next() ([]string, error) {
	rec, err := rd.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return nil, problem.New(problem.CodeBadRequest, "Riga %d: %s.", perr.Line, csvReason(perr.Err, len(rd.columns)))
	}
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	rd.line, _ = rd.r.FieldPos(0)
	if rd.line > MaxRows+1 {
		return nil, problem.New(problem.CodeTooLarge, "Il file supera le %d righe.", MaxRows)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
		switch {
		case !utf8.ValidString(rec[i]):
			rd.fail(i, "Testo non in UTF-8: salvare il file come «CSV UTF-8».")
		case len(rec[i]) > maxCell:
			rd.fail(i, "Al massimo %d caratteri.", maxCell)
		}
	}
	return rec, nil
}

func csvReason(err error, columns int) string {
	switch {
	case errors.Is(err, csv.ErrFieldCount):
		return fmt.Sprintf("numero di colonne errato (attese %d)", columns)
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return "virgolette non bilanciate"
	}
	return "riga illeggibile"
}

// fail records a problem with column col of the current line; the field
// path reads "riga 3, colonna places".
func (rd *reader) fail(col int, format string, args ...any) {
	rd.fields.Add(fmt.Sprintf("riga %d, colonna %s", rd.line, rd.columns[col]), problem.FieldInvalid, format, args...)
}

func (rd *reader) err() error {
	return rd.fields.Err(problem.CodeValidation, "Il file contiene righe non valide: nulla è stato importato.")
}

func (rd *reader) places(col int, v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 10000 || v != strconv.Itoa(n) {
		rd.fail(col, "Numero di posti non valido: %q (un intero da 0 a 10000).", v)
	}
	return n
}

func (rd *reader) boolean(col int, v string) bool {
	switch strings.ToLower(v) {
	case "true", "si", "sì", "s", "1":
		return true
	case "false", "no", "n", "0":
		return false
	}
	rd.fail(col, "Valore non valido %q: usare sì o no.", v)
	return false
}

func (rd *reader) istat(col int, v string) {
	if !program.ValidISTAT(v) {
		rd.fail(col, "Codice ISTAT non valido: %q (sei cifre, es. 001272; attenzione agli zeri iniziali tolti da Excel).", v)
	}
}

func (rd *reader) code(col int, v, what string, seen map[string]int) {
	switch {
	case v == "":
		rd.fail(col, "%s mancante.", what)
	case len(v) > 40 || strings.ContainsAny(v, " \t"):
		rd.fail(col, "%s non valido: %q (al massimo 40 caratteri, senza spazi).", what, v)
	case seen[v] > 0:
		rd.fail(col, "%s %q ripetuto (già alla riga %d).", what, v, seen[v])
	default:
		seen[v] = rd.line
	}
}

// readRows reads every record of an import through row: either every row
// is good, or nothing is returned and every bad cell is named.
func readRows[T any](in io.Reader, columns []string, row func(rd *reader, rec []string, seen map[string]int) T, optional ...string) ([]T, error) {
	rd, err := newReader(in, columns, optional...)
	if err != nil {
		return nil, err
	}
	var out []T
	seen := map[string]int{}
	for {
		rec, err := rd.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		out = append(out, row(rd, rec, seen))
	}
	if err := rd.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadPreloaded reads the Piemonte pre-loaded services CSV (columns
// PreloadedColumns, optionally PreloadedActColumn; authorised_on as
// AAAA-MM-GG). Either every row is good, or nothing is imported and every
// bad cell is named.
func ReadPreloaded(in io.Reader) ([]program.PreloadedService, error) {
	return readRows(in, PreloadedColumns, func(rd *reader, rec []string, seen map[string]int) program.PreloadedService {
		s := program.PreloadedService{ID: rec[0], ComuneISTAT: rec[1], Name: rec[2], Type: rec[3], Address: rec[4], Operator: rec[5]}
		rd.code(0, s.ID, "Identificativo del servizio", seen)
		rd.istat(1, s.ComuneISTAT)
		if s.Name == "" {
			rd.fail(2, "Denominazione mancante.")
		}
		s.Places = rd.places(6, rec[6])
		if rec[7] != "" {
			d, err := program.ParseDate(rec[7])
			if err != nil {
				rd.fail(7, "Data di autorizzazione non valida: %q (AAAA-MM-GG).", rec[7])
			}
			s.AuthorisedOn = d.Time
		}
		if len(rec) > 8 {
			s.AuthorisationAct = rec[8]
		}
		return s
	}, PreloadedActColumn)
}

// ReadFacilities reads the Lombardy AFAM_UDOS CSV (columns
// FacilityColumns; public and active as sì/no).
func ReadFacilities(in io.Reader) ([]program.Facility, error) {
	return readRows(in, FacilityColumns, func(rd *reader, rec []string, seen map[string]int) program.Facility {
		f := program.Facility{Code: rec[0], Name: rec[1], ComuneISTAT: rec[2], Address: rec[3]}
		rd.code(0, f.Code, "Codice AFAM_UDOS", seen)
		if f.Name == "" {
			rd.fail(1, "Denominazione mancante.")
		}
		rd.istat(2, f.ComuneISTAT)
		f.Public = rd.boolean(4, rec[4])
		f.Places = rd.places(5, rec[5])
		f.Active = rd.boolean(6, rec[6])
		return f
	})
}

// Preloaded is the list of pre-loaded services, for the programs that
// check forms against it (program.Lister).
var Preloaded = program.ReferenceList{Kind: program.ListPreloaded, Read: func(in io.Reader) ([]program.Row, error) {
	rows, err := ReadPreloaded(in)
	if err != nil {
		return nil, err
	}
	return PreloadedRows(rows)
}}

// Facilities is the AFAM_UDOS list of facilities, for the programs that
// check forms against it (program.Lister).
var Facilities = program.ReferenceList{Kind: program.ListFacilities, Read: func(in io.Reader) ([]program.Row, error) {
	rows, err := ReadFacilities(in)
	if err != nil {
		return nil, err
	}
	return FacilityRows(rows)
}}

// PreloadedRows files pre-loaded services under their Comune.
func PreloadedRows(services []program.PreloadedService) ([]program.Row, error) {
	out := make([]program.Row, len(services))
	for i, s := range services {
		r, err := program.NewRow(program.ListPreloaded, s.ID, s.ComuneISTAT, s)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// FacilityRows files facilities under their code.
func FacilityRows(facilities []program.Facility) ([]program.Row, error) {
	out := make([]program.Row, len(facilities))
	for i, f := range facilities {
		r, err := program.NewRow(program.ListFacilities, f.Code, f.Code, f)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// AdhesionColumns are the columns of the previous edition's adhesions
// (Lombardy 2024/25): one row per fee line — a Comune, one of its
// facilities, one attendance mode — with the fees the Region approved at
// ISEE 20,000 and 25,000. The Comune's participation (application_type,
// association_kind, members: ISTAT codes separated by spaces) repeats on
// each of its rows and must be the same on all of them.
var AdhesionColumns = []string{"comune_istat", "application_type", "association_kind", "members", "afam_udos", "mode", "mode_description",
	"total_20000", "family_share_20000", "comune_share_20000", "total_25000", "family_share_25000", "comune_share_25000"}

// ReadAdhesions reads the adhesions CSV. Amounts are euros with two
// decimals, with a dot or (as an Italian Excel writes them) a comma; a
// Comune share may be empty. Either every row is good, or nothing is
// imported and every bad cell is named.
func ReadAdhesions(in io.Reader) ([]program.AdhesionLine, error) {
	comuni := map[string]program.AdhesionLine{} // the first row of each Comune
	first := map[string]int{}
	return readRows(in, AdhesionColumns, func(rd *reader, rec []string, seen map[string]int) program.AdhesionLine {
		l := program.AdhesionLine{ComuneISTAT: rec[0], ApplicationType: rec[1], AssociationKind: rec[2], Members: strings.Fields(rec[3]),
			Facility: rec[4], Mode: rec[5], ModeDescription: rec[6]}
		rd.istat(0, l.ComuneISTAT)
		switch l.ApplicationType {
		case "single":
			if l.AssociationKind != "" || len(l.Members) > 0 {
				rd.fail(2, "Una domanda singola non ha forma associata né Comuni associati.")
			}
		case "associated":
			if l.AssociationKind == "" {
				rd.fail(2, "Indicare la forma associata.")
			}
			if len(l.Members) == 0 {
				rd.fail(3, "Indicare i codici ISTAT dei Comuni associati, separati da spazi.")
			}
			for _, m := range l.Members {
				rd.istat(3, m)
			}
		default:
			rd.fail(1, "Forma di partecipazione %q: single o associated.", l.ApplicationType)
		}
		switch {
		case l.Facility == "":
			rd.fail(4, "Codice AFAM_UDOS mancante.")
		case len(l.Facility) > 40 || strings.ContainsAny(l.Facility, " \t"):
			rd.fail(4, "Codice AFAM_UDOS non valido: %q.", l.Facility)
		}
		if l.Mode == "" || strings.Trim(l.Mode, "abcdefghijklmnopqrstuvwxyz_") != "" {
			rd.fail(5, "Modalità di frequenza non valida: %q (es. full_time).", l.Mode)
		}
		l.ISEE20000 = rd.fees(7, rec[7:10])
		l.ISEE25000 = rd.fees(10, rec[10:13])
		key := l.ComuneISTAT + "\x00" + program.LineKey(l.Facility, l.Mode, l.ModeDescription)
		if seen[key] > 0 {
			rd.fail(5, "Riga ripetuta: stessa struttura e modalità già alla riga %d.", seen[key])
		}
		seen[key] = rd.line
		if c, ok := comuni[l.ComuneISTAT]; !ok {
			comuni[l.ComuneISTAT], first[l.ComuneISTAT] = l, rd.line
		} else if c.ApplicationType != l.ApplicationType || c.AssociationKind != l.AssociationKind || strings.Join(c.Members, " ") != strings.Join(l.Members, " ") {
			rd.fail(1, "La partecipazione del Comune %s è diversa da quella della riga %d: deve essere la stessa su tutte le sue righe.", l.ComuneISTAT, first[l.ComuneISTAT])
		}
		return l
	})
}

// fees reads total, family share and (optional) Comune share from the
// three cells starting at column col.
func (rd *reader) fees(col int, cells []string) program.Fees {
	amount := func(i int, optional bool) *money.Cents {
		v := strings.Replace(cells[i], ",", ".", 1)
		if v == "" && optional {
			return nil
		}
		c, err := money.ParseNonNegative(v)
		if err != nil {
			rd.fail(col+i, "Importo non valido: %q (euro con due decimali, es. 435,00).", cells[i])
			return nil
		}
		return &c
	}
	var f program.Fees
	total, family := amount(0, false), amount(1, false)
	f.ComuneShare = amount(2, true)
	if total != nil && family != nil {
		f.Total, f.FamilyShare = *total, *family
		switch {
		case *total == 0:
			rd.fail(col, "La retta complessiva deve essere maggiore di zero.")
		case *family > *total:
			rd.fail(col+1, "La quota della famiglia supera la retta complessiva.")
		}
	}
	return f
}

// Adhesions is the list of the previous edition's adhesions, for the
// programs that pre-load them (program.Lister).
var Adhesions = program.ReferenceList{Kind: program.ListAdhesions, Read: func(in io.Reader) ([]program.Row, error) {
	lines, err := ReadAdhesions(in)
	if err != nil {
		return nil, err
	}
	out := make([]program.Row, len(lines))
	for i, l := range lines {
		id := l.ComuneISTAT + "|" + l.Facility + "|" + l.Mode + "|" + strings.ToLower(strings.TrimSpace(l.ModeDescription))
		if out[i], err = program.NewRow(program.ListAdhesions, id, l.ComuneISTAT, l); err != nil {
			return nil, err
		}
	}
	return out, nil
}}
