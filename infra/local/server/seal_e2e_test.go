package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	samples "sportello/events"
	"sportello/events/files/fixtures"
	"sportello/infra/apiclient"
	"sportello/shared/clock"
	"sportello/shared/submission"
)

// pendingUpload is a declared document whose bytes are not yet sent.
type pendingUpload struct {
	id, url, method, sha string
	body                 []byte
	headers              map[string]string
}

// declare asks for an upload URL for a fixture without sending the bytes.
func (e *env) declare(subID, token, kind, file, contentType string) pendingUpload {
	e.t.Helper()
	return e.declareExample(subID, token, exampleDoc{Kind: kind, File: file, ContentType: contentType})
}

// declareExample asks for an upload URL for one document of an example.
func (e *env) declareExample(subID, token string, d exampleDoc) pendingUpload {
	e.t.Helper()
	u, r := e.tryDeclare(subID, token, d)
	if r.Status != 201 {
		e.t.Fatalf("declare %s: %d %s", d.Kind, r.Status, r.Body)
	}
	return u
}

// tryDeclare asks for an upload URL; the answer tells whether it was given.
// The file "@summary" is the application generated from the draft, signed.
func (e *env) tryDeclare(subID, token string, d exampleDoc) (pendingUpload, response) {
	e.t.Helper()
	var body []byte
	var err error
	name := d.File
	if d.File == "@summary" {
		r := e.do("GET", "/v1/submissions/"+subID+"/summary", token, nil)
		if r.Status != 200 {
			return pendingUpload{}, r
		}
		body, err = fixtures.SignCAdES(r.Body, fixtures.ECDSASigner)
		name = "allegato-a1.pdf.p7m"
	} else {
		body, err = samples.FS.ReadFile("files/" + d.File)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	decl := apiclient.DocumentDeclaration{Kind: d.Kind, Filename: name, ContentType: d.ContentType, Size: int64(len(body)), Sha256: hex.EncodeToString(sum[:])}
	if d.Ref != "" {
		decl.Ref = ptr(d.Ref)
	}
	r := e.declareDocument(subID, token, decl)
	if r.Status != 201 {
		return pendingUpload{}, r
	}
	up := decode[apiclient.UploadTicket](e.t, r)
	return pendingUpload{id: up.Id, url: up.UploadUrl, method: string(up.Method), body: body,
		sha: hex.EncodeToString(sum[:]), headers: up.Headers}, r
}

// send PUTs the bytes of a declared upload, as a browser would, and
// waits for the documents function.
func (e *env) send(u pendingUpload) {
	e.t.Helper()
	req, err := http.NewRequest(u.method, u.url, bytes.NewReader(u.body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.ContentLength = int64(len(u.body))
	for k, v := range u.headers {
		if k != "Content-Length" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("PUT %s: %d", u.id, resp.StatusCode)
	}
	e.rt.WaitDocuments()
}

// filedMilano files Milano's complete application and returns its id,
// token and the SHA-256 of each uploaded document.
func (e *env) filedMilano() (string, string, map[string]bool) {
	e.t.Helper()
	ex := loadExample(e.t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	shas := map[string]bool{}
	for _, d := range ex.Documents {
		u := e.declareExample(id, tok, d)
		e.send(u)
		shas[u.sha] = true
	}
	if r := e.submit(id, tok); r.Status != 200 {
		e.t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	return id, tok, shas
}

// sealedView is an application as the seal tests read it: the generated
// apiclient.Submission with its optional parts in place (zero when absent).
type sealedView struct {
	State           apiclient.SubmissionState
	Protocol        apiclient.Protocol
	SealedDocuments []apiclient.SealedDocument
	Integrations    []apiclient.Integration
	Flags           []string
	Review          apiclient.Review
}

func (e *env) view(id, token string) sealedView {
	e.t.Helper()
	r := e.submission(id, token)
	if r.Status != 200 {
		e.t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	s := decode[apiclient.Submission](e.t, r)
	return sealedView{State: s.State, Protocol: deref(s.Protocol), SealedDocuments: deref(s.SealedDocuments),
		Integrations: deref(s.Integrations), Flags: deref(s.Flags), Review: deref(s.Review)}
}

func sealedIDs(docs []apiclient.SealedDocument) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Id)
	}
	slices.Sort(out)
	return out
}

// Item 1: the filing seals the documents verified when it ran; a document
// whose bytes arrive after the protocol becomes verified but never joins
// the filed application, and the receipt lists exactly the sealed set.
func TestFilingSealsTheVerifiedDocuments(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	var want []string
	shas := map[string]bool{}
	for _, d := range ex.Documents {
		u := e.declareExample(id, tok, d)
		e.send(u)
		want = append(want, u.id)
		shas[u.sha] = true
	}
	late := e.declare(id, tok, "delibera_giunta", "signed-ber.p7m", "application/pkcs7-mime")
	e.clk.Advance(time.Minute)
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	e.clk.Advance(time.Minute)
	e.send(late) // the bytes arrive after the protocol
	if st, reason := e.documentStatus(id, tok, late.id); st != "verified" {
		t.Fatalf("the late document is still checked: %s %s", st, reason)
	}
	v := e.view(id, tok)
	slices.Sort(want)
	if got := sealedIDs(v.SealedDocuments); !slices.Equal(got, want) {
		t.Fatalf("sealed %v, want %v", got, want)
	}
	for _, d := range v.SealedDocuments {
		if !shas[d.Sha256] || d.Size == 0 || d.Kind == "" {
			t.Fatalf("sealed fingerprint incomplete: %+v", d)
		}
	}
	receipt := e.do("GET", "/v1/submissions/"+id+"/receipt", tok, nil)
	if receipt.Status != 200 {
		t.Fatalf("receipt: %d", receipt.Status)
	}
	for sha := range shas {
		if !bytes.Contains(receipt.Body, []byte(sha)) {
			t.Fatalf("receipt lacks sealed SHA-256 %s", sha)
		}
	}
	if bytes.Contains(receipt.Body, []byte(late.sha)) {
		t.Fatal("the receipt lists a document verified after the filing")
	}
}

// Item 1: an integration counts only the documents S3 received between
// the request and its deadline, only once the applicant sends it; sending
// seals them, is audited, tells the Region's office, and takes its own
// number in the Region's register. Bytes after the deadline never count.
func TestIntegrationIsSealedAndRegisteredWithItsOwnNumber(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	id, tok, _ := e.filedMilano()
	sealedBefore := sealedIDs(e.view(id, tok).SealedDocuments)
	off := e.officer("LOM")
	deadline := clock.InRome(2025, 8, 5, 12, 0)
	if r := e.decide(id, off, apiclient.Decision{Decision: "request_integration",
		Notes: ptr("Inviare la convenzione aggiornata."), Deadline: ptr(deadline.Format(time.RFC3339))}); r.Status != 200 {
		t.Fatalf("request integration: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 8, 1, 10, 0))
	tok = e.applicant("comune:015146")
	if r := e.sendIntegration(id, tok); r.Status != 422 || problemCode(t, r) != "incomplete" {
		t.Fatalf("an integration without documents: %d %s", r.Status, r.Body)
	}
	inTime := e.declare(id, tok, "delibera_tariffe", "signed-ber.p7m", "application/pkcs7-mime")
	e.send(inTime)
	tooLate := e.declare(id, tok, "delibera_tariffe", "signed-base64.p7m", "application/pkcs7-mime")
	r := e.sendIntegration(id, tok)
	if r.Status != 200 {
		t.Fatalf("integration: %d %s", r.Status, r.Body)
	}
	v := e.view(id, tok)
	if len(v.Integrations) != 1 || v.Integrations[0].Protocol.Number != "LOM-2025-0000002" ||
		!slices.Equal(sealedIDs(v.Integrations[0].Documents), []string{inTime.id}) || v.Integrations[0].Documents[0].Sha256 != inTime.sha {
		t.Fatalf("integration record: %+v", v.Integrations)
	}
	if !slices.Equal(sealedIDs(v.SealedDocuments), sealedBefore) {
		t.Fatal("an integration changed the filing's sealed set")
	}
	// The same request again answers the same registration.
	if again := e.sendIntegration(id, tok); again.Status != 200 || len(e.view(id, tok).Integrations) != 1 {
		t.Fatalf("repeated integration: %d %s", again.Status, again.Body)
	}

	// A second request; bytes reach S3 after its deadline: verified, never counted.
	off = e.officer("LOM")
	deadline2 := clock.InRome(2025, 8, 20, 12, 0)
	if r := e.decide(id, off, apiclient.Decision{Decision: "request_integration",
		Notes: ptr("Inviare anche il regolamento."), Deadline: ptr(deadline2.Format(time.RFC3339))}); r.Status != 200 {
		t.Fatalf("second request: %d %s", r.Status, r.Body)
	}
	e.clk.Set(deadline2.Add(time.Second))
	tok = e.applicant("comune:015146")
	e.send(tooLate)
	if st, _ := e.documentStatus(id, tok, tooLate.id); st != "verified" {
		t.Fatalf("late bytes: %s", st)
	}
	r = e.sendIntegration(id, tok)
	if r.Status != 409 || problemCode(t, r) != "window_closed" {
		t.Fatalf("integration after its deadline: %d %s", r.Status, r.Body)
	}
	v = e.view(id, tok)
	if len(v.Integrations) != 1 {
		t.Fatalf("bytes after the deadline joined the record: %+v", v.Integrations)
	}
	receipt := e.do("GET", "/v1/submissions/"+id+"/receipt", tok, nil)
	if bytes.Contains(receipt.Body, []byte(tooLate.sha)) {
		t.Fatal("the receipt lists a document received after the deadline")
	}

	// Audited, and the office was told.
	// The audit trail is eventually consistent (read through the index):
	// the test asks again until it shows the line, as an officer would.
	e.eventually("the audit trail", func() response {
		return e.submissionAudit(id, e.officer("LOM"))
	}, func(trail response) bool {
		return strings.Contains(string(trail.Body), `"submission.integrated"`) && strings.Contains(string(trail.Body), "LOM-2025-0000002")
	})
	mails, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*.eml"))
	told := false
	for _, m := range mails {
		b, _ := os.ReadFile(m)
		told = told || (strings.Contains(string(b), "To: "+LocalOffices["LOM"]) && strings.Contains(string(b), "LOM-2025-0000002") && strings.Contains(string(b), inTime.sha))
	}
	if !told {
		t.Fatal("the Region's office was not told of the integration")
	}
	reg, _ := e.rt.Store.Register(context.Background(), "LOM-2025")
	if len(reg) != 2 || reg[0].Kind != submission.EntryFiling || reg[1].Kind != submission.EntryIntegration || reg[1].SubmissionID != id {
		t.Fatalf("register: %+v", reg)
	}
}

// Item 2 (docs/programs.md): the member filing alone wins. Bergamo lists
// Milano without Milano's consent; Milano files alone and gets its number;
// the officer sees Bergamo's association flagged.
func TestMemberFilingAloneWinsOverAnAssociationListingIt(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-bergamo-associated.json")
	raw := editForm(t, ex.Data, func(f *apiclient.LombardiaForm) { f.Members = ptr([]string{"016001", "015146"}) })
	tok := e.applicant(ex.Org)
	assoc := e.draft(LombardiaCall, tok, ex.Org, raw)
	e.uploadExamples(assoc, tok, ex.Documents)
	if r := e.submit(assoc, tok); r.Status != 200 {
		t.Fatalf("association: %d %s", r.Status, r.Body)
	}
	milano, mtok, _ := e.filedMilano()
	v := e.view(milano, mtok)
	if v.State != "submitted" || v.Protocol.Number != "LOM-2025-0000002" {
		t.Fatalf("Milano alone: %+v", v)
	}
	flags := e.view(assoc, e.officer("LOM")).Flags
	if !slices.Contains(flags, "member_filed_alone:comune:015146:"+milano) {
		t.Fatalf("the association is not flagged for the officer: %v", flags)
	}
}

// Item 2: an association listing a Comune that already filed alone is
// refused (member_conflict naming that filing).
func TestAssociationListingAComuneThatFiledAloneIsRefused(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	milano, _, _ := e.filedMilano()
	ex := loadExample(t, "lombardia-bergamo-associated.json")
	raw := editForm(t, ex.Data, func(f *apiclient.LombardiaForm) { f.Members = ptr([]string{"016001", "015146"}) })
	tok := e.applicant(ex.Org)
	assoc := e.draft(LombardiaCall, tok, ex.Org, raw)
	r := e.submit(assoc, tok)
	if r.Status != 409 || problemCode(t, r) != "member_conflict" || deref(problemOf(t, r).ConflictingSubmission) != milano ||
		!strings.Contains(problemOf(t, r).Detail, "LOM-2025-0000001") {
		t.Fatalf("association listing a Comune that filed alone: %d %s", r.Status, r.Body)
	}
}

// Item 3: exclusion releases the claims: the excluded capofila may file
// again in the second window.
func TestExclusionReleasesTheClaims(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-bergamo-associated.json")
	tok := e.applicant(ex.Org)
	first := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	e.uploadExamples(first, tok, ex.Documents)
	if r := e.submit(first, tok); r.Status != 200 {
		t.Fatalf("first: %d %s", r.Status, r.Body)
	}
	second := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	e.uploadExamples(second, tok, ex.Documents)
	if r := e.submit(second, tok); r.Status != 409 {
		t.Fatalf("a second filing while the first holds the claims: %d %s", r.Status, r.Body)
	}
	if r := e.decide(first, e.officer("LOM"), apiclient.Decision{Decision: "exclude", Notes: ptr("Delibera non conforme.")}); r.Status != 200 {
		t.Fatalf("exclude: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 8, 27, 10, 0)) // window 2
	tok = e.applicant(ex.Org)
	if r := e.submit(second, tok); r.Status != 200 {
		t.Fatalf("after the exclusion: %d %s", r.Status, r.Body)
	}
}

// Item 3: a rinuncia before the last close keeps the number in the
// register as withdrawn, releases the claims and is audited with who and
// when; after the last close it is refused.
func TestWithdrawalKeepsTheNumberAndReleasesTheClaims(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	id, tok, _ := e.filedMilano()
	r := e.withdraw(id, tok)
	if r.Status != 200 || decode[apiclient.Submission](t, r).State != "withdrawn" {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	again, _, _ := e.filedMilano() // the Comune's claim is free again
	if v := e.view(again, tok); v.Protocol.Number != "LOM-2025-0000002" {
		t.Fatalf("refiled: %+v", v)
	}
	reg, _ := e.rt.Store.Register(context.Background(), "LOM-2025")
	if len(reg) != 2 || reg[0].Withdrawal == nil || reg[0].Withdrawal.By != "clerk-comune:015146" || reg[0].SubmissionID != id || reg[1].Withdrawal != nil {
		t.Fatalf("register: %+v", reg)
	}
	// The audit trail is eventually consistent (read through the index).
	e.eventually("the audit trail", func() response {
		return e.submissionAudit(id, e.officer("LOM"))
	}, func(trail response) bool {
		return strings.Contains(string(trail.Body), `"submission.withdrawn"`) && strings.Contains(string(trail.Body), "clerk-comune:015146")
	})
	e.clk.Set(clock.InRome(2025, 9, 10, 12, 0))
	tok = e.applicant("comune:015146")
	if r := e.withdraw(again, tok); r.Status != 409 {
		t.Fatalf("withdraw after the last close: %d %s", r.Status, r.Body)
	}
}

// Item 4: one register per Region per calendar year, shared by every call
// of the Region: a second FVG call continues FVG-2025's numbers; a filing
// in 2026 starts FVG-2026-0000001.
func TestOneRegisterPerRegionAndYear(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 1, 10, 0))
	off := e.officer("FVG")
	r := e.createCall(off, apiclient.CallSpec{Program: "fvg-rette-2024", Title: "Secondo avviso",
		Windows: []apiclient.WindowSpec{{OpensAt: "2025-06-30T00:00:00+02:00", ClosesAt: ptr("2026-02-01T00:00:00+01:00")}}})
	if r.Status != 201 {
		t.Fatalf("second call: %d %s", r.Status, r.Body)
	}
	second := decode[apiclient.Call](t, r).Id
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	file := func(callID string, facility string) string {
		raw := editForm(t, ex.Data, func(f *apiclient.FvgForm) { f.Facility.Code = ptr(facility) })
		id := e.draft(callID, tok, ex.Org, raw)
		e.uploadExamples(id, tok, ex.Documents)
		r := e.submit(id, tok)
		if r.Status != 200 {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		return protocolOf(t, r).Number
	}
	form := formOf[apiclient.FvgForm](t, ex.Data)
	if form.Facility == nil || deref(form.Facility.Code) == "" {
		t.Fatalf("the Udine example names its facility: %s", ex.Data)
	}
	code := *form.Facility.Code
	if n := file(FVGCall, code); n != "FVG-2025-0000001" {
		t.Fatalf("first call: %s", n)
	}
	if n := file(second, code); n != "FVG-2025-0000002" {
		t.Fatalf("second call of the Region continues the register: %s", n)
	}
	e.clk.Set(clock.InRome(2026, 1, 2, 9, 0))
	tok = e.applicant(ex.Org)
	if n := file(second, code+"B"); n != "FVG-2026-0000001" {
		t.Fatalf("a new year starts a new register: %s", n)
	}
}

// Item 5: admittedFacilities must be among the application's facilities;
// none given admits all of them, stated in the answer and the e-mail.
func TestAdmittedFacilitiesAreASubsetOfTheApplications(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	id, tok, _ := e.filedMilano()
	off := e.officer("LOM")
	r := e.decide(id, off, apiclient.Decision{Decision: "admit", AdmittedFacilities: ptr([]string{"AFAM-999999"})})
	if r.Status != 422 || !slices.Contains(fieldsOf(t, r), "admittedFacilities[0]:invalid") {
		t.Fatalf("a facility not in the application: %d %s", r.Status, r.Body)
	}
	r = e.decide(id, off, apiclient.Decision{Decision: "admit"})
	if r.Status != 200 {
		t.Fatalf("admit: %d %s", r.Status, r.Body)
	}
	v := e.view(id, tok)
	ex := loadExample(t, "lombardia-milano.json")
	var all []string
	for _, f := range deref(formOf[apiclient.LombardiaForm](t, ex.Data).Facilities) {
		all = append(all, deref(f.AfamUdos))
	}
	if admitted := deref(v.Review.AdmittedFacilities); len(all) == 0 || !slices.Equal(admitted, all) {
		t.Fatalf("admitted %v, want all %v", admitted, all)
	}
	mails, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*esito*"))
	if len(mails) != 1 {
		t.Fatalf("decision mails: %v", mails)
	}
	if b, _ := os.ReadFile(mails[0]); !strings.Contains(string(b), "Strutture ammesse: "+strings.Join(all, ", ")) {
		t.Fatalf("the e-mail does not state the admitted facilities: %s", b)
	}
}

// Item 6: uniqueness keys are normalised: fvg-nido-0042 cannot file
// beside FVG-NIDO-0042.
func TestOneApplicationPerFacilityIgnoresCase(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 1, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	file := func(code string) response {
		raw := editForm(t, ex.Data, func(f *apiclient.FvgForm) { f.Facility.Code = ptr(code) })
		id := e.draft(FVGCall, tok, ex.Org, raw)
		e.uploadExamples(id, tok, ex.Documents)
		return e.submit(id, tok)
	}
	if r := file("FVG-NIDO-0042"); r.Status != 200 {
		t.Fatalf("first: %d %s", r.Status, r.Body)
	}
	if r := file(" fvg-nido-0042"); r.Status != 409 || problemCode(t, r) != "duplicate" {
		t.Fatalf("the same facility in lower case: %d %s", r.Status, r.Body)
	}
}

// Item 7: a Piemonte scheda rejected after the close must carry a
// correction deadline (422 otherwise); before the close the window's close
// is the default deadline.
func TestPiemonteRejectionCarriesADeadline(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 10, 9, 0))
	ex := loadExample(t, "piemonte-torino.json")
	tok := e.applicant(ex.Org)
	id := e.draft(PiemonteCall, tok, ex.Org, ex.Data)
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	off := e.officer("PIE")
	r := e.decide(id, off, apiclient.Decision{Decision: "reject", Notes: ptr("Correggere i frequentanti.")})
	if r.Status != 200 {
		t.Fatalf("reject before the close: %d %s", r.Status, r.Body)
	}
	if got := deref(e.view(id, tok).Review.Deadline); !got.Equal(clock.InRome(2026, 5, 18, 12, 0)) {
		t.Fatalf("default deadline %v, want the window's close", got)
	}
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("resend: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2026, 5, 25, 10, 0))
	off, tok = e.officer("PIE"), e.applicant(ex.Org)
	r = e.decide(id, off, apiclient.Decision{Decision: "reject", Notes: ptr("Correggere ancora.")})
	if r.Status != 422 || !slices.Contains(fieldsOf(t, r), "deadline:required") {
		t.Fatalf("reject after the close without a deadline: %d %s", r.Status, r.Body)
	}
	if e.view(id, tok).State != "submitted" {
		t.Fatal("a refused decision changed the scheda")
	}
}

// Item 8: between Lombardy's windows a submit is window_closed naming the
// window that closed and when the next opens, in Italian.
func TestBetweenWindowsTheRefusalIsWindowClosed(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	e.clk.Set(clock.InRome(2025, 7, 31, 12, 0).Add(2 * time.Millisecond))
	tok = e.applicant(ex.Org)
	r := e.submit(id, tok)
	if r.Status != 409 || problemCode(t, r) != "window_closed" {
		t.Fatalf("between windows: %d %s", r.Status, r.Body)
	}
	p := problemOf(t, r)
	detail := p.Detail
	if deref(p.Window) != "w1" || !strings.Contains(detail, "si è chiusa il 31/07/2025 alle 12:00:00") || !strings.Contains(detail, "apre il 26/08/2025 alle 12:00:00") {
		t.Fatalf("detail: %s", r.Body)
	}
}

// Item 12: the local S3 refuses an x-amz-* header the pre-signed URL does
// not sign (403 HeadersNotSigned, as S3): an unsigned x-amz-copy-source
// cannot turn an upload into a copy of another applicant's object.
func TestLocalS3RefusesUnsignedAmzHeaders(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	victim := e.declare(id, tok, "delibera_giunta", "signed.p7m", "application/pkcs7-mime")
	e.send(victim)
	u := e.declare(id, tok, "delibera_tariffe", "signed.p7m", "application/pkcs7-mime")
	req, _ := http.NewRequest(u.method, u.url, bytes.NewReader(u.body))
	req.ContentLength = int64(len(u.body))
	for k, v := range u.headers {
		if k != "Content-Length" {
			req.Header.Set(k, v)
		}
	}
	req.Header.Set("X-Amz-Copy-Source", "/"+DocumentsBucket+"/documents/"+LombardiaCall+"/"+id+"/"+victim.id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer bytes.Buffer
	if _, err := answer.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(answer.String(), "<Code>HeadersNotSigned</Code>") {
		t.Fatalf("unsigned x-amz-copy-source: %d %s", resp.StatusCode, answer.String())
	}
	e.rt.WaitDocuments()
	if st, _ := e.documentStatus(id, tok, u.id); st != "pending" {
		t.Fatalf("the refused upload changed the document: %s", st)
	}
}

// Item 11: hostile input. Bidi controls in a name are a 422 naming the
// field; in a filename they are dropped from the stored name; a draft
// larger than the documented limit (192 KB, well under DynamoDB's 400 KB
// item) is a 413 problem and stores nothing.
func TestHostileInputIsRefusedOrDefused(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	with := func(name string) json.RawMessage {
		return editForm(t, ex.Data, func(f *apiclient.LombardiaForm) { f.Entity.Name = ptr(name) })
	}
	r := e.createDraft(LombardiaCall, tok, apiclient.SubmissionCreate{Org: ex.Org, Data: ptr(formData(t, with("Comune di \u202eonaliM"))), PrivacyNoticeVersion: ptr(lombardyNotice)})
	if r.Status != 422 || !slices.Contains(fieldsOf(t, r), "data.entity.name:invalid") {
		t.Fatalf("a bidi override in a name: %d %s", r.Status, r.Body)
	}
	r = e.createDraft(LombardiaCall, tok, apiclient.SubmissionCreate{Org: ex.Org, Data: ptr(formData(t, with(strings.Repeat("x", 300<<10)))), PrivacyNoticeVersion: ptr(lombardyNotice)})
	if r.Status != 413 || problemCode(t, r) != "payload_too_large" {
		t.Fatalf("a 300 KB name: %d %.300s", r.Status, r.Body)
	}
	// Read current (the listing, eventually consistent, could miss a
	// draft stored a moment ago and let this check pass wrongly).
	stored, err := e.rt.Store.CurrentSubmissions(context.Background(), LombardiaCall)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(stored, func(s submission.Submission) bool { return s.Org == ex.Org }) {
		t.Fatalf("a refused draft was stored: %+v", stored)
	}
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	big := e.update(id, tok, "1", apiclient.SubmissionUpdate{Data: formData(t, with(strings.Repeat("x", 300<<10)))})
	if big.Status != 413 || problemCode(t, big) != "payload_too_large" {
		t.Fatalf("an update to 300 KB: %d %.300s", big.Status, big.Body)
	}
	body, _ := samples.FS.ReadFile("files/signed.p7m")
	sum := sha256.Sum256(body)
	r = e.declareDocument(id, tok, apiclient.DocumentDeclaration{Kind: "delibera_tariffe", Filename: "delibera\u202egpj.p7m",
		ContentType: "application/pkcs7-mime", Size: int64(len(body)), Sha256: hex.EncodeToString(sum[:])})
	if r.Status != 201 {
		t.Fatalf("declare: %d %s", r.Status, r.Body)
	}
	docID := decode[apiclient.UploadTicket](t, r).Id
	if d := e.document(id, tok, docID); d.Filename != "deliberagpj.p7m" {
		t.Fatalf("stored filename %q keeps its bidi control", d.Filename)
	}
}

// Item 11: active PDFs and spreadsheet bombs are rejected with an Italian
// reason through the real upload path (pre-signed PUT, documents function).
func TestActivePDFsAndSpreadsheetBombsAreRejected(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 1, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	id := e.draft(FVGCall, tok, ex.Org, ex.Data)
	js := []byte("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.launchURL('http://x')) >> >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
	up := e.uploadBytes(id, tok, "tariff_plan_2024", "", "tariffe.pdf", "application/pdf", js)
	if st, reason := e.documentStatus(id, tok, up); st != "rejected" || !strings.Contains(reason, "contenuti attivi") || !strings.Contains(reason, "JavaScript") {
		t.Fatalf("a PDF with JavaScript: %s %q", st, reason)
	}
	bomb, err := fixtures.SharedStringsBomb(60 << 20)
	if err != nil {
		t.Fatal(err)
	}
	up = e.uploadBytes(id, tok, "tariff_detail", "", "rette.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bomb)
	if st, reason := e.documentStatus(id, tok, up); st != "rejected" || !strings.Contains(reason, "Il foglio di calcolo") {
		t.Fatalf("a %d-byte spreadsheet expanding to 60 MB: %s %q", len(bomb), st, reason)
	}
}
