package server

import (
	"slices"
	"strings"
	"testing"
	"time"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
	"sportello/shared/program/lombardia"
)

// lombardyNotice is the version of the Lombardy call's privacy notice
// (Allegato A2, "Ultimo aggiornamento: 24 giugno 2025").
var lombardyNotice = lombardia.New().PrivacyNotice().Version

// Issue #18 item 6 (Avviso D.7, Allegato A2): the applicant acknowledges
// the privacy notice, version and instant recorded, before the first save;
// a save without it is refused; officers read which version each applicant
// acknowledged in the application and in its audit trail.
func TestLombardyPrivacyNoticeAcknowledgedBeforeTheFirstSave(t *testing.T) {
	e := newEnv(t, clock.InRome(2025, 7, 10, 9, 0))
	ex := loadExample(t, "lombardia-milano.json")
	tok := e.applicant(ex.Org)

	// The call shows the notice to acknowledge.
	notice := deref(e.call(LombardiaCall, tok).PrivacyNotice)
	if notice.Version != "2025-06-24" || !strings.Contains(notice.Title, "Allegato A2") {
		t.Fatalf("the call's notice: %+v", notice)
	}
	// Calls whose seed publishes no notice ask for none.
	if n := e.call(FVGCall, tok).PrivacyNotice; n != nil {
		t.Fatalf("FVG shows a notice: %+v", n)
	}

	// A first save without the acknowledgement, or acknowledging another
	// version, is refused and creates nothing.
	path := "/v1/calls/" + LombardiaCall + "/submissions"
	r := e.do("POST", path, tok, apiclient.SubmissionCreate{Org: ex.Org, Data: ptr(formData(t, ex.Data))})
	if p := problemOf(t, r); r.Status != 422 || p.Code != "privacy_notice_required" ||
		!strings.Contains(p.Detail, "Prima di salvare la domanda occorre prendere visione dell'informativa sul trattamento dei dati personali") ||
		!slices.Contains(fieldsOf(t, r), "privacyNoticeVersion:required") || deref(p.PrivacyNoticeVersion) != lombardyNotice {
		t.Fatalf("save without the acknowledgement: %d %s", r.Status, r.Body)
	}
	r = e.do("POST", path, tok, apiclient.SubmissionCreate{Org: ex.Org, Data: ptr(formData(t, ex.Data)), PrivacyNoticeVersion: ptr("2024-06-01")})
	if p := problemOf(t, r); r.Status != 422 || p.Code != "privacy_notice_required" || !slices.Contains(fieldsOf(t, r), "privacyNoticeVersion:mismatch") ||
		!strings.Contains(p.Detail, "non è quella in vigore") {
		t.Fatalf("save acknowledging another version: %d %s", r.Status, r.Body)
	}
	if l := e.do("GET", path, tok, nil); strings.Contains(string(l.Body), ex.Org) {
		t.Fatalf("a refused save created a draft: %s", l.Body)
	}

	// Acknowledged: the version and the instant of the injected clock.
	at := clock.InRome(2025, 7, 10, 9, 30).Add(123 * time.Millisecond)
	e.clk.Set(at)
	r = e.do("POST", path, tok, apiclient.SubmissionCreate{Org: ex.Org, Data: ptr(formData(t, ex.Data)), PrivacyNoticeVersion: ptr(lombardyNotice)})
	if r.Status != 201 {
		t.Fatalf("save with the acknowledgement: %d %s", r.Status, r.Body)
	}
	id := decode[apiclient.Submission](t, r).Id
	e.clk.Set(at.Add(time.Hour))
	// Later saves need not acknowledge it again.
	if r := e.update(id, tok, "1", apiclient.SubmissionUpdate{Data: formData(t, ex.Data)}); r.Status != 200 {
		t.Fatalf("a later save: %d %s", r.Status, r.Body)
	}

	// The officer reads which version, when and who, in the application…
	off := e.officer("LOM")
	ack := deref(decode[apiclient.Submission](t, e.submission(id, off)).PrivacyNotice)
	if ack.Version != lombardyNotice || !ack.AcknowledgedAt.Equal(at) || ack.By != "clerk-"+ex.Org {
		t.Fatalf("the officer's view of the acknowledgement: %+v", ack)
	}
	// The officers' list and the audit trail are eventually consistent
	// (read through the index): the test asks again until they show the
	// application, as an officer would.
	e.eventually("the officers' list with the acknowledged version", func() response {
		return e.listSubmissions(LombardiaCall, off, nil)
	}, func(r response) bool {
		return strings.Contains(string(r.Body), `"privacyNotice":{"version":"`+lombardyNotice)
	})
	// …and in its audit trail.
	found := false
	e.eventually("the audit trail", func() response {
		return e.submissionAudit(id, off)
	}, func(r response) bool {
		for _, en := range deref(decode[apiclient.AuditTrail](t, r).Entries) {
			d := deref(en.Detail)
			if en.Action == "submission.created" && d["privacyNotice"] == lombardyNotice && d["privacyAcknowledgedAt"] == at.UTC().Format(time.RFC3339Nano) {
				found = true
			}
		}
		return found
	})
}
