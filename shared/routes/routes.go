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
	{Calls, "GET", "/v1/health", true},
	{Calls, "GET", "/v1/openapi.json", true}, // the contract itself (shared/apidoc)
	{Calls, "GET", "/v1/calls", false},
	{Calls, "POST", "/v1/calls", false},
	{Calls, "GET", "/v1/calls/{callId}", false},
	{Calls, "PATCH", "/v1/calls/{callId}/windows/{windowId}", false},
	{Calls, "GET", "/v1/calls/{callId}/audit", false},
	{Calls, "POST", "/v1/calls/{callId}/registry", false},
	{Calls, "POST", "/v1/calls/{callId}/funds", false},
	{Calls, "GET", "/v1/calls/{callId}/allocations/{allocationId}", false},
	{Calls, "POST", "/v1/calls/{callId}/allocations:simulate", false},
	{Calls, "GET", "/v1/calls/{callId}/outcomes", false},
	{Calls, "GET", "/v1/calls/{callId}/allocations/{allocationId}/decree", false},
	{Calls, "GET", "/v1/calls/{callId}/service-registry", false},
	{Calls, "GET", "/v1/calls/{callId}/milestones", false},
	{Calls, "POST", "/v1/calculators/nidi-gratis-plus", true},
	{Calls, "POST", "/v1/calculators/riparto", true},

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

	{Uploads, "POST", "/v1/submissions/{id}/documents", false},
	{Uploads, "GET", "/v1/submissions/{id}/documents", false},
	{Uploads, "GET", "/v1/documents/{id}/download", false},
}

// All is every route, in table order.
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
func Functions() []string { return []string{Calls, Submissions, Uploads} }
