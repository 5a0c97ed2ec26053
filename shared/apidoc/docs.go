package apidoc

import (
	"context"
	"embed"
	"net/http"
	"path"
	"strings"

	"sportello/shared/apigw"
	"sportello/shared/problem"
	"sportello/shared/webassets"
)

//go:embed page
var page embed.FS

// CSP of the reference page: its own scripts and styles only (no inline
// script, no CDN, no third party), nothing framed, no form posted anywhere.
// Swagger UI styles elements through the DOM, which style-src 'self' allows.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// assets maps the names served under /v1/docs/ to their files: the page's
// own, or vendored from npm (shared/webassets).
var assets = map[string]struct{ file, contentType string }{
	"docs.js":              {"page/docs.js", "text/javascript; charset=utf-8"},
	"docs.css":             {"page/docs.css", "text/css; charset=utf-8"},
	"swagger-ui-bundle.js": {"npm:swagger-ui/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
	"swagger-ui.css":       {"npm:swagger-ui/swagger-ui.css", "text/css; charset=utf-8"},
}

func pageHeaders(contentType, cache string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	return h
}

// Docs answers GET /v1/docs: the browsable reference of the document
// (Swagger UI, served by this API).
func Docs(context.Context, *apigw.Request) (*apigw.Response, error) {
	b, err := page.ReadFile("page/index.html")
	if err != nil {
		return nil, err
	}
	return &apigw.Response{Status: http.StatusOK, Header: pageHeaders("text/html; charset=utf-8", "no-cache"), Body: b}, nil
}

// DocsAsset answers GET /v1/docs/{asset}: a script or style sheet of the page.
func DocsAsset(_ context.Context, r *apigw.Request) (*apigw.Response, error) {
	a, ok := assets[r.Params["asset"]]
	if !ok {
		return nil, problem.New(problem.CodeNotFound, "Risorsa non trovata.")
	}
	var b []byte
	var err error
	if name, vendored := strings.CutPrefix(a.file, "npm:"); vendored {
		b, err = webassets.Read(name)
	} else {
		b, err = page.ReadFile(path.Clean(a.file))
	}
	if err != nil {
		// A build without `make assets`: say so, rather than a blank page.
		return nil, problem.New(problem.CodeUnavailable, "Documentazione non disponibile in questa build: %s.", err.Error())
	}
	return &apigw.Response{Status: http.StatusOK, Header: pageHeaders(a.contentType, "public, max-age=3600"), Body: b}, nil
}
