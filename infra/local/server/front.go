package server

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"sportello/shared/apigw"
	"sportello/shared/auth"
	"sportello/shared/ident"
	"sportello/shared/problem"
)

// apiGatewayLimit is API Gateway's payload limit; bigger bodies never
// reach a function (files go to S3 directly).
const apiGatewayLimit = 10 << 20

// front plays API Gateway: it stamps the arrival time before anything else,
// verifies the bearer token where the JWT authorizer would, and turns the
// request into the v2 event the Lambda handlers receive.
type front struct {
	router *apigw.Router
	// web serves the web interface's routes (everything outside /v1/), as
	// the web function does behind the same HTTP API in the cloud.
	web  *apigw.Router
	keys *auth.Keys
	now  func() time.Time
	dev  http.Handler // /v1/dev/token, local only
	// relay, if set, runs after each handler, before the answer goes out:
	// locally the outbox is drained then (and on a timer), so the e-mails
	// of a change are in the outbox directory when its answer arrives.
	relay func()
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrival := f.now() // the filing instant: taken before reading the body
	if r.URL.Path == "/v1/dev/token" {
		f.dev.ServeHTTP(w, r)
		return
	}
	// The route's own bound, as the function checks it (never more than API
	// Gateway's): an anonymous calculator never reads more than it accepts.
	router := f.router
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		router = f.web
	}
	limit := min(router.MaxBody(r.Method, r.URL.Path), apiGatewayLimit)
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	if len(body) > limit {
		writeProblem(w, problem.New(problem.CodeTooLarge, "Il corpo della richiesta supera %d byte, il massimo di questo servizio. I file si caricano con l'URL pre-firmato.", limit))
		return
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: r.URL.EscapedPath(), RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: ident.New("req"), TimeEpoch: arrival.UnixMilli(), Time: arrival.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			Stage: "$default",
			HTTP:  events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path, Protocol: r.Proto, SourceIP: r.RemoteAddr, UserAgent: r.UserAgent()},
		},
	}
	for k, v := range r.Header {
		ev.Headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	if !router.Public(r.Method, r.URL.Path) {
		if tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
			claims, err := f.keys.Verify(strings.TrimSpace(tok))
			if err != nil {
				// The authorizer answers 401 itself; the function never runs.
				writeProblem(w, problem.New(problem.CodeUnauthorized, "Token mancante, scaduto o non valido."))
				return
			}
			ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
			}
		} else if r.Header.Get("Authorization") != "" {
			writeProblem(w, problem.New(problem.CodeUnauthorized, "Token mancante, scaduto o non valido."))
			return
		}
	}
	resp, err := router.Handle(context.WithoutCancel(r.Context()), ev)
	if f.relay != nil {
		f.relay()
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	out := []byte(resp.Body)
	if resp.IsBase64Encoded {
		out, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out) //nolint:errcheck // a client that went away has nothing left to read
}

func writeProblem(w http.ResponseWriter, p *problem.Error) {
	resp := apigw.Problem(&apigw.Request{}, p, nil)
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.Status)
	w.Write(resp.Body) //nolint:errcheck // a client that went away has nothing left to read
}
