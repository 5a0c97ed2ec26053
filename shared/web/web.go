// Package web is the web interface of sportello: a single page of vanilla
// JavaScript modules and Bootstrap Italia's style sheet, embedded in the
// binary and served by the web function (locally by the same handlers), on
// the same origin as the API it calls. docs/web.md has the design.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"

	"sportello/shared/apigw"
	"sportello/shared/problem"
	"sportello/shared/routes"
	"sportello/shared/webassets"
)

//go:embed static
var static embed.FS

// Environment of the web function (set by the stack).
const (
	// EnvAuthBase is the Cognito hosted UI's base URL
	// (https://<prefix>.auth.<region>.amazoncognito.com).
	EnvAuthBase = "SPORTELLO_WEB_AUTH_BASE"
	// EnvClientID is the Cognito app client the pages sign in with.
	EnvClientID = "SPORTELLO_WEB_CLIENT_ID"
	// EnvConnect lists, space-separated, the origins besides its own the
	// page may call: the documents bucket (pre-signed PUTs).
	EnvConnect = "SPORTELLO_WEB_CONNECT"
)

// Config is what a deployment tells the page.
type Config struct {
	// SignIn is "dev" (the local runtime's dev token issuer) or "cognito"
	// (the hosted UI, authorization code + PKCE).
	SignIn string
	// Regions are the catalog's Regions, code → name: the pages name a
	// call's or an officer's Region from them, so a new Region's program
	// needs no change here.
	Regions  map[string]string
	AuthBase string // cognito: the hosted UI's base URL
	ClientID string // cognito: the app client id
	// Connect lists the other origins the page may call (Content-Security-
	// Policy connect-src): the documents bucket, and the hosted UI's token
	// endpoint.
	Connect []string
}

// ConfigFromEnv reads the web function's configuration.
func ConfigFromEnv() (Config, error) {
	c := Config{SignIn: "cognito", AuthBase: strings.TrimRight(os.Getenv(EnvAuthBase), "/"), ClientID: os.Getenv(EnvClientID),
		Connect: strings.Fields(os.Getenv(EnvConnect))}
	if c.ClientID == "" {
		return Config{}, fmt.Errorf("%s must be set", EnvClientID)
	}
	// No hosted domain (stack context authDomainPrefix unset): the pages
	// say that sign-in is not configured.
	if c.AuthBase != "" {
		c.Connect = append(c.Connect, c.AuthBase)
	}
	return c, c.check()
}

// check refuses an origin that would widen the policy beyond one host.
func (c Config) check() error {
	for _, o := range c.Connect {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(o, " ;,*'") || u.Path != "" {
			return fmt.Errorf("web: %q is not an origin", o)
		}
	}
	return nil
}

// CSP returns the pages' Content-Security-Policy: their own scripts and
// styles only (no inline script or style attribute, no CDN; Bootstrap
// Italia's style sheet carries one font as a data: URI), nothing
// framed, no form posted anywhere, and fetches only to the API (same
// origin) and the configured origins.
func (c Config) CSP() string {
	connect := strings.Join(append([]string{"'self'"}, c.Connect...), " ")
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:; " +
		"connect-src " + connect + "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// file is one served file: the page's own (static/) or vendored from npm
// (shared/webassets, "npm:" prefix).
type file struct{ src, contentType string }

const (
	js    = "text/javascript; charset=utf-8"
	css   = "text/css; charset=utf-8"
	woff2 = "font/woff2"
)

// files is every file under /web/: a fixed list, so nothing else the
// binary embeds (axe-core, which only the tests inject) is ever served.
var files = map[string]file{
	"bootstrap-italia.min.css": {"npm:bootstrap-italia/bootstrap-italia.min.css", css},
	"sprites.svg":              {"npm:bootstrap-italia/sprites.svg", "image/svg+xml"},
	"titillium-web-300.woff2":  {"npm:bootstrap-italia/titillium-web-300.woff2", woff2},
	"titillium-web-400.woff2":  {"npm:bootstrap-italia/titillium-web-400.woff2", woff2},
	"titillium-web-600.woff2":  {"npm:bootstrap-italia/titillium-web-600.woff2", woff2},
	"titillium-web-700.woff2":  {"npm:bootstrap-italia/titillium-web-700.woff2", woff2},
	"roboto-mono-400.woff2":    {"npm:bootstrap-italia/roboto-mono-400.woff2", woff2},
	"lora-400.woff2":           {"npm:bootstrap-italia/lora-400.woff2", woff2},
}

func init() {
	// Every file of static/ except the page itself, by its name.
	entries, err := static.ReadDir("static")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case name == "index.html":
		case strings.HasSuffix(name, ".js"):
			files[name] = file{"static/" + name, js}
		case strings.HasSuffix(name, ".css"):
			files[name] = file{"static/" + name, css}
		case strings.HasSuffix(name, ".svg"):
			files[name] = file{"static/" + name, "image/svg+xml"}
		}
	}
}

// Files lists the names served under /web/ (for the tests).
func Files() []string {
	out := make([]string, 0, len(files))
	for k := range files {
		out = append(out, k)
	}
	return out
}

// Handlers binds the web routes (shared/routes.WebRoutes) for cfg.
func Handlers(cfg Config) (map[string]apigw.HandlerFunc, error) {
	if cfg.SignIn != "dev" && cfg.SignIn != "cognito" {
		return nil, fmt.Errorf("web: sign-in %q", cfg.SignIn)
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	page := func(context.Context, *apigw.Request) (*apigw.Response, error) {
		b, err := static.ReadFile("static/index.html")
		if err != nil {
			return nil, err
		}
		return &apigw.Response{Status: http.StatusOK, Header: cfg.headers("text/html; charset=utf-8", "no-cache"), Body: b}, nil
	}
	settings, err := json.Marshal(map[string]any{"signIn": cfg.SignIn, "authBase": cfg.AuthBase, "clientId": cfg.ClientID, "regions": cfg.Regions})
	if err != nil {
		return nil, err
	}
	asset := func(_ context.Context, r *apigw.Request) (*apigw.Response, error) {
		name := r.Params["asset"]
		if name == "config.json" {
			return &apigw.Response{Status: http.StatusOK, Header: cfg.headers("application/json", "no-cache"), Body: settings}, nil
		}
		f, ok := files[name]
		if !ok {
			return nil, problem.New(problem.CodeNotFound, "Risorsa non trovata.")
		}
		var b []byte
		var err error
		if vendored, ok := strings.CutPrefix(f.src, "npm:"); ok {
			b, err = webassets.Read(vendored)
		} else {
			b, err = static.ReadFile(f.src)
		}
		if err != nil {
			// A build without `make assets`: say so, rather than a blank page.
			return nil, problem.New(problem.CodeUnavailable, "Interfaccia web non disponibile in questa build: %s.", err.Error())
		}
		// Not fingerprinted: a short cache, so a deployment shows within minutes.
		return &apigw.Response{Status: http.StatusOK, Header: cfg.headers(f.contentType, "public, max-age=300"), Body: b,
			Binary: !strings.HasPrefix(f.contentType, "text/") && f.contentType != "image/svg+xml"}, nil
	}
	return map[string]apigw.HandlerFunc{"GET /": page, "GET /auth/callback": page, "GET /web/{asset}": asset}, nil
}

// Router is the web function's router over the web routes.
func Router(cfg Config, log *slog.Logger) (*apigw.Router, error) {
	hs, err := Handlers(cfg)
	if err != nil {
		return nil, err
	}
	var rs []apigw.Route
	for _, r := range routes.WebRoutes() {
		h, ok := hs[r.Key()]
		if !ok {
			return nil, fmt.Errorf("web: no handler for %s", r.Key())
		}
		l := routes.LimitsOf(r)
		rs = append(rs, apigw.Route{Method: r.Method, Pattern: r.Pattern, Public: r.Public, Handler: h, MaxBody: l.MaxBody, MaxResponse: l.MaxResponse})
	}
	return apigw.NewRouter(log, nil, rs), nil // every web route is public: no officer to check
}

func (c Config) headers(contentType, cache string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("Content-Security-Policy", c.CSP())
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// The sign-in callback carries the authorization code in its URL:
	// never sent onwards.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if c.SignIn == "cognito" {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return h
}
