package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"sportello/shared/problem"
)

// Decode reads a JSON body strictly into v: the media type must be JSON,
// unknown fields are refused, types must match, one value only. Errors name
// the field.
func Decode(r *Request, v any) error {
	if err := RequireJSON(r); err != nil {
		return err
	}
	return DecodeJSON(r.Body, v)
}

// RequireJSON refuses a body declared as anything but JSON.
func RequireJSON(r *Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return problem.New(problem.CodeUnsupportedMedia, "Il corpo deve essere JSON (Content-Type: application/json).")
		}
	}
	return nil
}

// DecodeJSON is the strict decoder behind Decode, for any JSON input.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.New(problem.CodeBadRequest, "Il corpo della richiesta è vuoto.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.CodeBadRequest, "Il corpo contiene dati dopo l'oggetto JSON.")
	}
	return nil
}

func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if p, ok := problem.As(err); ok {
		return p
	}
	switch {
	case errors.As(err, &syn):
		return problem.New(problem.CodeBadRequest, "JSON non valido alla posizione %d.", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(corpo)"
		}
		return &problem.Error{Code: problem.CodeBadRequest, Detail: "Tipo di dato errato.",
			Fields: []problem.FieldError{{Field: field, Code: problem.FieldInvalid,
				Message: fmt.Sprintf("Atteso un valore di tipo %s.", typeName(typ.Type.Kind().String()))}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &problem.Error{Code: problem.CodeBadRequest, Detail: "Campo non previsto.",
			Fields: []problem.FieldError{{Field: name, Code: problem.FieldUnknown, Message: "Campo non previsto."}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.New(problem.CodeBadRequest, "JSON troncato.")
	}
	// Errors from a field's own UnmarshalJSON (money, dates) end up here.
	return &problem.Error{Code: problem.CodeBadRequest, Detail: "Valore non valido: " + err.Error()}
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "testo"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "numero"
	case "bool":
		return "booleano (true/false)"
	case "slice":
		return "elenco"
	case "map", "struct":
		return "oggetto"
	}
	return kind
}
