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

// Routes lists the deployed routes: the API's (APIRoutes) and the web
// interface's (shared/routes.WebRoutes, outside /v1 and outside the OpenAPI
// document), sorted by function, path and method.
func Routes() []Route {
	return sorted(append(APIRoutes(), convert(routes.WebRoutes())...))
}

// APIRoutes lists the deployed routes of the API, sorted by function, path and method.
// They come from the route table (shared/routes, plain data), the same one
// each function's router dispatches on, so API Gateway can never send a
// request to a function that does not serve it. Local-only routes (POST
// /v1/dev/token, registered by infra/local/server) are not in that table
// and therefore never deployed.
func APIRoutes() []Route { return sorted(convert(routes.All())) }

func convert(rs []routes.Route) []Route {
	var out []Route
	for _, r := range rs {
		out = append(out, Route{Function: r.Function, Method: r.Method, Path: r.Pattern, Public: r.Public})
	}
	return out
}

func sorted(out []Route) []Route {
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
