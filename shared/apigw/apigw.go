// Package apigw turns API Gateway v2 (HTTP API) events into calls of small
// handler functions and their results back into responses. It owns the
// contract's transport rules: problem+json errors (RFC 9457) with one table
// from problem code to status, strict JSON bodies, claims → Principal, and
// one structured log line per request without personal data.
package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"sportello/shared/auth"
	"sportello/shared/metrics"
	"sportello/shared/problem"
)

// MaxBody is the largest JSON body a route accepts unless it says less
// (Route.MaxBody). Files never come through the API (they go straight to
// S3), so forms stay small.
const MaxBody = 1 << 20

// MaxResponse is the largest response a route sends unless it says less:
// Lambda refuses a synchronous response over 6 MB (envelope included), and
// API Gateway then answers a bare 500.
const MaxResponse = 5 << 20

// Request is what a handler sees.
type Request struct {
	Method    string
	Path      string
	Params    map[string]string // path parameters
	Query     url.Values
	Header    http.Header
	Body      []byte
	Arrival   time.Time // requestContext.timeEpoch: the filing instant
	RequestID string
	Principal *auth.Principal // nil on public routes
	Route     string          // the matched pattern, for logs
	problem   string          // the code of the problem answered, for metrics
}

// Response is what a handler returns.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	Binary bool
}

// HandlerFunc handles one route.
type HandlerFunc func(ctx context.Context, r *Request) (*Response, error)

// Route binds a method and a path pattern ("/v1/calls/{callId}") to a handler.
type Route struct {
	Method  string
	Pattern string
	Public  bool // no token needed
	Handler HandlerFunc
	// Bounds of what the route reads and writes (0: MaxBody, MaxResponse).
	MaxBody, MaxResponse int
}

func (r Route) maxBody() int {
	if r.MaxBody > 0 {
		return r.MaxBody
	}
	return MaxBody
}

func (r Route) maxResponse() int {
	if r.MaxResponse > 0 {
		return r.MaxResponse
	}
	return MaxResponse
}

// Router dispatches API Gateway v2 events.
type Router struct {
	routes  []Route
	log     *slog.Logger
	regions auth.Regions
}

// NewRouter builds a router over routes; an officer's token must name one
// of regions (the catalog's: program.Programs.Regions).
func NewRouter(log *slog.Logger, regions auth.Regions, routes ...[]Route) *Router {
	r := &Router{log: log, regions: regions}
	for _, rs := range routes {
		r.routes = append(r.routes, rs...)
	}
	return r
}

// Routes lists the routes (for the local runtime and the infra tests).
func (rt *Router) Routes() []Route { return rt.routes }

// Public reports whether method and path reach a route that needs no
// token (the local runtime verifies tokens only where the authorizer would).
func (rt *Router) Public(method, path string) bool {
	r, _, _ := rt.match(method, path)
	return r.Handler != nil && r.Public
}

// MaxBody is the body bound of the route method and path reach (MaxBody
// when none does), so the local front refuses an oversized body before
// reading it whole, as the function would.
func (rt *Router) MaxBody(method, path string) int {
	r, _, _ := rt.match(method, path)
	if r.Handler == nil {
		return MaxBody
	}
	return r.maxBody()
}

// match finds the route for method and path; allowed lists the methods of
// routes whose pattern matched with another method.
func (rt *Router) match(method, path string) (Route, map[string]string, []string) {
	var allowed []string
	for _, r := range rt.routes {
		params, ok := matchPattern(r.Pattern, path)
		if !ok {
			continue
		}
		if r.Method == method {
			return r, params, nil
		}
		allowed = append(allowed, r.Method)
	}
	return Route{}, nil, allowed
}

func matchPattern(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			v, err := url.PathUnescape(xs[i])
			if err != nil || v == "" {
				return nil, false
			}
			params[p[1:len(p)-1]] = v
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, true
}

// logAttrs collects the attributes handlers add for the request's log line.
type logAttrs struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

type logKey struct{}

// Annotate adds attributes (call, submission, outcome…) to the request's log
// line. Never pass personal data.
func Annotate(ctx context.Context, attrs ...slog.Attr) {
	if la, ok := ctx.Value(logKey{}).(*logAttrs); ok {
		la.mu.Lock()
		la.attrs = append(la.attrs, attrs...)
		la.mu.Unlock()
	}
}

// Handle is the Lambda entry point for HTTP API events.
func (rt *Router) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	start := time.Now()
	la := &logAttrs{}
	ctx = context.WithValue(ctx, logKey{}, la)
	req, resp := rt.serve(ctx, ev)
	out := events.APIGatewayV2HTTPResponse{StatusCode: resp.Status, Headers: map[string]string{}}
	for k, v := range resp.Header {
		out.Headers[k] = strings.Join(v, ", ")
	}
	if resp.Binary {
		out.Body = base64.StdEncoding.EncodeToString(resp.Body)
		out.IsBase64Encoded = true
	} else {
		out.Body = string(resp.Body)
	}
	attrs := []slog.Attr{
		slog.String("request_id", req.RequestID),
		slog.String("method", req.Method),
		slog.String("route", req.Route),
		slog.Int("status", resp.Status),
		slog.Duration("duration", time.Since(start)),
	}
	if req.Principal != nil {
		attrs = append(attrs, slog.String("role", req.Principal.Role))
	}
	la.mu.Lock()
	attrs = append(attrs, la.attrs...)
	la.mu.Unlock()
	level := slog.LevelInfo
	if resp.Status >= 500 {
		level = slog.LevelError
	}
	if resp.Status >= 400 && resp.Status < 500 && req.problem != "" {
		metrics.Count(metrics.Refusals, "Code", req.problem)
	}
	rt.log.LogAttrs(ctx, level, "request", attrs...)
	return out, nil
}

func (rt *Router) serve(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*Request, *Response) {
	method := ev.RequestContext.HTTP.Method
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	req := &Request{
		Method: method, Path: path, Header: http.Header{}, RequestID: ev.RequestContext.RequestID,
		Arrival: time.UnixMilli(ev.RequestContext.TimeEpoch),
	}
	if ev.RequestContext.TimeEpoch == 0 {
		req.Arrival = time.Now()
	}
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	q, err := url.ParseQuery(ev.RawQueryString)
	if err != nil {
		return req, Problem(req, problem.New(problem.CodeBadRequest, "Parametri di query non validi."), rt.log)
	}
	req.Query = q
	route, params, allowed := rt.match(method, path)
	if route.Handler == nil {
		if len(allowed) > 0 {
			resp := Problem(req, problem.New(problem.CodeMethodNotAllowed, "Metodo %s non consentito su questa risorsa.", method), rt.log)
			resp.Header.Set("Allow", strings.Join(allowed, ", "))
			return req, resp
		}
		return req, Problem(req, problem.New(problem.CodeNotFound, "Risorsa non trovata."), rt.log)
	}
	req.Params = params
	req.Route = route.Method + " " + route.Pattern
	if !route.Public {
		var claims map[string]string
		if ev.RequestContext.Authorizer != nil && ev.RequestContext.Authorizer.JWT != nil {
			claims = ev.RequestContext.Authorizer.JWT.Claims
		}
		p, err := auth.FromClaims(claims, rt.regions)
		if err != nil {
			return req, Problem(req, err, rt.log)
		}
		req.Principal = &p
	}
	body := ev.Body
	if limit := route.maxBody(); len(body) > limit && (!ev.IsBase64Encoded || len(body) > base64.StdEncoding.EncodedLen(limit)) {
		return req, tooLarge(req, limit, rt.log)
	}
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return req, Problem(req, problem.New(problem.CodeBadRequest, "Corpo della richiesta non valido."), rt.log)
		}
		body = string(b)
	}
	if limit := route.maxBody(); len(body) > limit {
		return req, tooLarge(req, limit, rt.log)
	}
	req.Body = []byte(body)
	resp, err := safeCall(ctx, route.Handler, req)
	if err != nil {
		return req, Problem(req, err, rt.log)
	}
	if size := encodedSize(resp); size > route.maxResponse() {
		// Never sent: over the route's bound (at most Lambda's) the client
		// would get API Gateway's bare 500. The request asked for too much.
		rt.log.WarnContext(ctx, "response over the route's bound", slog.String("request_id", req.RequestID),
			slog.String("route", req.Route), slog.Int("bytes", size), slog.Int("limit", route.maxResponse()))
		return req, Problem(req, problem.New(problem.CodeTooLarge,
			"La risposta supererebbe %d byte, il massimo di questo servizio: ridurre la richiesta.", route.maxResponse()), rt.log)
	}
	return req, resp
}

// tooLarge is the problem of a body over the route's bound.
func tooLarge(req *Request, limit int, log *slog.Logger) *Response {
	return Problem(req, problem.New(problem.CodeTooLarge, "Il corpo della richiesta supera %d byte, il massimo di questo servizio.", limit), log)
}

// encodedSize is the body's size as it leaves the function (base64 for
// binary bodies).
func encodedSize(r *Response) int {
	if r.Binary {
		return base64.StdEncoding.EncodedLen(len(r.Body))
	}
	return len(r.Body)
}

// safeCall turns a handler panic into a 500 instead of a dead Lambda.
func safeCall(ctx context.Context, h HandlerFunc, r *Request) (resp *Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in handler: %v", v)
		}
	}()
	resp, err = h(ctx, r)
	if err == nil && resp == nil {
		err = errors.New("handler returned no response")
	}
	return resp, err
}

// statusOf is the one table from problem code to HTTP status.
var statusOf = map[string]int{
	problem.CodeBadRequest:       http.StatusBadRequest,
	problem.CodeValidation:       http.StatusUnprocessableEntity,
	problem.CodeIncomplete:       http.StatusUnprocessableEntity,
	problem.CodeUnauthorized:     http.StatusUnauthorized,
	problem.CodeForbidden:        http.StatusForbidden,
	problem.CodeNotFound:         http.StatusNotFound,
	problem.CodeConflict:         http.StatusConflict,
	problem.CodeNotEditable:      http.StatusConflict,
	problem.CodeVersionMismatch:  http.StatusPreconditionFailed,
	problem.CodePrecondition:     http.StatusPreconditionRequired,
	problem.CodeWindowClosed:     http.StatusConflict,
	problem.CodeWindowNotOpen:    http.StatusConflict,
	problem.CodeMemberConflict:   http.StatusConflict,
	problem.CodeDuplicate:        http.StatusConflict,
	problem.CodeTooLarge:         http.StatusRequestEntityTooLarge,
	problem.CodeUnsupportedMedia: http.StatusUnsupportedMediaType,
	problem.CodeMethodNotAllowed: http.StatusMethodNotAllowed,
	problem.CodeUnavailable:      http.StatusServiceUnavailable,
	problem.CodeInternal:         http.StatusInternalServerError,

	problem.CodeNotAcceptable:        http.StatusNotAcceptable,
	problem.CodeUndecided:            http.StatusConflict,
	problem.CodeAllocationInProgress: http.StatusConflict,
	problem.CodeIdempotencyMismatch:  http.StatusUnprocessableEntity,
	problem.CodePrivacyNotice:        http.StatusUnprocessableEntity,
}

// StatusOf returns the HTTP status for a problem code.
func StatusOf(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Problem renders err as application/problem+json. Errors that are not a
// *problem.Error are internal: logged with the request id, never shown.
func Problem(r *Request, err error, log *slog.Logger) *Response {
	p, ok := problem.As(err)
	if !ok {
		log.Error("internal error", slog.String("request_id", r.RequestID), slog.String("error", err.Error()))
		p = problem.New(problem.CodeInternal, "Errore interno. Riprovare; se persiste, indicare all'assistenza il codice richiesta %s.", r.RequestID)
	}
	if ok && p.Code == problem.CodeUnavailable {
		// the cause (throttled, faulted) is for operators, not clients
		log.Warn("unavailable", slog.String("request_id", r.RequestID), slog.String("error", err.Error()))
	}
	status := StatusOf(p.Code)
	r.problem = p.Code
	doc := map[string]any{}
	for k, v := range p.Extra {
		doc[k] = v
	}
	doc["type"] = "https://sportello.regione.example/problems/" + p.Code
	doc["title"] = http.StatusText(status)
	doc["status"] = status
	doc["code"] = p.Code
	doc["detail"] = p.Detail
	if r.RequestID != "" {
		doc["instance"] = "urn:request:" + r.RequestID
	}
	if len(p.Fields) > 0 {
		doc["errors"] = p.Fields
	}
	b, _ := json.Marshal(doc)
	h := http.Header{}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	return &Response{Status: status, Header: h, Body: b}
}

// JSON renders v with status.
func JSON(status int, v any) (*Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	return &Response{Status: status, Header: h, Body: b}, nil
}

// Bytes renders a download.
func Bytes(status int, contentType, filename string, b []byte) *Response {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	if filename != "" {
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, filename))
	}
	return &Response{Status: status, Header: h, Body: b, Binary: true}
}
