// Package routes is the table of the HTTP API v1 as plain data: which
// function serves which method and path, and which routes need no token.
// The handlers bind to it, each function's router dispatches on its part,
// and the CDK stack deploys it (infra/stack reads this table without
// building any handler), so API Gateway can never send a request to a
// function that does not serve it. Local-only routes (POST /v1/dev/token)
// are not here and therefore never deployed.
package routes

import "slices"

// HTTP functions.
const (
	Calls       = "calls"
	Submissions = "submissions"
	Uploads     = "uploads"
	// Public serves the anonymous routes (health, calculators, the API's
	// description): a function of its own, with no right on any data and a
	// concurrency of its own, so a flood of anonymous requests can never
	// take the capacity officers and clerks file with.
	Public = "public"
	// Web serves the web interface's pages and files (shared/web): not
	// part of the API contract (they are not under /v1 and not in the
	// OpenAPI document), deployed on the same HTTP API so the pages and
	// the API share one origin. No right on any data, like public.
	Web = "web"
)

// Route is one route of the API.
type Route struct {
	Function string // the Lambda that serves it
	Method   string
	Pattern  string // with {param} segments
	Public   bool   // no JWT authorizer
}

// Key names a route for binding: "GET /v1/calls/{callId}".
func (r Route) Key() string { return r.Method + " " + r.Pattern }

var table = []Route{
	{Public, "GET", "/v1/health", true},
	{Public, "GET", "/v1/openapi.json", true}, // the contract itself (shared/apidoc)
	{Public, "GET", "/v1/docs", true},         // its browsable reference
	{Public, "GET", "/v1/docs/{asset}", true},
	{Public, "POST", "/v1/calculators/nidi-gratis-plus", true},
	{Public, "POST", "/v1/calculators/riparto", true},

	{Calls, "GET", "/v1/calls", false},
	{Calls, "POST", "/v1/calls", false},
	{Calls, "GET", "/v1/calls/{callId}", false},
	{Calls, "PATCH", "/v1/calls/{callId}/windows/{windowId}", false},
	{Calls, "GET", "/v1/calls/{callId}/audit", false},
	{Calls, "POST", "/v1/calls/{callId}/registry", false},
	{Calls, "GET", "/v1/calls/{callId}/preloaded", false},
	{Calls, "GET", "/v1/calls/{callId}/form", false},
	{Calls, "POST", "/v1/calls/{callId}/funds", false},
	{Calls, "GET", "/v1/calls/{callId}/allocations/{allocationId}", false},
	{Calls, "POST", "/v1/calls/{callId}/allocations:simulate", false},
	{Calls, "GET", "/v1/calls/{callId}/outcomes", false},
	{Calls, "GET", "/v1/calls/{callId}/allocations/{allocationId}/decree", false},
	{Calls, "GET", "/v1/calls/{callId}/service-registry", false},
	{Calls, "GET", "/v1/calls/{callId}/milestones", false},

	{Submissions, "POST", "/v1/calls/{callId}/submissions", false},
	{Submissions, "GET", "/v1/calls/{callId}/submissions", false},
	{Submissions, "GET", "/v1/submissions/{id}", false},
	{Submissions, "PUT", "/v1/submissions/{id}", false},
	{Submissions, "POST", "/v1/submissions/{id}/submit", false},
	{Submissions, "POST", "/v1/submissions/{id}/review", false},
	{Submissions, "POST", "/v1/submissions/{id}/integration", false},
	{Submissions, "POST", "/v1/submissions/{id}/withdraw", false},
	{Submissions, "GET", "/v1/submissions/{id}/audit", false},
	{Submissions, "GET", "/v1/submissions/{id}/receipt", false},
	{Submissions, "GET", "/v1/submissions/{id}/summary", false},
	// Nidi Gratis Plus after admission (docs/rendicontazione.md).
	{Submissions, "PUT", "/v1/calls/{callId}/advances", false},
	{Submissions, "GET", "/v1/calls/{callId}/advances", false},
	{Submissions, "GET", "/v1/calls/{callId}/budget", false},
	{Submissions, "GET", "/v1/calls/{callId}/rendicontazioni", false},
	{Submissions, "POST", "/v1/submissions/{id}/rendicontazioni", false},
	{Submissions, "GET", "/v1/rendicontazioni/{id}", false},
	{Submissions, "GET", "/v1/rendicontazioni/{id}/documents/{kind}", false},
	{Submissions, "PUT", "/v1/rendicontazioni/{id}/signed/{kind}", false},
	{Submissions, "POST", "/v1/rendicontazioni/{id}/transmit", false},
	{Submissions, "POST", "/v1/rendicontazioni/{id}/review", false},
	{Submissions, "POST", "/v1/rendicontazioni/{id}/answer", false},
	{Submissions, "POST", "/v1/rendicontazioni/{id}/payments", false},
	{Submissions, "POST", "/v1/rendicontazioni/{id}/recoveries", false},

	{Uploads, "POST", "/v1/submissions/{id}/documents", false},
	{Uploads, "GET", "/v1/submissions/{id}/documents", false},
	{Uploads, "GET", "/v1/documents/{id}/download", false},
}

// web is the web interface's route set: the page (at the root, and at the
// sign-in callback the Cognito app client returns to) and its files, one
// path segment each (shared/web serves a fixed list, nothing else).
var web = []Route{
	{Web, "GET", "/", true},
	{Web, "GET", "/auth/callback", true},
	{Web, "GET", "/web/{asset}", true},
}

// WebRoutes is the web interface's routes: deployed beside the API's,
// documented in docs/web.md rather than in the OpenAPI document.
func WebRoutes() []Route { return slices.Clone(web) }

// All is every route of the API, in table order (the web interface's
// routes are WebRoutes).
func All() []Route { return slices.Clone(table) }

// Of is the routes one function serves.
func Of(function string) []Route {
	var out []Route
	for _, r := range table {
		if r.Function == function {
			out = append(out, r)
		}
	}
	return out
}

// Functions lists the HTTP functions.
func Functions() []string { return []string{Calls, Submissions, Uploads, Public} }

// Limits bound one route: the size of what it reads and writes, checked by
// the router in the function (shared/apigw) and by the local front, and
// for anonymous routes a throttle of its own in API Gateway.
type Limits struct {
	MaxBody     int     // request body, bytes
	MaxResponse int     // response body as sent to API Gateway (base64 for binary), bytes
	Rate        float64 // API Gateway route throttle: requests per second, steady; 0: the stage's
	Burst       int     // and the bucket size
}

// DefaultMaxBody bounds every JSON body: files never come through the API
// (they go to S3 with pre-signed URLs), so forms stay small.
const DefaultMaxBody = 1 << 20

// DefaultMaxResponse keeps every answer under Lambda's 6 MB limit on a
// synchronous response (which counts the JSON envelope and headers too):
// past it Lambda fails the invocation and API Gateway answers 500.
const DefaultMaxResponse = 5 << 20

// limits are the routes' own bounds; the anonymous ones are tight, since
// anyone may call them as often as the throttle allows. Sizes: the
// nidi-gratis form is a few hundred bytes; a riparto answers about 11 bytes
// for each byte asked, so 128 KiB in (1,506 Comuni with ids, weights and
// caps take about 85 KiB) is at most about 1.5 MB out (the end-to-end test
// measures the worst case at the bound).
var limits = map[string]Limits{
	"GET /v1/health":       {MaxBody: 1 << 10, MaxResponse: 1 << 10, Rate: 10, Burst: 20},
	"GET /v1/openapi.json": {MaxBody: 1 << 10, MaxResponse: 1 << 20, Rate: 5, Burst: 10},
	// The reference page and its scripts (the largest under 2 MB; base64
	// if served as binary adds a third).
	"GET /v1/docs":                          {MaxBody: 1 << 10, MaxResponse: 1 << 20, Rate: 5, Burst: 10},
	"GET /v1/docs/{asset}":                  {MaxBody: 1 << 10, MaxResponse: 4 << 20, Rate: 10, Burst: 20},
	"POST /v1/calculators/nidi-gratis-plus": {MaxBody: 8 << 10, MaxResponse: 16 << 10, Rate: 20, Burst: 40},
	"POST /v1/calculators/riparto":          {MaxBody: 128 << 10, MaxResponse: 2 << 20, Rate: 5, Burst: 10},
	// The web interface: a page of a few KB and files up to Bootstrap
	// Italia's style sheet (600 KB); a page load fetches about 15 files.
	"GET /":              {MaxBody: 1 << 10, MaxResponse: 64 << 10, Rate: 20, Burst: 40},
	"GET /auth/callback": {MaxBody: 1 << 10, MaxResponse: 64 << 10, Rate: 20, Burst: 40},
	"GET /web/{asset}":   {MaxBody: 1 << 10, MaxResponse: 2 << 20, Rate: 100, Burst: 200},
}

// LimitsOf is a route's bounds, the defaults filled in.
func LimitsOf(r Route) Limits {
	l, own := limits[r.Key()]
	if !own {
		return Limits{MaxBody: DefaultMaxBody, MaxResponse: DefaultMaxResponse}
	}
	return l
}
