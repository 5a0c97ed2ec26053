package stack

import (
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"sportello/shared/apidoc"
)

// The OpenAPI document served at /v1/openapi.json describes exactly the
// routes the stack deploys (which are the handlers' own table, the one each
// function's router dispatches on), and says which are public. A route
// added to the router without its description, or described but not
// served, fails here. Needs no Node.
func TestOpenAPIDocumentDescribesExactlyTheDeployedRoutes(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(apidoc.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{} // "METHOD path" → public
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			public := op.Security != nil && len(*op.Security) == 0
			documented[strings.ToUpper(method)+" "+path] = public
		}
	}
	deployed := map[string]bool{}
	for _, r := range APIRoutes() {
		deployed[r.Method+" "+r.Path] = r.Public
	}
	for _, k := range keys(deployed) {
		public, ok := documented[k]
		switch {
		case !ok:
			t.Errorf("%s is deployed but not in shared/apidoc/openapi.yaml", k)
		case public != deployed[k]:
			t.Errorf("%s: deployed public=%v, documented public=%v (security: [])", k, deployed[k], public)
		}
	}
	for _, k := range keys(documented) {
		if _, ok := deployed[k]; !ok {
			t.Errorf("%s is documented but not deployed", k)
		}
	}
}

// The web interface's routes are deployed beside the API's on the same
// HTTP API, public, served by the web function, and none is under /v1/:
// the API's contract stays what the OpenAPI document says.
func TestWebRoutesAreOutsideTheAPIContract(t *testing.T) {
	api := map[string]bool{}
	for _, r := range APIRoutes() {
		api[r.Method+" "+r.Path] = true
	}
	var web int
	for _, r := range Routes() {
		if r.Function != "web" {
			continue
		}
		web++
		if strings.HasPrefix(r.Path, "/v1/") || api[r.Method+" "+r.Path] {
			t.Errorf("%s %s: a web route inside the API", r.Method, r.Path)
		}
		if !r.Public || r.Method != "GET" {
			t.Errorf("%s %s: web routes are public GETs (the pages carry no data; the API checks the token)", r.Method, r.Path)
		}
	}
	if web != 3 || len(Routes()) != len(APIRoutes())+web {
		t.Errorf("%d web routes among %d, %d API routes", web, len(Routes()), len(APIRoutes()))
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
