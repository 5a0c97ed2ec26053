package handlers

import (
	"testing"

	"sportello/shared/app"
	"sportello/shared/routes"
)

func TestEveryRouteOfTheTableHasExactlyOneHandler(t *testing.T) {
	bound := api{app.New(app.Ports{})}.bind()
	seen := map[string]bool{}
	for _, r := range routes.All() {
		if seen[r.Key()] {
			t.Errorf("%s is twice in the route table", r.Key())
		}
		seen[r.Key()] = true
		if bound[r.Key()] == nil {
			t.Errorf("%s (%s) has no handler", r.Key(), r.Function)
		}
	}
	for k := range bound {
		if !seen[k] {
			t.Errorf("handler %s is bound to no route of the table", k)
		}
	}
	rs, err := Routes(app.New(app.Ports{}))
	if err != nil || len(rs) != len(routes.All()) {
		t.Fatalf("Routes: %d routes, %v; want %d", len(rs), err, len(routes.All()))
	}
}
