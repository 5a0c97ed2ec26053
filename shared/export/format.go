package export

import (
	"mime"
	"slices"
	"strconv"
	"strings"

	"sportello/shared/problem"
)

// Format is a representation an export may be downloaded in.
type Format string

const (
	JSON Format = "json"
	CSV  Format = "csv"
	XLSX Format = "xlsx"
	PDF  Format = "pdf"
)

// ContentType is the media type of a format.
func (f Format) ContentType() string {
	switch f {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case PDF:
		return "application/pdf"
	}
	return "application/json"
}

func formatOf(mediaType string) (Format, bool) {
	switch mediaType {
	case "application/json":
		return JSON, true
	case "text/csv":
		return CSV, true
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return XLSX, true
	case "application/pdf":
		return PDF, true
	}
	return "", false
}

// Negotiate picks the representation of a download: the ?format= query
// parameter when given (json, csv, xlsx, pdf), else the best of the Accept
// header by quality, else the first offered (JSON where offered). A format
// the resource does not offer is 406 not_acceptable naming the offered ones.
func Negotiate(query, accept string, offered ...Format) (Format, error) {
	if query != "" {
		f := Format(strings.ToLower(strings.TrimSpace(query)))
		if slices.Contains(offered, f) {
			return f, nil
		}
		return "", notAcceptable(offered, "format")
	}
	if strings.TrimSpace(accept) == "" {
		return offered[0], nil
	}
	best, bestQ := Format(""), 0.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if v, err := strconv.ParseFloat(s, 64); err == nil {
				q = v
			}
		}
		var f Format
		switch {
		case mt == "*/*" || mt == "application/*" && slices.Contains(offered, JSON):
			f = offered[0]
		default:
			var ok bool
			if f, ok = formatOf(mt); !ok || !slices.Contains(offered, f) {
				continue
			}
		}
		if q > bestQ {
			best, bestQ = f, q
		}
	}
	if best == "" {
		return "", notAcceptable(offered, "")
	}
	return best, nil
}

func notAcceptable(offered []Format, field string) error {
	names := make([]string, len(offered))
	for i, f := range offered {
		names[i] = string(f)
	}
	e := problem.New(problem.CodeNotAcceptable, "Formato non disponibile: scegliere tra %s (parametro ?format= o intestazione Accept).", strings.Join(names, ", "))
	if field != "" {
		e.Fields = []problem.FieldError{{Field: field, Code: problem.FieldInvalid, Message: "Valori ammessi: " + strings.Join(names, ", ") + "."}}
	}
	return e.With("formats", names)
}
