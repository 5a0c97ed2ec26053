// Package handlers holds the HTTP handlers of the v1 contract. A handler
// reads like a paragraph: decode, call the application's service, encode.
// Authorisation and every rule live in the services (shared/app); which
// function serves which route is the table of shared/routes.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"sportello/shared/apidoc"
	"sportello/shared/apigw"
	"sportello/shared/app"
	"sportello/shared/clock"
	"sportello/shared/routes"
)

// Rome renders an instant as RFC 3339 with the Europe/Rome offset.
func Rome(t time.Time) string { return clock.RFC3339(t) }

func ok(v any) (*apigw.Response, error) { return apigw.JSON(http.StatusOK, v) }

// api binds the handlers to one application.
type api struct{ *app.App }

// bind is every handler, by route key ("GET /v1/calls/{callId}").
func (h api) bind() map[string]apigw.HandlerFunc {
	return map[string]apigw.HandlerFunc{
		"GET /v1/health":                                           h.health,
		"GET /v1/openapi.json":                                     apidoc.Serve,
		"GET /v1/docs":                                             apidoc.Docs,
		"GET /v1/docs/{asset}":                                     apidoc.DocsAsset,
		"GET /v1/calls":                                            h.listCalls,
		"POST /v1/calls":                                           h.createCall,
		"GET /v1/calls/{callId}":                                   h.getCall,
		"PATCH /v1/calls/{callId}/windows/{windowId}":              h.extendWindow,
		"GET /v1/calls/{callId}/audit":                             h.callAudit,
		"POST /v1/calls/{callId}/registry":                         h.importRegistry,
		"GET /v1/calls/{callId}/preloaded":                         h.preloaded,
		"GET /v1/calls/{callId}/form":                              h.form,
		"POST /v1/calls/{callId}/funds":                            h.announce,
		"GET /v1/calls/{callId}/allocations/{allocationId}":        h.allocation,
		"POST /v1/calls/{callId}/allocations:simulate":             h.simulate,
		"GET /v1/calls/{callId}/outcomes":                          h.elenco,
		"GET /v1/calls/{callId}/allocations/{allocationId}/decree": h.decree,
		"GET /v1/calls/{callId}/service-registry":                  h.serviceRegistry,
		"GET /v1/calls/{callId}/milestones":                        h.milestones,
		"POST /v1/calculators/nidi-gratis-plus":                    calculateNidiGratis,
		"POST /v1/calculators/riparto":                             calculateRiparto,
		"POST /v1/calls/{callId}/submissions":                      h.createSubmission,
		"GET /v1/calls/{callId}/submissions":                       h.listSubmissions,
		"GET /v1/submissions/{id}":                                 h.getSubmission,
		"PUT /v1/submissions/{id}":                                 h.updateSubmission,
		"POST /v1/submissions/{id}/submit":                         h.submit,
		"POST /v1/submissions/{id}/review":                         h.review,
		"POST /v1/submissions/{id}/integration":                    h.integrate,
		"POST /v1/submissions/{id}/withdraw":                       h.withdraw,
		"GET /v1/submissions/{id}/audit":                           h.submissionAudit,
		"GET /v1/submissions/{id}/receipt":                         h.receipt,
		"GET /v1/submissions/{id}/summary":                         h.summary,
		"POST /v1/submissions/{id}/documents":                      h.declareDocument,
		"GET /v1/submissions/{id}/documents":                       h.listDocuments,
		"GET /v1/documents/{id}/download":                          h.download,
		"PUT /v1/calls/{callId}/advances":                          h.setAdvances,
		"GET /v1/calls/{callId}/advances":                          h.advances,
		"GET /v1/calls/{callId}/budget":                            h.budget,
		"GET /v1/calls/{callId}/rendicontazioni":                   h.listClaims,
		"POST /v1/submissions/{id}/rendicontazioni":                h.fileClaim,
		"GET /v1/rendicontazioni/{id}":                             h.getClaim,
		"GET /v1/rendicontazioni/{id}/documents/{kind}":            h.claimDocument,
		"PUT /v1/rendicontazioni/{id}/signed/{kind}":               h.uploadSigned,
		"POST /v1/rendicontazioni/{id}/transmit":                   h.transmitClaim,
		"POST /v1/rendicontazioni/{id}/review":                     h.reviewClaim,
		"POST /v1/rendicontazioni/{id}/answer":                     h.answerClaim,
		"POST /v1/rendicontazioni/{id}/payments":                   h.payClaim,
		"POST /v1/rendicontazioni/{id}/recoveries":                 h.recoverClaim,
	}
}

// Routes binds the routes of the given functions (all of them when none
// is named) to a's services. A route of the table without a handler is a
// programming error, found at startup (and by the tests).
func Routes(a *app.App, functions ...string) ([]apigw.Route, error) {
	if len(functions) == 0 {
		functions = routes.Functions()
	}
	bound := api{a}.bind()
	var out []apigw.Route
	for _, fn := range functions {
		for _, r := range routes.Of(fn) {
			h, ok := bound[r.Key()]
			if !ok {
				return nil, fmt.Errorf("route %s has no handler", r.Key())
			}
			l := routes.LimitsOf(r)
			out = append(out, apigw.Route{Method: r.Method, Pattern: r.Pattern, Public: r.Public, Handler: h,
				MaxBody: l.MaxBody, MaxResponse: l.MaxResponse})
		}
	}
	return out, nil
}

// Router is the router of the given functions (all when none is named).
func Router(a *app.App, functions ...string) (*apigw.Router, error) {
	rs, err := Routes(a, functions...)
	if err != nil {
		return nil, err
	}
	return apigw.NewRouter(a.Log, a.Programs.Regions(), rs), nil
}

func annotateCall(ctx context.Context, id string) {
	apigw.Annotate(ctx, slog.String("call", id))
}
