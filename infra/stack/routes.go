package stack

import (
	"sort"

	"sportello/shared/routes"
)

// Route is one route of the deployed HTTP API.
type Route struct {
	Function string // which Lambda serves it
	Method   string
	Path     string
	Public   bool // no JWT authorizer
}

// Routes lists the deployed routes, sorted by function, path and method.
// They come from the route table (shared/routes, plain data), the same one
// each function's router dispatches on, so API Gateway can never send a
// request to a function that does not serve it. Local-only routes (POST
// /v1/dev/token, registered by infra/local/server) are not in that table
// and therefore never deployed.
func Routes() []Route {
	var out []Route
	for _, r := range routes.All() {
		out = append(out, Route{Function: r.Function, Method: r.Method, Path: r.Pattern, Public: r.Public})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return out
}
