package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// DynamoDB keeps no item over 400 KB: a draft that would exceed it is
// refused with 413 problem+json and nothing changes — never a 500. The
// body (under the API's 1 MB) is a well-formed Piemonte form whose
// services carry long names.
func TestDraftOverTheItemLimitIs413(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 18, 11, 0))
	org := "comune:001272"
	tok := e.applicant(org)
	var services []string
	for i := 0; i < 9; i++ {
		services = append(services, fmt.Sprintf(`{"id":"PIE-SE-%04d","name":%q}`, i, strings.Repeat("n", 50*1024)))
	}
	data := json.RawMessage(`{"contactEmail":"protocollo@comune.example.it","services":[` + strings.Join(services, ",") + `]}`)
	r := e.createDraft(PiemonteCall, tok, apiclient.SubmissionCreate{Org: org, Data: ptr(formData(t, data))})
	if r.Status != 413 || problemCode(t, r) != "payload_too_large" || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("a draft over 400 KB: %d %.300s", r.Status, r.Body)
	}
	id := e.draft(PiemonteCall, tok, org, json.RawMessage(`{"contactEmail":"protocollo@comune.example.it","services":[]}`))
	r = e.update(id, tok, `"1"`, apiclient.SubmissionUpdate{Data: formData(t, data)})
	if r.Status != 413 || problemCode(t, r) != "payload_too_large" {
		t.Fatalf("a draft saved over 400 KB: %d %.300s", r.Status, r.Body)
	}
	if r := e.submission(id, tok); r.Status != 200 || decode[apiclient.Submission](t, r).Version != 1 {
		t.Fatalf("the refused save changed the draft: %d %.200s", r.Status, r.Body)
	}
}
