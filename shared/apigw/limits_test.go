package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"sportello/shared/metrics"
	"sportello/shared/problem"
)

func TestRouteBoundsOnBodyAndResponse(t *testing.T) {
	echo := func(ctx context.Context, r *Request) (*Response, error) {
		return &Response{Status: 200, Body: r.Body}, nil
	}
	big := func(ctx context.Context, r *Request) (*Response, error) {
		return &Response{Status: 200, Body: []byte(strings.Repeat("x", 7<<20))}, nil
	}
	binary := func(ctx context.Context, r *Request) (*Response, error) {
		return &Response{Status: 200, Body: make([]byte, 900), Binary: true}, nil // 1200 bytes once base64
	}
	rt := NewRouter(slog.New(slog.DiscardHandler), nil, []Route{
		{Method: "POST", Pattern: "/calc", Public: true, Handler: echo, MaxBody: 100, MaxResponse: 1000},
		{Method: "POST", Pattern: "/default", Public: true, Handler: echo},
		{Method: "GET", Pattern: "/big", Public: true, Handler: big},
		{Method: "GET", Pattern: "/binary", Public: true, Handler: binary, MaxResponse: 1000},
	})
	cases := []struct {
		name, method, path, body string
		base64                   bool
		status                   int
	}{
		{"a body at the route's bound is read", "POST", "/calc", strings.Repeat("a", 100), false, 200},
		{"a body one byte over the route's bound is refused with 413", "POST", "/calc", strings.Repeat("a", 101), false, 413},
		{"a base64 body over the bound once decoded is refused", "POST", "/calc", base64.StdEncoding.EncodeToString(make([]byte, 101)), true, 413},
		{"a route without its own bound takes up to 1 MiB", "POST", "/default", strings.Repeat("a", MaxBody), false, 200},
		{"and refuses more", "POST", "/default", strings.Repeat("a", MaxBody+1), false, 413},
		{"an answer over Lambda's 6 MB is never sent: 413 instead of API Gateway's bare 500", "GET", "/big", "", false, 413},
		{"a binary answer counts as base64", "GET", "/binary", "", false, 413},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ev := event(c.method, c.path, c.body, nil)
			ev.IsBase64Encoded = c.base64
			resp, _ := rt.Handle(context.Background(), ev)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, c.status, resp.Body)
			}
			if c.status == 413 {
				var p map[string]any
				if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p["code"] != problem.CodeTooLarge || !strings.Contains(p["detail"].(string), "massimo") {
					t.Fatalf("problem %s", resp.Body)
				}
			}
		})
	}
	if got := rt.MaxBody("POST", "/calc"); got != 100 {
		t.Errorf("MaxBody of /calc = %d, want 100 (the local front reads no more)", got)
	}
	if got := rt.MaxBody("GET", "/nowhere"); got != MaxBody {
		t.Errorf("MaxBody of an unknown route = %d, want the default", got)
	}
}

func TestRefusalsAreCountedByCode(t *testing.T) {
	var buf strings.Builder
	metrics.Enable(&buf)
	defer metrics.Enable(nil)
	rt := NewRouter(slog.New(slog.DiscardHandler), nil, []Route{
		{Method: "POST", Pattern: "/calc", Public: true, MaxBody: 10, Handler: func(ctx context.Context, r *Request) (*Response, error) {
			return JSON(200, map[string]string{})
		}},
	})
	if _, err := rt.Handle(context.Background(), event("POST", "/calc", strings.Repeat("a", 11), nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Handle(context.Background(), event("POST", "/calc", "{}", nil)); err != nil { // 200: not a refusal
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"Code":"payload_too_large"`) || !strings.Contains(lines[0], `"Refusals":1`) {
		t.Fatalf("metrics %q", buf.String())
	}
}
