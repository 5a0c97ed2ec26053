package apigw

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"sportello/shared/problem"
)

func router() *Router {
	echo := func(ctx context.Context, r *Request) (*Response, error) {
		var body struct {
			Name string `json:"name"`
			N    int    `json:"n"`
		}
		if err := Decode(r, &body); err != nil {
			return nil, err
		}
		return JSON(200, map[string]any{"id": r.Params["id"], "name": body.Name, "who": r.Principal.Subject})
	}
	boom := func(ctx context.Context, r *Request) (*Response, error) { panic("secret internal detail") }
	leak := func(ctx context.Context, r *Request) (*Response, error) {
		return nil, context.DeadlineExceeded
	}
	return NewRouter(slog.New(slog.DiscardHandler), nil, []Route{
		{Method: "POST", Pattern: "/v1/things/{id}", Handler: echo},
		{Method: "GET", Pattern: "/v1/boom", Public: true, Handler: boom},
		{Method: "GET", Pattern: "/v1/leak", Public: true, Handler: leak},
	})
}

func event(method, path, body string, claims map[string]string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{RawPath: path, Body: body, Headers: map[string]string{"content-type": "application/json"}}
	ev.RequestContext.HTTP.Method = method
	ev.RequestContext.RequestID = "req-1"
	ev.RequestContext.TimeEpoch = 1779098400000
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	}
	return ev
}

var clerk = map[string]string{"sub": "u1", "role": "applicant", "orgs": "[comune:001272]"}

type problemDoc struct {
	Status int                  `json:"status"`
	Code   string               `json:"code"`
	Detail string               `json:"detail"`
	Errors []problem.FieldError `json:"errors"`
}

func TestRouting(t *testing.T) {
	rt := router()
	tests := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
		code   string
	}{
		{"a good request passes", event("POST", "/v1/things/a1", `{"name":"x"}`, clerk), 200, ""},
		{"no claims is 401", event("POST", "/v1/things/a1", `{"name":"x"}`, nil), 401, problem.CodeUnauthorized},
		{"an unknown path is 404", event("GET", "/v1/nothing", ``, clerk), 404, problem.CodeNotFound},
		{"a wrong method is 405", event("GET", "/v1/things/a1", ``, clerk), 405, problem.CodeMethodNotAllowed},
		{"bad JSON is 400", event("POST", "/v1/things/a1", `{"name":`, clerk), 400, problem.CodeBadRequest},
		{"an unknown field is 400", event("POST", "/v1/things/a1", `{"name":"x","admin":true}`, clerk), 400, problem.CodeBadRequest},
		{"a wrong type is 400", event("POST", "/v1/things/a1", `{"n":"seven"}`, clerk), 400, problem.CodeBadRequest},
		{"two JSON values are 400", event("POST", "/v1/things/a1", `{} {}`, clerk), 400, problem.CodeBadRequest},
		{"an empty body is 400", event("POST", "/v1/things/a1", ``, clerk), 400, problem.CodeBadRequest},
		{"an oversized body is 413", event("POST", "/v1/things/a1", `{"name":"`+strings.Repeat("x", MaxBody)+`"}`, clerk), 413, problem.CodeTooLarge},
		{"a panic is a 500 without details", event("GET", "/v1/boom", ``, nil), 500, problem.CodeInternal},
		{"an internal error is a 500 without details", event("GET", "/v1/leak", ``, nil), 500, problem.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := rt.Handle(context.Background(), tt.ev)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
			if tt.code == "" {
				return
			}
			if ct := resp.Headers["Content-Type"]; ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
			var p problemDoc
			if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p.Code != tt.code || p.Status != tt.status || p.Detail == "" {
				t.Fatalf("problem %+v %v", p, err)
			}
			if strings.Contains(resp.Body, "secret") || strings.Contains(resp.Body, "deadline") {
				t.Fatalf("internal detail leaked: %s", resp.Body)
			}
		})
	}
}

func TestUnknownFieldIsNamed(t *testing.T) {
	resp, _ := router().Handle(context.Background(), event("POST", "/v1/things/a1", `{"admin":true}`, clerk))
	var p problemDoc
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 1 || p.Errors[0].Field != "admin" || p.Errors[0].Code != problem.FieldUnknown {
		t.Fatalf("got %+v", p)
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
	for _, code := range []string{problem.CodeBadRequest, problem.CodeValidation, problem.CodeIncomplete, problem.CodeUnauthorized,
		problem.CodeForbidden, problem.CodeNotFound, problem.CodeConflict, problem.CodeNotEditable, problem.CodeVersionMismatch,
		problem.CodePrecondition, problem.CodeWindowClosed, problem.CodeWindowNotOpen, problem.CodeMemberConflict, problem.CodeDuplicate,
		problem.CodeTooLarge, problem.CodeUnsupportedMedia, problem.CodeMethodNotAllowed, problem.CodeUnavailable} {
		if StatusOf(code) == 500 {
			t.Errorf("%s maps to 500", code)
		}
	}
	if StatusOf(problem.CodeVersionMismatch) != 412 || StatusOf(problem.CodeWindowClosed) != 409 || StatusOf(problem.CodeIncomplete) != 422 {
		t.Fatal("contract statuses changed")
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{"name":`, `[]`, `{"n":1e400}`, `{"name":"\u0000"}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v struct {
			Name string            `json:"name"`
			N    int               `json:"n"`
			M    map[string]string `json:"m"`
		}
		err := DecodeJSON(b, &v)
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("decode error is not a problem: %v", err)
			}
		}
	})
}
