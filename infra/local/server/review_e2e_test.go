package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// The Piemonte cycle: sent for validation, rejected with notes (after the
// window, with a correction deadline), edited, sent again with the same
// protocol, validated.
func TestPiemonteRejectEditResendValidate(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	ex := loadExample(t, "piemonte-torino.json")
	tok := e.applicant(ex.Org)
	id := e.draft(PiemonteCall, tok, ex.Org, ex.Data)
	filed := e.submit(id, tok)
	number := protocolOf(t, filed).Number

	e.clk.Set(clock.InRome(2026, 5, 25, 10, 0))       // after the window
	tok, off := e.applicant(ex.Org), e.officer("PIE") // tokens last 8 hours
	deadline := clock.InRome(2026, 6, 5, 12, 0).Format(time.RFC3339)
	r := e.decide(id, off, apiclient.Decision{Decision: "reject", Notes: ptr("Correggere la media dei frequentanti del Girasole."), Deadline: ptr(deadline)})
	if r.Status != 200 || decode[apiclient.Submission](t, r).State != "rejected" {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	// The Comune gets the correction notes by e-mail.
	mails, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*esito*"))
	if len(mails) != 1 {
		t.Fatalf("want one decision e-mail, got %v", mails)
	}
	if b, _ := os.ReadFile(mails[0]); !strings.Contains(string(b), "Correggere la media dei frequentanti del Girasole.") ||
		!strings.Contains(string(b), "05/06/2026 alle 12:00:00") || !strings.Contains(string(b), "To: servizi.educativi@comune.torino.it") {
		t.Fatalf("decision e-mail:\n%s", b)
	}
	if r := e.decide(id, tok, apiclient.Decision{Decision: "validate"}); r.Status != 403 && r.Status != 404 {
		t.Fatalf("an applicant cannot review: %d", r.Status)
	}
	version := decode[apiclient.Submission](t, r).Version
	edited := strings.Replace(string(ex.Data), `"52.40"`, `"50.10"`, 1)
	r = e.do("PUT", "/v1/submissions/"+id, tok, `{"data":`+edited+`}`, "If-Match", strconv.FormatInt(version, 10))
	if r.Status != 200 {
		t.Fatalf("a rejected form is editable: %d %s", r.Status, r.Body)
	}
	r = e.submit(id, tok)
	if r.Status != 200 || decode[apiclient.Submission](t, r).State != "submitted" || protocolOf(t, r).Number != number {
		t.Fatalf("resend keeps the protocol: %d %s", r.Status, r.Body)
	}
	r = e.decide(id, off, apiclient.Decision{Decision: "validate"})
	if r.Status != 200 || decode[apiclient.Submission](t, r).State != "validated" {
		t.Fatalf("validate: %d %s", r.Status, r.Body)
	}
	// An application's audit trail is eventually consistent (read through
	// the index, gsi1, which shows a line a few hundred milliseconds after
	// it is written, as on AWS): the officer's view may lag the last
	// action that briefly, so the test asks again until it shows it.
	want := "submission.created submission.filed submission.reviewed submission.updated submission.resubmitted submission.reviewed"
	actions := func(r response) string {
		var trail struct {
			Entries []struct{ Action string } `json:"entries"`
		}
		if err := json.Unmarshal(r.Body, &trail); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range trail.Entries {
			out = append(out, a.Action)
		}
		return strings.Join(out, " ")
	}
	e.eventually("the audit trail", func() response {
		return e.submissionAudit(id, off)
	}, func(r response) bool { return actions(r) == want })
	// After the correction deadline a rejected form can no longer be sent.
	e.clk.Set(clock.InRome(2026, 6, 5, 12, 0))
	if r := e.submission(id, e.applicant("comune:006003")); r.Status != 404 {
		t.Fatalf("another Comune sees the scheda: %d", r.Status)
	}
}

// Documents: an unsigned file for a kind that must be signed ends
// rejected and blocks submit; a renamed .exe is rejected; a filename with
// ../ cannot influence the key; an officer can ask for integration, after
// which only uploads are allowed.
func TestDocumentsRules(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	unsigned := e.upload(id, tok, "delibera_giunta", "unsigned.pdf", "application/pdf")
	if st, reason := e.documentStatus(id, tok, unsigned); st != "rejected" || !strings.Contains(reason, "firmato") {
		t.Fatalf("unsigned delibera: %s %s", st, reason)
	}
	exe := e.upload(id, tok, "delibera_tariffe", "renamed-exe.pdf", "application/pdf")
	if st, _ := e.documentStatus(id, tok, exe); st != "rejected" {
		t.Fatalf("renamed exe: %s", st)
	}
	r := e.declareDocument(id, tok, apiclient.DocumentDeclaration{Kind: "delibera_giunta", Filename: "../../x.pdf",
		ContentType: "application/pdf", Size: 10, Sha256: strings.Repeat("a", 64)})
	if r.Status != 201 || strings.Contains(decode[apiclient.UploadTicket](t, r).UploadUrl, "x.pdf") || !strings.Contains(decode[apiclient.UploadTicket](t, r).UploadUrl, "/documents/"+LombardiaCall+"/"+id+"/doc_") {
		t.Fatalf("key from ids only: %s", r.Body)
	}
	r = e.submit(id, tok)
	if r.Status != 422 || !strings.Contains(string(r.Body), "documents.delibera_giunta") {
		t.Fatalf("an unsigned delibera blocks submit: %d %s", r.Status, r.Body)
	}
	for _, bad := range []apiclient.DocumentDeclaration{
		{Kind: "selfie", Filename: "a.pdf", ContentType: "application/pdf", Size: 10, Sha256: strings.Repeat("a", 64)},
		{Kind: "delibera_giunta", Filename: "a.docx", ContentType: "application/msword", Size: 10, Sha256: strings.Repeat("a", 64)},
		{Kind: "delibera_giunta", Filename: "a.pdf", ContentType: "application/pdf", Size: 60 << 20, Sha256: strings.Repeat("a", 64)},
		{Kind: "delibera_giunta", Filename: "a.pdf", ContentType: "application/pdf", Size: 10, Sha256: "XYZ"},
	} {
		if r := e.declareDocument(id, tok, bad); r.Status != 422 {
			t.Fatalf("%+v: %d %s", bad, r.Status, r.Body)
		}
	}
	// A PUT with another length than declared never reaches storage.
	up := decode[apiclient.UploadTicket](t, e.declareDocument(id, tok, apiclient.DocumentDeclaration{Kind: "delibera_giunta", Filename: "a.pdf",
		ContentType: "application/pdf", Size: 10, Sha256: strings.Repeat("a", 64)}))
	req, _ := http.NewRequest("PUT", up.UploadUrl, strings.NewReader("0123456789X"))
	for k, v := range up.Headers {
		if k != "Content-Length" {
			req.Header.Set(k, v)
		}
	}
	resp, _ := http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("a PUT longer than declared: %d", resp.StatusCode)
	}

	// Integration requested: data frozen, uploads allowed until the deadline.
	e.uploadExamples(id, tok, ex.Documents)
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("with every document: %d %s", r.Status, r.Body)
	}
	off := e.officer("LOM")
	deadline := clock.InRome(2025, 10, 1, 12, 0).Format(time.RFC3339)
	if r := e.decide(id, off, apiclient.Decision{Decision: "request_integration", Notes: ptr("Allegare la convenzione aggiornata."), Deadline: ptr(deadline)}); r.Status != 200 {
		t.Fatalf("request integration: %d %s", r.Status, r.Body)
	}
	if r := e.do("PUT", "/v1/submissions/"+id, tok, `{"data":{}}`, "If-Match", "3"); r.Status != 409 {
		t.Fatalf("data are frozen under integration: %d %s", r.Status, r.Body)
	}
	e.uploadFor(id, tok, "convenzione", "AFAM-015146-002", "signed-two-parties.p7m", "application/pkcs7-mime")
	if r := e.decide(id, off, apiclient.Decision{Decision: "admit", AdmittedFacilities: ptr([]string{"AFAM-015146-001", "AFAM-015146-002"})}); r.Status != 200 || decode[apiclient.Submission](t, r).State != "admitted" {
		t.Fatalf("admit: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 10, 2, 12, 0))
	tok = e.applicant(ex.Org)
	if r := e.declareDocument(id, tok, apiclient.DocumentDeclaration{Kind: "convenzione", Filename: "b.pdf",
		ContentType: "application/pdf", Size: 10, Sha256: strings.Repeat("a", 64)}); r.Status != 409 {
		t.Fatalf("no uploads once admitted: %d", r.Status)
	}
}

// The receipt PDF carries the protocol number and the filing time; the
// generated A1 carries the draft's data.
func TestReceiptAndSummaryPDFs(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	if r := e.do("GET", "/v1/submissions/"+id+"/receipt", tok, nil); r.Status != 409 {
		t.Fatalf("no receipt before filing: %d", r.Status)
	}
	r := e.do("GET", "/v1/submissions/"+id+"/summary", tok, nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(string(r.Body), "protocollo@postacert.comune.milano.it") {
		t.Fatalf("summary: %d %.200s", r.Status, r.Body)
	}
	e.uploadExamples(id, tok, ex.Documents)
	filed := e.submit(id, tok)
	number := protocolOf(t, filed).Number
	r = e.do("GET", "/v1/submissions/"+id+"/receipt", tok, nil)
	body := string(r.Body)
	if r.Status != 200 || !strings.HasPrefix(body, "%PDF-") || !strings.Contains(body, number) ||
		!strings.Contains(body, "20/07/2025 alle 10:00:00") || !strings.Contains(body, "Comune di Milano") {
		t.Fatalf("receipt: %d %.300s", r.Status, body)
	}
}

// The Comune sees each active service's averaging period beside its data.
func TestPiemonteShowsAveragingPeriods(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 4, 10, 0))
	ex := loadExample(t, "piemonte-torino.json")
	tok := e.applicant(ex.Org)
	id := e.draft(PiemonteCall, tok, ex.Org, ex.Data)
	r := e.submission(id, tok)
	if !strings.Contains(string(r.Body), `"derived":{"services":[{"service":0,"id":"PIE-SE-0001","averagingPeriod":{"from":"2025-03-03","to":"2026-02-27"}}`) {
		t.Fatalf("derived: %s", r.Body)
	}
}
