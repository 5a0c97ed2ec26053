package stack

import (
	"testing"

	"sportello/shared/routes"
)

// The anonymous routes have throttles of their own, run on the public
// function (its own reserved concurrency in prod, no right on any data),
// and the stage waits for the routes its settings name.
func TestPublicRoutesAreThrottledPerRouteOnThePublicFunction(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		stageID, stg := s.only(t, "AWS::ApiGatewayV2::Stage")
		settings, _ := props(stg)["RouteSettings"].(map[string]any)
		publicRoutes := 0
		for _, r := range routes.All() {
			l := routes.LimitsOf(r)
			got, has := settings[r.Key()].(map[string]any)
			if !r.Public {
				if has {
					t.Errorf("%s: %s is throttled on its own (%v): only anonymous routes are", st, r.Key(), got)
				}
				continue
			}
			publicRoutes++
			if r.Function != routes.Public {
				t.Errorf("%s: anonymous route %s is served by %s, want the public function", st, r.Key(), r.Function)
			}
			if !has || got["ThrottlingRateLimit"] != l.Rate || got["ThrottlingBurstLimit"] != float64(l.Burst) || l.Rate <= 0 || l.Rate > 20 {
				t.Errorf("%s: %s route throttle %v, want rate %v burst %d (at most 20/s)", st, r.Key(), got, l.Rate, l.Burst)
			}
			if l.MaxBody > 128<<10 || l.MaxResponse > 4<<20 {
				t.Errorf("%s: %s accepts %d bytes and answers %d: anonymous routes stay small", st, r.Key(), l.MaxBody, l.MaxResponse)
			}
		}
		if publicRoutes < 3 {
			t.Errorf("%s: %d anonymous routes, want health and the two calculators at least", st, publicRoutes)
		}
		deps := strs(s.json["Resources"].(map[string]any)[stageID].(map[string]any)["DependsOn"])
		if len(deps) < len(contractRoutes) {
			t.Errorf("%s: the stage depends on %d resources, want every route (%d) so its route settings find them", st, len(deps), len(contractRoutes))
		}
		_, fn := s.function(t, "public")
		if st == "prod" && props(fn)["ReservedConcurrentExecutions"] != float64(10) {
			t.Errorf("prod public function reserves %v, want 10", props(fn)["ReservedConcurrentExecutions"])
		}
	}
}
