package server

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	samples "sportello/events"
	"sportello/events/files/fixtures"
	"sportello/infra/apiclient"
	"sportello/shared/clock"
)

// Issue #18: intake rules of the three seeds, each end to end through the
// HTTP API with its Italian error or its e-mail.

// uploadAll uploads the example's documents, each verified.
func (e *env) uploadAll(id, tok string, ex example) {
	e.t.Helper()
	for _, d := range ex.Documents {
		up := e.uploadExample(id, tok, d)
		if st, reason := e.documentStatus(id, tok, up); st != "verified" {
			e.t.Fatalf("%s %s: %s %s", d.Kind, d.File, st, reason)
		}
	}
}

// fieldError finds a field's error in a problem.
func fieldError(t *testing.T, r response, field string) (code, message string) {
	t.Helper()
	for _, f := range deref(decode[apiclient.Problem](t, r).Errors) {
		if f.Field == field {
			return f.Code, f.Message
		}
	}
	return "", ""
}

func outbox(t *testing.T, e *env) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(e.rt.OutboxDir, "*.eml"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// Item 10: a declared 11 months with an operator since 29/10/2024 fails on
// monthsOfOperation (at most 10 whole months of 2024/25).
func TestFVGMonthsOfOperationFollowTheOperatorStart(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	id := e.draft(FVGCall, tok, ex.Org, editForm(t, ex.Data, func(f *apiclient.FvgForm) {
		f.OperatorSince, f.MonthsOfOperation = &openapi_types.Date{Time: time.Date(2024, 10, 29, 0, 0, 0, 0, time.UTC)}, ptr(11)
	}))
	e.uploadAll(id, tok, ex)
	r := e.submit(id, tok)
	code, msg := fieldError(t, r, "data.monthsOfOperation")
	if r.Status != 422 || code != "invalid" || !strings.Contains(msg, "dal 29/10/2024") || !strings.Contains(msg, "al massimo 10, non 11") {
		t.Fatalf("11 months since 29/10/2024: %d %s", r.Status, r.Body)
	}
}

// Item 11: FVG's "entro il 21/07/2025" closes at 22/07/2025 00:00 Rome and
// is said the way the act wrote it.
func TestFVGDeadlineSaysEntroIl21Luglio(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
	ex := loadExample(t, "fvg-udine.json")
	tok := e.applicant(ex.Org)
	c := e.call(FVGCall, tok)
	if len(c.Windows) == 0 {
		t.Fatalf("no window: %s", shown(c))
	}
	w := c.Windows[0]
	if w.Deadline != "entro il 21/07/2025" || day(w.ClosesOn) != "2025-07-21" || !strings.HasPrefix(w.ClosesAt.Format(time.RFC3339), "2025-07-22T00:00:00") {
		t.Fatalf("window: %s", shown(w))
	}
	id := e.draft(FVGCall, tok, ex.Org, ex.Data)
	e.uploadAll(id, tok, ex)
	e.clk.Set(clock.InRome(2025, 7, 22, 0, 0))
	tok = e.applicant(ex.Org)
	r := e.submit(id, tok)
	if r.Status != 409 || problemCode(t, r) != "window_closed" {
		t.Fatalf("late: %d %s", r.Status, r.Body)
	}
	if detail := problemOf(t, r).Detail; !strings.Contains(detail, "era entro il 21/07/2025") || strings.Contains(detail, "scaduto il 22/07/2025") {
		t.Fatalf("late: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 7, 21, 23, 59).Add(59*time.Second + 999*time.Millisecond))
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("21/07 23:59:59.999 is in time: %d %s", r.Status, r.Body)
	}
}

// uploadAllBut uploads the example's documents except those of the kinds
// named.
func (e *env) uploadAllBut(id, tok string, ex example, skip ...string) {
	e.t.Helper()
	for _, d := range ex.Documents {
		if slices.Contains(skip, d.Kind) {
			continue
		}
		up := e.uploadExample(id, tok, d)
		if st, reason := e.documentStatus(id, tok, up); st != "verified" {
			e.t.Fatalf("%s %s: %s %s", d.Kind, d.File, st, reason)
		}
	}
}

// Item 2 (C.1): an Allegato A3 signed by hand is accepted with the
// signer's identity document, and refused without it.
func TestLombardyAllegatoA3SignedByHandNeedsTheIdentityDocument(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	e.uploadAllBut(id, tok, ex, "allegato_a3")
	a3 := e.upload(id, tok, "allegato_a3", "unsigned.pdf", "application/pdf")
	if st, reason := e.documentStatus(id, tok, a3); st != "verified" {
		t.Fatalf("an A3 signed by hand is a verified upload: %s %s", st, reason)
	}
	r := e.submit(id, tok)
	code, msg := fieldError(t, r, "documents.id_document")
	if r.Status != 422 || code != "missing_document" || !strings.Contains(msg, "l'Allegato A3 è firmato a mano: documento d'identità del firmatario") {
		t.Fatalf("A3 by hand without ID: %d %s", r.Status, r.Body)
	}
	if fields := fieldsOf(t, r); len(fields) != 1 {
		t.Fatalf("only the ID is missing: %v", fields)
	}
	e.upload(id, tok, "id_document", "unsigned.pdf", "application/pdf")
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("A3 by hand with the ID: %d %s", r.Status, r.Body)
	}
}

// Item 3: the signed A1 must be the A1 generated from the draft as it is
// now; any other signed file, or a draft changed after signing, is refused.
func TestLombardySignedA1MustBeTheGeneratedA1(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	const mismatch = "L'Allegato A1 firmato non corrisponde alla domanda attuale: scaricarlo di nuovo, firmarlo e caricarlo."

	// The generated A1 is deterministic: the same draft, later, the same bytes.
	first := e.do("GET", "/v1/submissions/"+id+"/summary", tok, nil)
	e.clk.Advance(time.Hour)
	tok = e.applicant(ex.Org)
	if again := e.do("GET", "/v1/submissions/"+id+"/summary", tok, nil); first.Status != 200 || string(again.Body) != string(first.Body) {
		t.Fatal("the A1 of an unchanged draft changed between two downloads")
	}

	// A signed delibera uploaded as the signed A1 verifies as a signed file, but is not the A1.
	e.uploadAllBut(id, tok, ex, "allegato_a1_signed")
	e.upload(id, tok, "allegato_a1_signed", "signed.p7m", "application/pkcs7-mime")
	r := e.submit(id, tok)
	if code, msg := fieldError(t, r, "documents.allegato_a1_signed"); r.Status != 422 || code != "mismatch" || msg != mismatch {
		t.Fatalf("a delibera as the A1: %d %s", r.Status, r.Body)
	}

	// The A1 signed, then the draft changed: the signature no longer matches.
	e.upload(id, tok, "allegato_a1_signed", "@summary", "application/pkcs7-mime")
	got := e.submission(id, tok)
	version := strconv.FormatInt(decode[apiclient.Submission](t, got).Version, 10)
	changed := editForm(t, ex.Data, func(f *apiclient.LombardiaForm) { f.Contact.Phone = ptr("02 8845 1111") })
	if r := e.update(id, tok, version, apiclient.SubmissionUpdate{Data: formData(t, changed)}); r.Status != 200 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	r = e.submit(id, tok)
	if code, msg := fieldError(t, r, "documents.allegato_a1_signed"); r.Status != 422 || code != "mismatch" || msg != mismatch {
		t.Fatalf("draft changed after signing: %d %s", r.Status, r.Body)
	}

	// Downloaded again, signed, uploaded: filed.
	e.upload(id, tok, "allegato_a1_signed", "@summary", "application/pkcs7-mime")
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("the A1 of the draft as it is: %d %s", r.Status, r.Body)
	}
}

// Item 4 (A.4.3): a convenzione is signed by both parties: one signer is
// refused, two distinct signers verify and are named.
func TestLombardyConvenzioneSignedByBothParties(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
	one := e.uploadFor(id, tok, "convenzione", "AFAM-015146-002", "signed.p7m", "application/pkcs7-mime")
	d := e.document(id, tok, one)
	if d.Status != "rejected" || deref(d.ReasonCode) != "signers_missing" || !strings.Contains(deref(d.Reason), "almeno 2 firmatari distinti") {
		t.Fatalf("one signer: %s", shown(d))
	}
	both := e.uploadFor(id, tok, "convenzione", "AFAM-015146-002", "signed-two-parties.p7m", "application/pkcs7-mime")
	d = e.document(id, tok, both)
	signers := deref(d.Signers)
	if d.Status != "verified" || len(signers) != 2 || signers[0] == signers[1] || deref(d.Ref) != "AFAM-015146-002" {
		t.Fatalf("two parties: %s", shown(d))
	}
}

// Item 5 (A.4.3): each private facility in agreement has its own
// convenzione: one file for two facilities is refused, and a facility
// without one is named.
func TestLombardyEachPrivateFacilityHasItsOwnConvenzione(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	ex := loadExample(t, "lombardia-milano.json")
	raw := editForm(t, ex.Data, func(f *apiclient.LombardiaForm) {
		facs := deref(f.Facilities)
		if len(facs) < 2 {
			t.Fatalf("the Milano example has a private facility in agreement: %s", shown(facs))
		}
		second := facs[1]
		second.AfamUdos, second.Name = ptr("AFAM-016001-001"), ptr("Micronido privato in convenzione")
		second.AuthorisedPlaces, second.PlacesBought = ptr(12), ptr(6)
		f.Facilities = ptr(append(facs, second))
	})
	tok := e.applicant(ex.Org)
	id := e.draft(LombardiaCall, tok, ex.Org, raw)
	e.uploadAllBut(id, tok, ex)
	r := e.submit(id, tok)
	if code, msg := fieldError(t, r, "documents.convenzione[AFAM-016001-001]"); r.Status != 422 || code != "missing_document" || !strings.Contains(msg, "AFAM-016001-001") {
		t.Fatalf("the second facility's convenzione is missing: %d %s", r.Status, r.Body)
	}
	if code, _ := fieldError(t, r, "documents.convenzione[AFAM-015146-002]"); code != "" {
		t.Fatalf("the first facility has its own: %s", r.Body)
	}
	e.uploadFor(id, tok, "convenzione", "AFAM-016001-001", "signed-two-parties.p7m", "application/pkcs7-mime")
	r = e.submit(id, tok)
	if code, msg := fieldError(t, r, "documents.convenzione[AFAM-016001-001]"); r.Status != 422 || code != "duplicate" || !strings.Contains(msg, "AFAM-015146-002") {
		t.Fatalf("one file for two facilities: %d %s", r.Status, r.Body)
	}
	pdf, _ := samples.FS.ReadFile("files/unsigned.pdf")
	own, err := fixtures.SignCAdES(pdf, "Sindaco TEST", "Gestore Micronido TEST")
	if err != nil {
		t.Fatal(err)
	}
	e.uploadBytes(id, tok, "convenzione", "AFAM-016001-001", "convenzione-micronido.pdf.p7m", "application/pkcs7-mime", own)
	// An upload cannot be withdrawn: while the shared file is there the
	// draft stays refused; a draft with one file per facility files.
	r = e.submit(id, tok)
	if code, _ := fieldError(t, r, "documents.convenzione[AFAM-016001-001]"); code != "duplicate" {
		t.Fatalf("the shared file is still there: %d %s", r.Status, r.Body)
	}
	id = e.draft(LombardiaCall, tok, ex.Org, raw)
	e.uploadAllBut(id, tok, ex)
	e.uploadBytes(id, tok, "convenzione", "AFAM-016001-001", "convenzione-micronido.pdf.p7m", "application/pkcs7-mime", own)
	if r := e.submit(id, tok); r.Status != 200 {
		t.Fatalf("each facility with its own convenzione: %d %s", r.Status, r.Body)
	}
}

// Item 12 (FVG, "Firma della delega e della procura"): a delega or procura
// signed digitally stands alone; signed by hand it needs the signer's
// identity document.
func TestFVGDelegaSignedDigitallyOrByHandWithID(t *testing.T) {
	delegate := func(f *apiclient.FvgForm) {
		f.FilerRole, f.Delegator = ptr("delegate"), &apiclient.FvgDelegator{Name: ptr("Comune di Udine"), FiscalCode: ptr("00168650307")}
	}
	proxy := func(f *apiclient.FvgForm) { f.FilerRole = ptr("proxy") }
	for _, tt := range []struct {
		name, kind, file, contentType, why string
		changes                            func(f *apiclient.FvgForm)
	}{
		{"a delega signed by hand", "delega", "unsigned.pdf", "application/pdf", "delega senza firma digitale: firma autografa con copia del documento d'identità del delegante",
			delegate},
		{"a procura signed by hand", "procura", "unsigned.pdf", "application/pdf", "procura senza firma digitale: firma autografa con copia del documento d'identità del legale rappresentante",
			proxy},
		{"a delega signed digitally", "delega", "signed.p7m", "application/pkcs7-mime", "", delegate},
		{"a procura signed digitally", "procura", "signed-pades.pdf", "application/pdf", "", proxy},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, clock.InRome(2025, 7, 15, 10, 0))
			ex := loadExample(t, "fvg-udine.json")
			tok := e.applicant(ex.Org)
			id := e.draft(FVGCall, tok, ex.Org, editForm(t, ex.Data, tt.changes))
			e.uploadAll(id, tok, ex)
			e.upload(id, tok, tt.kind, tt.file, tt.contentType)
			r := e.submit(id, tok)
			if tt.why == "" {
				if r.Status != 200 {
					t.Fatalf("signed digitally, no ID: %d %s", r.Status, r.Body)
				}
				return
			}
			if code, msg := fieldError(t, r, "documents.id_document"); r.Status != 422 || code != "missing_document" || !strings.Contains(msg, tt.why) {
				t.Fatalf("by hand without ID: %d %s", r.Status, r.Body)
			}
			e.upload(id, tok, "id_document", "unsigned.pdf", "application/pdf")
			if r := e.submit(id, tok); r.Status != 200 {
				t.Fatalf("by hand with the ID: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Item 8 (Piemonte, seed note 6): a Comune reads the services the Region
// pre-loaded for it, with the latest authorisation act its form must name;
// another Comune's are not its to read.
func TestPiemonteComuneSeesItsPreloadedServices(t *testing.T) {
	e := newEnv(t, clock.InRome(2026, 5, 4, 10, 0))
	torino := e.applicant("comune:001272")
	r := e.preloaded(PiemonteCall, torino, "001272")
	if r.Status != 200 {
		t.Fatalf("own services: %d %s", r.Status, r.Body)
	}
	services := decode[apiclient.PreloadedList](t, r).Services
	if len(services) != 3 {
		t.Fatalf("Torino has three pre-loaded services: %s", r.Body)
	}
	first := services[0]
	if first.Id != "PIE-SE-0001" || deref(first.AuthorisationAct) != "D.D. 2015/1234" || day(first.AuthorisedOn) != "2015-09-01" {
		t.Fatalf("service with its act: %s", shown(first))
	}
	if r := e.preloaded(PiemonteCall, torino, "006003"); r.Status != 403 || strings.Contains(string(r.Body), "Arcobaleno") {
		t.Fatalf("another Comune's services: %d %s", r.Status, r.Body)
	}
	if r := e.preloaded(PiemonteCall, e.officer("PIE"), "006003"); r.Status != 200 || !strings.Contains(string(r.Body), "Arcobaleno") {
		t.Fatalf("the Region's officer: %d %s", r.Status, r.Body)
	}
	// The form must name the act the Region knows (or a later one).
	ex := loadExample(t, "piemonte-torino.json")
	id := e.draft(PiemonteCall, torino, ex.Org, editForm(t, ex.Data, func(f *apiclient.PiemonteForm) {
		if len(deref(f.Services)) == 0 {
			t.Fatal("the Torino example has services")
		}
		(*f.Services)[0].AuthorisationAct = ptr("D.D. 2015/999")
	}))
	r = e.submit(id, torino)
	if code, msg := fieldError(t, r, "data.services[0].authorisationAct"); r.Status != 422 || code != "mismatch" || !strings.Contains(msg, "D.D. 2015/1234 del 01/09/2015") {
		t.Fatalf("another act: %d %s", r.Status, r.Body)
	}
}

// Item 7 (C.3): each filed Lombardy application is due within 60 calendar
// days of its filing day (the earlier of the Avviso's two readings), the
// clock stands still while an integration is awaited, the officers' list
// shows and sorts by the due date, and what is past due is overdue.
func TestLombardyIstruttoriaWithin60Days(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 20, 10, 0))
	file := func(name string) string {
		ex := loadExample(t, name)
		tok := e.applicant(ex.Org)
		id := e.draft(LombardiaCall, tok, ex.Org, ex.Data)
		e.uploadAll(id, tok, ex)
		if r := e.submit(id, tok); r.Status != 200 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		return id
	}
	milano := file("lombardia-milano.json") // filed 20/07: due by 18/09 (the window's close would give 29/09)
	e.clk.Set(clock.InRome(2025, 7, 25, 10, 0))
	bergamo := file("lombardia-bergamo-associated.json") // filed 25/07: due by 23/09
	clockOf := func(id string) apiclient.ReviewClock {
		r := e.submission(id, e.officer("LOM"))
		ist := decode[apiclient.Submission](t, r).Istruttoria
		if ist == nil {
			t.Fatalf("no review clock: %s", r.Body)
		}
		return *ist
	}
	// rfc3339 is an instant as the API writes it (Rome's offset).
	rfc3339 := func(at time.Time) string { return at.Format(time.RFC3339) }
	if due := rfc3339(clockOf(milano).Due); due != "2025-09-19T00:00:00+02:00" {
		t.Fatalf("Milano due %v", due)
	}

	// An integration request stops the clock; the decision after it restarts it.
	e.clk.Set(clock.InRome(2025, 8, 1, 12, 0))
	off := e.officer("LOM")
	if r := e.decide(milano, off, apiclient.Decision{Decision: "request_integration", Notes: ptr("Allegare la delibera tariffe 2025/26."),
		Deadline: ptr(clock.InRome(2025, 8, 11, 12, 0).Format(time.RFC3339))}); r.Status != 200 {
		t.Fatalf("request integration: %d %s", r.Status, r.Body)
	}
	e.clk.Set(clock.InRome(2025, 8, 5, 12, 0))
	off = e.officer("LOM")
	if c := clockOf(milano); !c.Suspended || c.Overdue {
		t.Fatalf("suspended: %+v", c)
	}
	// The applicant sends the integration: the clock restarts.
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)
	e.upload(milano, tok, "delibera_tariffe", "signed.p7m", "application/pkcs7-mime")
	if r := e.sendIntegration(milano, tok); r.Status != 200 {
		t.Fatalf("send the integration: %d %s", r.Status, r.Body)
	}
	if c := clockOf(milano); rfc3339(c.Due) != "2025-09-23T00:00:00+02:00" || c.Suspended {
		t.Fatalf("four days suspended move the due date by four days: %+v", c)
	}
	if r := e.decide(milano, off, apiclient.Decision{Decision: "admit", AdmittedFacilities: ptr([]string{"AFAM-015146-001", "AFAM-015146-002"})}); r.Status != 200 {
		t.Fatalf("admit: %d %s", r.Status, r.Body)
	}
	if c := clockOf(milano); rfc3339(c.Due) != "2025-09-23T00:00:00+02:00" {
		t.Fatalf("a decision leaves the due date: %+v", c)
	}

	// Past due and undecided: overdue; the list sorts by due date.
	e.clk.Set(clock.InRome(2025, 9, 24, 1, 0))
	off = e.officer("LOM")
	// The officer's list is eventually consistent (read through the
	// index): it shows the decision just taken a moment later.
	r := e.eventually("the list sorted by due date", func() response {
		return e.listSubmissions(LombardiaCall, off, &apiclient.ListSubmissionsParams{Sort: ptr(apiclient.ReviewDue)})
	}, func(r response) bool {
		subs := decode[apiclient.SubmissionList](t, r).Submissions
		return len(subs) == 2 && subs[0].Id == milano && subs[1].Id == bergamo && string(subs[0].State) == "admitted"
	})
	subs := decode[apiclient.SubmissionList](t, r).Submissions
	if c := subs[1].Istruttoria; c == nil || !c.Overdue || rfc3339(c.Due) != "2025-09-24T00:00:00+02:00" {
		t.Fatalf("Bergamo is overdue: %s", r.Body)
	}
	if c := subs[0].Istruttoria; c == nil || c.Overdue {
		t.Fatalf("a decided application is not overdue: %s", r.Body)
	}
	if r := e.do("GET", "/v1/calls/"+LombardiaCall+"/submissions?sort=name", off, nil); r.Status != 422 {
		t.Fatalf("unknown sort: %d", r.Status)
	}
}
