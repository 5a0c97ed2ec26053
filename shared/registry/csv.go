package registry

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sportello/shared/problem"
	"sportello/shared/program"
)

// MaxRows bounds an import.
const MaxRows = 50000

// Columns of the two imports, in order.
var (
	PreloadedColumns = []string{"service_id", "comune_istat", "name", "type", "address", "operator", "places", "authorised_on"}
	FacilityColumns  = []string{"code", "name", "comune_istat", "address", "public", "places", "active"}
)

// reader wraps encoding/csv with the checks both imports share: UTF-8
// (a BOM is dropped), the exact header, a bounded number of rows, and
// errors that name line and column in Italian.
type reader struct {
	r      *csv.Reader
	fields problem.Fields
	line   int
}

func newReader(in io.Reader, columns []string) (*reader, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = len(columns)
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return nil, problem.New(problem.CodeBadRequest, "File CSV illeggibile o vuoto: la prima riga deve essere %s.", strings.Join(columns, ","))
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	if !slices.Equal(header, columns) {
		return nil, problem.New(problem.CodeBadRequest, "Intestazione del CSV errata: attesa %s.", strings.Join(columns, ","))
	}
	return &reader{r: r, line: 1}, nil
}

// next returns the next record, or nil at the end.
func (rd *reader) next() ([]string, error) {
	rec, err := rd.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	rd.line++
	if rd.line > MaxRows+1 {
		return nil, problem.New(problem.CodeTooLarge, "Il file supera %d righe.", MaxRows)
	}
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return nil, problem.New(problem.CodeBadRequest, "Riga %d: %s.", perr.Line, csvReason(perr.Err))
	}
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	return rec, nil
}

func csvReason(err error) string {
	switch {
	case errors.Is(err, csv.ErrFieldCount):
		return "numero di colonne errato"
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return "virgolette non bilanciate"
	}
	return "riga illeggibile"
}

func (rd *reader) fail(column, format string, args ...any) {
	rd.fields.Add(fmt.Sprintf("riga %d, %s", rd.line, column), problem.FieldInvalid, format, args...)
}

func (rd *reader) err() error {
	return rd.fields.Err(problem.CodeValidation, "Il file contiene righe non valide: nulla è stato importato.")
}

func (rd *reader) places(column, v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 10000 {
		rd.fail(column, "Numero di posti non valido: %q.", v)
	}
	return n
}

func (rd *reader) boolean(column, v string) bool {
	switch strings.ToLower(v) {
	case "true", "si", "sì", "1", "s":
		return true
	case "false", "no", "0", "n":
		return false
	}
	rd.fail(column, "Valore non valido %q: usare sì/no.", v)
	return false
}

// ReadPreloaded reads the Piemonte pre-loaded services CSV. Either every
// row is good, or nothing is imported.
func ReadPreloaded(in io.Reader) ([]program.PreloadedService, error) {
	rd, err := newReader(in, PreloadedColumns)
	if err != nil {
		return nil, err
	}
	var out []program.PreloadedService
	seen := map[string]bool{}
	for {
		rec, err := rd.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		s := program.PreloadedService{ID: rec[0], ComuneISTAT: rec[1], Name: rec[2], Type: rec[3], Address: rec[4], Operator: rec[5]}
		if s.ID == "" || len(s.ID) > 40 || seen[s.ID] {
			rd.fail("service_id", "Identificativo mancante, troppo lungo o ripetuto: %q.", s.ID)
		}
		seen[s.ID] = true
		if !program.ValidISTAT(s.ComuneISTAT) {
			rd.fail("comune_istat", "Codice ISTAT non valido: %q.", s.ComuneISTAT)
		}
		if s.Name == "" {
			rd.fail("name", "Denominazione mancante.")
		}
		s.Places = rd.places("places", rec[6])
		d, err := program.ParseDate(rec[7])
		if err != nil {
			rd.fail("authorised_on", "Data di autorizzazione non valida: %q (AAAA-MM-GG).", rec[7])
		}
		s.AuthorisedOn = d.Time
		out = append(out, s)
	}
	return out, rd.err()
}

// ReadFacilities reads the Lombardy AFAM_UDOS CSV.
func ReadFacilities(in io.Reader) ([]program.Facility, error) {
	rd, err := newReader(in, FacilityColumns)
	if err != nil {
		return nil, err
	}
	var out []program.Facility
	seen := map[string]bool{}
	for {
		rec, err := rd.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		f := program.Facility{Code: rec[0], Name: rec[1], ComuneISTAT: rec[2], Address: rec[3]}
		if f.Code == "" || len(f.Code) > 40 || seen[f.Code] {
			rd.fail("code", "Codice AFAM_UDOS mancante, troppo lungo o ripetuto: %q.", f.Code)
		}
		seen[f.Code] = true
		if f.Name == "" {
			rd.fail("name", "Denominazione mancante.")
		}
		if !program.ValidISTAT(f.ComuneISTAT) {
			rd.fail("comune_istat", "Codice ISTAT non valido: %q.", f.ComuneISTAT)
		}
		f.Public = rd.boolean("public", rec[4])
		f.Places = rd.places("places", rec[5])
		f.Active = rd.boolean("active", rec[6])
		out = append(out, f)
	}
	return out, rd.err()
}

func sortComuni(c []program.Comune) {
	sort.Slice(c, func(i, j int) bool { return c[i].ISTAT < c[j].ISTAT })
}
