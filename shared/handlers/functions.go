package handlers

import (
	"sportello/shared/allocation"
	"sportello/shared/apigw"
	"sportello/shared/rendiconto"
	"sportello/shared/submission"
)

// HTTP functions and what each serves: the single list the Lambdas, the
// local runtime and the stack's routes come from.
const (
	FnCalls       = "calls"
	FnSubmissions = "submissions"
	FnUploads     = "uploads"
)

// Services are the domain services behind the HTTP functions.
type Services struct {
	Submissions *submission.Service
	Allocation  *allocation.Service
	Blobs       Blobs
	Rendiconto  *rendiconto.Service
}

// FunctionRoutes maps each HTTP function to its routes.
func FunctionRoutes(d *Deps, s Services) map[string][]apigw.Route {
	return map[string][]apigw.Route{
		FnCalls:       append(CallsRoutes(d), AllocationRoutes(d, s.Allocation)...),
		FnSubmissions: append(SubmissionsRoutes(d, s.Submissions), RendicontoRoutes(s.Rendiconto)...),
		FnUploads:     UploadsRoutes(d, s.Submissions, s.Blobs),
	}
}
