// Package handlers holds the HTTP handlers of the v1 contract. Each function
// (calls, submissions, uploads) serves its own list of routes; the local
// runtime serves them all. A handler reads like a paragraph: decode,
// authorise, call the domain, encode.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"sportello/shared/apigw"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/dynamo"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/windows"
)

// Deps are what the handlers need; main.go of each function fills them.
type Deps struct {
	Store    *dynamo.Store
	Clock    clock.Clock
	Programs map[string]program.Program
	Windows  *windows.Service
	Log      *slog.Logger
	// Registries is forgotten after an import so this process sees it at once.
	Registries *dynamo.RegistrySource
}

// Rome renders an instant as RFC 3339 with the Europe/Rome offset.
func Rome(t time.Time) string { return t.In(clock.Rome).Format(time.RFC3339Nano) }

func ok(v any) (*apigw.Response, error) { return apigw.JSON(http.StatusOK, v) }

func requireOfficer(r *apigw.Request, region string) error {
	if !r.Principal.IsOfficer() {
		return problem.New(problem.CodeForbidden, "Operazione riservata ai funzionari regionali.")
	}
	if region != "" && r.Principal.Region != region {
		// Another region's call: as if it did not exist.
		return problem.New(problem.CodeNotFound, "Bando non trovato.")
	}
	return nil
}

// visibleCall loads a call the principal may see: applicants see every
// call (calls are public acts), officers only their region's.
func (d *Deps) visibleCall(ctx context.Context, p *auth.Principal, id string) (call.Call, error) {
	c, err := d.Store.Call(ctx, id)
	if err != nil {
		return c, dynamo.Public(err)
	}
	if p.IsOfficer() && p.Region != c.Region {
		return call.Call{}, problem.New(problem.CodeNotFound, "Bando non trovato.")
	}
	apigw.Annotate(ctx, slog.String("call", c.ID))
	return c, nil
}

// officerCall loads the route's call for an officer of its region
// (another region's call is not found).
func (d *Deps) officerCall(ctx context.Context, r *apigw.Request) (call.Call, error) {
	c, err := d.visibleCall(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return c, err
	}
	return c, requireOfficer(r, c.Region)
}
