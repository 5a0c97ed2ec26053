package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"sportello/shared/apigw"
	"sportello/shared/audit"
	"sportello/shared/dynamo"
	"sportello/shared/problem"
	"sportello/shared/registry"
)

// importRegistry loads an officer's CSV (pre-loaded services, or AFAM_UDOS
// facilities) into a call: every row valid, or nothing imported.
func (d *Deps) importRegistry(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := d.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/csv" {
		return nil, problem.New(problem.CodeUnsupportedMedia, "Caricare il file come text/csv (UTF-8).")
	}
	kind := r.Query.Get("kind")
	var n int
	switch kind {
	case dynamo.RowPreloaded:
		rows, err := registry.ReadPreloaded(bytes.NewReader(r.Body))
		if err != nil {
			return nil, err
		}
		n = len(rows)
		err = d.Store.ImportPreloaded(ctx, c.ID, rows)
		if err != nil {
			return nil, dynamo.Public(err)
		}
	case dynamo.RowFacility:
		rows, err := registry.ReadFacilities(bytes.NewReader(r.Body))
		if err != nil {
			return nil, err
		}
		n = len(rows)
		if err := d.Store.ImportFacilities(ctx, c.ID, rows); err != nil {
			return nil, dynamo.Public(err)
		}
	default:
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Tipo di elenco non indicato.",
			Fields: []problem.FieldError{{Field: "kind", Code: problem.FieldInvalid, Message: "Usare ?kind=preloaded o ?kind=facility."}}}
	}
	if d.Registries != nil {
		d.Registries.Forget(c.ID)
	}
	if err := d.Store.Audit(ctx, audit.Entry{CallID: c.ID, At: d.Clock.Now(), Actor: r.Principal.Subject, Action: "registry.imported",
		Detail: map[string]string{"kind": kind, "rows": strconv.Itoa(n)}}); err != nil {
		return nil, dynamo.Public(err)
	}
	apigw.Annotate(ctx, slog.Int("rows", n))
	return apigw.JSON(http.StatusOK, map[string]any{"kind": kind, "imported": n})
}
