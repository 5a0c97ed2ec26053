package server

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sportello/shared/auth"
	"sportello/shared/clock"
)

// lockedBuffer collects log output from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Every route × every kind of bad caller: 401, 403 or 404, and nothing of
// the Milano application in the answer.
func TestAuthorisationMatrix(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	owner := e.applicant(ex.Org)
	subID := e.draft(LombardiaCall, owner, ex.Org, ex.Data)
	docID := e.upload(subID, owner, "delibera_giunta", "signed.p7m", "application/pkcs7-mime")

	now := e.clk.Now
	p := auth.Principal{Subject: "intruder", Role: auth.RoleApplicant, Orgs: []string{"comune:015146"}}
	other, _ := auth.GenerateKey()
	expired, _ := e.rt.Keys.WithClaims(auth.LocalIssuer, auth.LocalAudience, func() time.Time { return now().Add(-9 * time.Hour) }).Issue(p, 8*time.Hour)
	forged, _ := auth.NewKeys(other, now).Issue(p, time.Hour)
	badIss, _ := e.rt.Keys.WithClaims("https://evil.example", auth.LocalAudience, now).Issue(p, time.Hour)
	badAud, _ := e.rt.Keys.WithClaims(auth.LocalIssuer, "another-api", now).Issue(p, time.Hour)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x", "role": "officer", "region": "LOM",
		"iss": auth.LocalIssuer, "aud": auth.LocalAudience, "exp": now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	callers := []struct {
		name, token string
		allowed     map[string]bool // routes this caller may legitimately reach
	}{
		{"no token", "", nil},
		{"expired token", expired, nil},
		{"bad signature", forged, nil},
		{"alg none", none, nil},
		{"wrong issuer", badIss, nil},
		{"wrong audience", badAud, nil},
		// Calls are public acts: any applicant may read them.
		{"applicant of another org", e.applicant("comune:016024"), map[string]bool{"GET /v1/calls": true, "GET /v1/calls/{callId}": true,
			"GET /v1/calls/{callId}/form": true, "GET /v1/calls/{callId}/submissions": true, "GET /v1/calls/{callId}/rendicontazioni": true}}, // its own: none
		// Another region's officer sees an empty list, and nothing else.
		{"officer of another region", e.officer("PIE"), map[string]bool{"GET /v1/calls": true}},
	}
	params := strings.NewReplacer("{callId}", LombardiaCall, "{windowId}", "w1", "{id}", subID, "{allocationId}", "alloc_aaaaaaaaaaaaaaaa")
	// A valid body per route, so that what answers is authorisation, not validation.
	bodies := map[string]string{
		"POST /v1/calls": `{"program":"lombardia-ngp-2025","title":"t","windows":[{"opensAt":"2026-07-01T12:00:00+02:00","closesAt":"2026-07-31T12:00:00+02:00"}]}`,
		"PATCH /v1/calls/{callId}/windows/{windowId}":  `{"closesAt":"2025-07-31T18:00:00+02:00"}`,
		"POST /v1/calls/{callId}/funds":                `{"amount":"1000.00"}`,
		"POST /v1/calls/{callId}/allocations:simulate": `{"amount":"1000.00"}`,
		"POST /v1/calls/{callId}/submissions":          `{"org":"comune:015146","data":{}}`,
		"PUT /v1/submissions/{id}":                     `{"data":{}}`,
		"POST /v1/submissions/{id}/review":             `{"decision":"admit"}`,
		"POST /v1/submissions/{id}/documents":          `{"kind":"delibera_giunta","filename":"a.p7m","contentType":"application/pkcs7-mime","size":10,"sha256":"` + strings.Repeat("a", 64) + `"}`,
		"POST /v1/calls/{callId}/registry":             "",
	}
	leaks := []string{"protocollo@postacert.comune.milano.it", "VRDGPP70C10L219Q", "01199250158", "AFAM-015146"}
	for _, route := range e.rt.Router.Routes() {
		if route.Public {
			continue
		}
		path := params.Replace(route.Pattern)
		if strings.HasPrefix(route.Pattern, "/v1/documents/") {
			path = strings.Replace(route.Pattern, "{id}", docID, 1)
		}
		key := route.Method + " " + route.Pattern
		for _, c := range callers {
			t.Run(key+" by "+c.name, func(t *testing.T) {
				var body any
				if route.Method != "GET" {
					body = `{}`
					if b, ok := bodies[key]; ok {
						body = b
					}
				}
				r := e.do(route.Method, path, c.token, body, "If-Match", "1")
				if c.allowed[key] {
					if r.Status != 200 {
						t.Fatalf("allowed route answered %d", r.Status)
					}
				} else if r.Status != 401 && r.Status != 403 && r.Status != 404 {
					t.Fatalf("got %d: %s", r.Status, r.Body)
				}
				for _, l := range leaks {
					if strings.Contains(string(r.Body), l) {
						t.Fatalf("leaked %q: %s", l, r.Body)
					}
				}
				if c.name == "officer of another region" && key == "GET /v1/calls" && strings.Contains(string(r.Body), LombardiaCall) {
					t.Fatal("another region's call listed")
				}
			})
		}
	}
}

// A full run's logs hold no codice fiscale, no e-mail, no ISEE and no
// amounts of a family: only ids, states and outcomes.
func TestLogsHoldNoPersonalData(t *testing.T) {
	var logs lockedBuffer
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0), logTo(&logs))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	e.uploadExamples(id, tok, ex.Documents)
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	e.do("POST", "/v1/calculators/nidi-gratis-plus", "", `{"fee":"812.34","isee":"19876.54","bornFrom2024":true,"month":3}`)
	e.do("PUT", "/v1/submissions/"+id, tok, `{"data":{"entity":{"fiscalCode":"RSSMRA85T10A562S"}}}`, "If-Match", "1")
	out := logs.String()
	if !strings.Contains(out, `"request_id"`) || !strings.Contains(out, `"submission":"`+id) {
		t.Fatal("the log must carry request and submission ids")
	}
	personal := regexp.MustCompile(`[A-Z]{6}\d{2}[A-Z]\d{2}[A-Z]\d{3}[A-Z]|@|19876|812\.34|01199250158|Verdi|Giuseppe`)
	if m := personal.FindString(out); m != "" {
		i := strings.Index(out, m)
		t.Fatalf("personal data %q in logs: …%s…", m, out[max(0, i-200):min(len(out), i+100)])
	}
}
