package riparto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode/utf8"

	"sportello/shared/money"
	"sportello/shared/problem"
)

// MaxBeneficiaries bounds a what-if request (the engine itself has no
// limit: a call's own riparto may be larger).
const MaxBeneficiaries = 100_000

// MaxRequestBytes bounds a what-if body before any parsing.
const MaxRequestBytes = 16 << 20

// maxIDBytes bounds one beneficiary id.
const maxIDBytes = 200

// Weight grammar limits: digits, an optional dot and decimals.
const (
	maxWeightIntDigits  = 15
	maxWeightFracDigits = 12
)

// Request is the what-if body of POST /v1/calculators/riparto:
// {"fund":"1000.00","beneficiaries":[{"id":"a","weight":"12.5","cap":"300.00"}]}.
type Request struct {
	Fund          money.Cents
	Beneficiaries []Beneficiary
}

var errWeightFormat = errors.New(`peso non valido: un numero non negativo scritto come testo, con il punto e al massimo 12 decimali (es. "12.5")`)

// ParseWeight reads a non-negative decimal weight ("12", "12.5",
// "0.333333") into an exact rational. It refuses signs, exponents, commas,
// spaces, leading zeros ("007") and bare dots: a weight is never guessed.
func ParseWeight(s string) (*big.Rat, error) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" || len(intPart) > maxWeightIntDigits || !allDigits(intPart) ||
		(len(intPart) > 1 && intPart[0] == '0') ||
		(hasDot && (frac == "" || len(frac) > maxWeightFracDigits || !allDigits(frac))) {
		return nil, errWeightFormat
	}
	num, _ := new(big.Int).SetString(intPart+frac, 10)
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	return new(big.Rat).SetFrac(num, den), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// DecodeRequest reads a what-if request strictly and reports every wrong
// field at once with its path ("beneficiaries[3].weight"). Amounts and
// weights must be JSON strings ("800.00", "12.5"): a bare number may
// already have passed through a float. Unknown and repeated keys are
// refused. Malformed JSON, unknown fields and wrong types or formats give
// bad_request; well-formed but wrong values (missing, negative, repeated
// ids, too many beneficiaries) give validation_failed. A decoded request
// passes Allocate's checks except, possibly, "all weights are zero".
func DecodeRequest(body []byte) (Request, error) {
	if len(body) > MaxRequestBytes {
		return Request{}, problem.New(problem.CodeTooLarge, "Richiesta troppo grande: al massimo %d MiB.", MaxRequestBytes>>20)
	}
	d := &decoder{dec: json.NewDecoder(bytes.NewReader(body))}
	d.dec.UseNumber()
	req, err := d.request()
	if err != nil {
		return Request{}, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return Request{}, problem.New(problem.CodeBadRequest, "La richiesta contiene dati dopo l'oggetto JSON.")
	}
	if len(d.malformed) > 0 {
		return Request{}, problem.Fields(append(d.malformed, d.invalid...)).Err(problem.CodeBadRequest,
			"La richiesta di riparto contiene campi non previsti o valori del tipo o formato sbagliato.")
	}
	if len(d.invalid) > 0 {
		return Request{}, d.invalid.Err(problem.CodeValidation, "La richiesta di riparto non è valida.")
	}
	if _, err := validate(req.Fund, req.Beneficiaries); err != nil {
		return Request{}, err
	}
	return req, nil
}

// decoder walks the JSON tokens, so that every error has its path and a
// large list costs no intermediate tree.
type decoder struct {
	dec       *json.Decoder
	malformed problem.Fields // unknown fields, wrong types, bad formats
	invalid   problem.Fields // well-formed wrong values
}

func (d *decoder) bad(path, code, format string, args ...any) {
	if len(d.malformed)+len(d.invalid) < maxFieldErrors {
		d.malformed.Add(path, code, format, args...)
	}
}

func (d *decoder) wrong(path, code, format string, args ...any) {
	if len(d.malformed)+len(d.invalid) < maxFieldErrors {
		d.invalid.Add(path, code, format, args...)
	}
}

// syntax turns a tokenizer error into the request's problem.
func syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return problem.New(problem.CodeBadRequest, "JSON non valido alla posizione %d.", se.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return problem.New(problem.CodeBadRequest, "JSON troncato o vuoto.")
	default:
		return problem.New(problem.CodeBadRequest, "JSON non leggibile.")
	}
}

// skipRest consumes the rest of an object or array whose opening delim
// was just read.
func (d *decoder) skipRest(open json.Delim) error {
	if open != '{' && open != '[' {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := d.dec.Token()
		if err != nil {
			return syntax(err)
		}
		if delim, ok := tok.(json.Delim); ok {
			if delim == '{' || delim == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// skipValue consumes one whole value.
func (d *decoder) skipValue() error {
	tok, err := d.dec.Token()
	if err != nil {
		return syntax(err)
	}
	if delim, ok := tok.(json.Delim); ok {
		return d.skipRest(delim)
	}
	return nil
}

// object reads an object's keys, calling field for each known one;
// unknown and repeated keys are recorded. It reports whether the value
// was an object at all (null counts as absent).
func (d *decoder) object(path string, known []string, field func(key string) error) (present bool, err error) {
	tok, err := d.dec.Token()
	if err != nil {
		return false, syntax(err)
	}
	if path == "" && tok != json.Delim('{') {
		return false, problem.New(problem.CodeBadRequest, "La richiesta deve essere un oggetto JSON.")
	}
	if tok == nil {
		return false, nil
	}
	if tok != json.Delim('{') {
		if delim, ok := tok.(json.Delim); ok {
			if err := d.skipRest(delim); err != nil {
				return false, err
			}
		}
		d.bad(path, problem.FieldInvalid, "Atteso un oggetto.")
		return true, nil
	}
	seen := make(map[string]bool, len(known))
	for d.dec.More() {
		tok, err := d.dec.Token()
		if err != nil {
			return true, syntax(err)
		}
		key, _ := tok.(string)
		p := join(path, key)
		switch {
		case seen[key]:
			d.bad(p, problem.FieldInvalid, "Campo ripetuto.")
			err = d.skipValue()
		case !contains(known, key):
			d.bad(p, problem.FieldUnknown, "Campo non previsto.")
			err = d.skipValue()
		default:
			err = field(key)
		}
		if err != nil {
			return true, err
		}
		seen[key] = true
	}
	if _, err := d.dec.Token(); err != nil { // '}'
		return true, syntax(err)
	}
	return true, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str reads a string, or reports the wrong type; null gives ok=false
// without an error (the caller decides if it was required).
func (d *decoder) str(path, want string) (s string, ok bool, err error) {
	tok, err := d.dec.Token()
	if err != nil {
		return "", false, syntax(err)
	}
	switch t := tok.(type) {
	case nil:
		return "", false, nil
	case string:
		return t, true, nil
	case json.Delim:
		if err := d.skipRest(t); err != nil {
			return "", false, err
		}
	}
	d.bad(path, problem.FieldInvalid, "Atteso %s.", want)
	return "", false, nil
}

// amount reads a money string; wrong formats are malformed, negatives invalid.
func (d *decoder) amount(path, what string) (*money.Cents, error) {
	s, ok, err := d.str(path, `un importo come testo (es. "1000.00")`)
	if err != nil || !ok {
		return nil, err
	}
	c, err := money.Parse(s)
	if err != nil {
		d.bad(path, problem.FieldInvalid, "%s", err.Error())
		return nil, nil
	}
	if c < 0 {
		d.wrong(path, problem.FieldInvalid, "%s non può essere negativo.", what)
		return nil, nil
	}
	return &c, nil
}

func (d *decoder) request() (Request, error) {
	var req Request
	var fund *money.Cents
	present, err := d.object("", []string{"fund", "beneficiaries"}, func(key string) error {
		var err error
		switch key {
		case "fund":
			fund, err = d.amount("fund", "Il fondo")
		case "beneficiaries":
			req.Beneficiaries, err = d.list()
		}
		return err
	})
	if err != nil || !present {
		return Request{}, err
	}
	if fund == nil && !d.reported("fund") {
		d.wrong("fund", problem.FieldRequired, "Indicare il fondo (es. \"1000000.00\").")
	}
	if req.Beneficiaries == nil && !d.reported("beneficiaries") {
		d.wrong("beneficiaries", problem.FieldRequired, "Indicare almeno un beneficiario.")
	}
	if fund != nil {
		req.Fund = *fund
	}
	return req, nil
}

// reported tells whether a field already has an error (so a malformed
// value is not also called missing).
func (d *decoder) reported(path string) bool {
	for _, list := range []problem.Fields{d.malformed, d.invalid} {
		for _, f := range list {
			if f.Field == path {
				return true
			}
		}
	}
	return false
}

func (d *decoder) list() ([]Beneficiary, error) {
	tok, err := d.dec.Token()
	if err != nil {
		return nil, syntax(err)
	}
	if tok == nil {
		return nil, nil
	}
	if tok != json.Delim('[') {
		if delim, ok := tok.(json.Delim); ok {
			if err := d.skipRest(delim); err != nil {
				return nil, err
			}
		}
		d.bad("beneficiaries", problem.FieldInvalid, "Atteso un elenco.")
		return nil, nil
	}
	out := []Beneficiary{}
	for i := 0; d.dec.More(); i++ {
		if i >= MaxBeneficiaries {
			if i == MaxBeneficiaries {
				d.wrong("beneficiaries", problem.FieldTooLarge, "Al massimo %d beneficiari.", MaxBeneficiaries)
			}
			if err := d.skipValue(); err != nil {
				return nil, err
			}
			continue
		}
		b, err := d.beneficiary(fmt.Sprintf("beneficiaries[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if _, err := d.dec.Token(); err != nil { // ']'
		return nil, syntax(err)
	}
	if len(out) == 0 {
		d.wrong("beneficiaries", problem.FieldRequired, "Indicare almeno un beneficiario.")
	}
	return out, nil
}

func (d *decoder) beneficiary(path string) (Beneficiary, error) {
	var b Beneficiary
	idSet := false
	present, err := d.object(path, []string{"id", "weight", "cap"}, func(key string) error {
		p := path + "." + key
		switch key {
		case "id":
			s, ok, err := d.str(p, "un testo")
			if err != nil || !ok {
				return err
			}
			idSet = true
			switch {
			case s == "":
				d.wrong(p, problem.FieldRequired, "Identificativo vuoto.")
			case len(s) > maxIDBytes:
				d.wrong(p, problem.FieldTooLarge, "Identificativo troppo lungo (al massimo %d byte).", maxIDBytes)
			case !utf8.ValidString(s) || strings.ContainsFunc(s, isControl):
				d.bad(p, problem.FieldInvalid, "Identificativo con caratteri non ammessi.")
			}
			b.ID = s
		case "weight":
			s, ok, err := d.str(p, `un peso come testo (es. "12.5")`)
			if err != nil || !ok {
				return err
			}
			if strings.HasPrefix(s, "-") {
				if _, err := ParseWeight(s[1:]); err == nil {
					d.wrong(p, problem.FieldInvalid, "Il peso non può essere negativo.")
					return nil
				}
			}
			w, err := ParseWeight(s)
			if err != nil {
				d.bad(p, problem.FieldInvalid, "%s", err.Error())
				return nil
			}
			b.Weight = w
		case "cap":
			c, err := d.amount(p, "Il tetto")
			if err != nil {
				return err
			}
			b.Cap = c
		}
		return nil
	})
	if err != nil {
		return b, err
	}
	if !present {
		d.wrong(path, problem.FieldRequired, "Beneficiario mancante (null).")
		return b, nil
	}
	if !idSet && !d.reported(path+".id") {
		d.wrong(path+".id", problem.FieldRequired, "Indicare l'identificativo.")
	}
	if b.Weight == nil && !d.reported(path+".weight") {
		d.wrong(path+".weight", problem.FieldRequired, "Indicare il peso (es. \"12.5\").")
	}
	return b, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
