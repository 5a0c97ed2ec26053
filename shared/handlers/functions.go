package handlers

import (
	"slices"

	"sportello/shared/allocation"
	"sportello/shared/apigw"
	"sportello/shared/outputs"
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
	Outputs     *outputs.Service
	Blobs       Blobs
}

// FunctionRoutes maps each HTTP function to its routes.
func FunctionRoutes(d *Deps, s Services) map[string][]apigw.Route {
	return map[string][]apigw.Route{
		FnCalls:       slices.Concat(CallsRoutes(d), AllocationRoutes(d, s.Allocation, s.Outputs), OutputRoutes(s.Outputs)),
		FnSubmissions: SubmissionsRoutes(d, s.Submissions),
		FnUploads:     UploadsRoutes(d, s.Submissions, s.Blobs),
	}
}
