package apigw

import (
	"bytes"
	"mime"
	"strings"

	"sportello/shared/problem"
	"sportello/shared/program"
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

// DecodeJSON is the strict decoder behind Decode, for any JSON input: the
// same as the forms' (program.Strict), so every body of the API names each
// wrong field by its full path.
func DecodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.New(problem.CodeBadRequest, "Il corpo della richiesta è vuoto.")
	}
	return program.Strict(body, v)
}
