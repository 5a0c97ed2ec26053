package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"testing"
	"time"

	"sportello/infra/apiclient"
	"sportello/shared/clock"
	"sportello/shared/submission"
)

var sha256Hex = regexp.MustCompile(`[0-9a-f]{64}`)

// Random sequences of declare / upload / submit / request and send an
// integration / withdraw / exclude over FVG applications that compete for
// three facilities, through the HTTP API. After every sequence: each filed
// application's receipt lists exactly its sealed set (by SHA-256), every
// sealed document was verified by its filing time, every integration's
// documents reached S3 before its deadline, no facility is held by two live
// applications, and every number from 1 to the register's counter has
// exactly one entry naming an application that carries it (withdrawn
// exactly when the application is).
func TestRandomLifecyclesKeepTheRecordSealedAndTheRegisterWhole(t *testing.T) {
	done := map[string]int{}
	for _, seed := range []uint64{1, 2, 3, 4} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { randomLifecycle(t, seed, 120, done) })
	}
	// The sequences must have exercised every kind of registration.
	for _, op := range []string{"submit", "integration", "withdraw", "exclude", "upload"} {
		if done[op] == 0 {
			t.Errorf("no %s succeeded in any sequence: %v", op, done)
		}
	}
	t.Logf("successful operations: %v", done)
}

func randomLifecycle(t *testing.T, seed uint64, steps int, done map[string]int) {
	rng := rand.New(rand.NewPCG(seed, 0x5ea1))
	e := newEnv(t, clock.InRome(2025, 7, 1, 9, 0))
	ex := loadExample(t, "fvg-udine.json")
	facilities := []string{"FVG-NIDO-0042", "fvg-nido-0043", "FVG-NIDO-0044"}
	var ids []string
	newDraft := func() {
		raw := editForm(t, ex.Data, func(f *apiclient.FvgForm) { f.Facility.Code = ptr(facilities[rng.IntN(len(facilities))]) })
		ids = append(ids, e.draft(FVGCall, e.applicant(ex.Org), ex.Org, raw))
	}
	for range 4 {
		newDraft()
	}
	pending := map[string][]pendingUpload{}
	var filed []string
	for step := 0; step < steps; step++ {
		op := rng.IntN(14)
		if op >= 11 {
			op = 5 // integration requests are frequent enough to meet filed applications
		}
		id := ids[rng.IntN(len(ids))]
		if op >= 5 && op <= 8 && len(filed) > 0 && rng.IntN(4) > 0 {
			id = filed[rng.IntN(len(filed))] // officers and rinunce act on filed applications
		}
		tok, off := e.applicant(ex.Org), e.officer("FVG")
		// declare asks for an upload; refused (not editable, deadline
		// passed) is a legitimate outcome of a random sequence.
		declare := func(d exampleDoc) (pendingUpload, bool) {
			u, r := e.tryDeclare(id, tok, d)
			if r.Status != 201 && r.Status != 409 {
				t.Fatalf("declare: %d %s", r.Status, r.Body)
			}
			return u, r.Status == 201
		}
		switch op {
		case 0: // declare one document, bytes later
			if u, ok := declare(ex.Documents[rng.IntN(len(ex.Documents))]); ok {
				pending[id] = append(pending[id], u)
			}
		case 1: // send the bytes of one declared document (perhaps after the filing or a deadline)
			if p := pending[id]; len(p) > 0 {
				k := rng.IntN(len(p))
				u := p[k]
				pending[id] = slices.Delete(p, k, k+1)
				e.send(u)
				done["upload"]++
			}
		case 2: // declare and send every document
			for _, d := range ex.Documents {
				if u, ok := declare(d); ok {
					e.send(u)
					done["upload"]++
				}
			}
		case 3, 4: // submit
			if ok(done, "submit", e.submit(id, tok)) {
				filed = append(filed, id)
			}
		case 5: // the officer asks for documents
			deadline := e.clk.Now().Add(time.Duration(1+rng.IntN(48)) * time.Hour)
			r := e.decide(id, off, apiclient.Decision{Decision: "request_integration", Notes: ptr("Integrare."), Deadline: ptr(deadline.Format(time.RFC3339))})
			ok(done, "request", r)
			if r.Status != 200 || rng.IntN(3) == 0 {
				break
			}
			e.clk.Advance(time.Duration(rng.IntN(60)) * time.Hour) // perhaps past the deadline
			tok = e.applicant(ex.Org)
			fallthrough
		case 6: // send the integration, usually with a fresh document
			if rng.IntN(3) > 0 {
				if u, ok := declare(ex.Documents[rng.IntN(len(ex.Documents))]); ok {
					e.send(u)
					done["upload"]++
				}
			}
			ok(done, "integration", e.sendIntegration(id, tok))
		case 7: // rinuncia
			ok(done, "withdraw", e.withdraw(id, tok))
		case 8: // exclusion
			ok(done, "exclude", e.decide(id, off, apiclient.Decision{Decision: "exclude", Notes: ptr("Esclusa.")}))
		case 9: // another applicant's draft for one of the facilities
			newDraft()
		case 10: // time passes (the window stays open)
			e.clk.Advance(time.Duration(rng.IntN(240)) * time.Minute)
		}
	}
	checkRecord(t, e, ids)
}

func ok(done map[string]int, op string, r response) bool {
	if r.Status == 200 {
		done[op]++
	}
	return r.Status == 200
}

func checkRecord(t *testing.T, e *env, ids []string) {
	t.Helper()
	tok := e.applicant("gestore:01234567897")
	byNumber := map[string]string{} // number → submission
	withdrawn := map[string]bool{}
	live := map[string]string{} // facility key → submission
	for _, id := range ids {
		v := e.view(id, tok)
		docs := e.documents(id, tok)
		doc := map[string]int{}
		for i, d := range docs {
			doc[d.Id] = i
		}
		if v.Protocol.Number == "" {
			if len(v.SealedDocuments) > 0 {
				t.Fatalf("%s: sealed without a filing", id)
			}
			continue
		}
		byNumber[v.Protocol.Number] = id
		withdrawn[id] = v.State == "withdrawn"
		filedAt := v.Protocol.At
		want := map[string]bool{}
		for _, s := range v.SealedDocuments {
			d := docs[doc[s.Id]]
			if d.Status != "verified" || d.Sha256 != s.Sha256 || deref(d.VerifiedAt).After(filedAt) {
				t.Fatalf("%s: sealed %s was not verified by the filing: %s", id, s.Id, shown(d))
			}
			want[s.Sha256] = true
		}
		receipt := e.do("GET", "/v1/submissions/"+id+"/receipt", tok, nil)
		got := map[string]bool{}
		for _, m := range sha256Hex.FindAll(receipt.Body, -1) {
			got[string(m)] = true
		}
		for sha := range want {
			if !got[sha] {
				t.Fatalf("%s: receipt lacks sealed %s", id, sha)
			}
		}
		for sha := range got {
			if !want[sha] {
				t.Fatalf("%s: receipt lists %s, not sealed", id, sha)
			}
		}
		for _, in := range v.Integrations {
			byNumber[in.Protocol.Number] = id
			for _, s := range in.Documents {
				d := docs[doc[s.Id]]
				if d.Status != "verified" || d.ReceivedAt == nil {
					t.Fatalf("%s: integration document %s: %s", id, s.Id, shown(d))
				}
			}
		}
		if v.State != "withdrawn" && v.State != "excluded" {
			r := e.submission(id, tok)
			s := decode[apiclient.Submission](t, r)
			if s.Data == nil {
				t.Fatalf("%s: no form data: %s", id, r.Body)
			}
			form, err := s.Data.AsFvgForm()
			if err != nil || form.Facility == nil {
				t.Fatalf("%s: not an FVG form with its facility (%v): %s", id, err, r.Body)
			}
			key := submission.ClaimKey("facility:" + deref(form.Facility.Code))
			if other, taken := live[key]; taken {
				t.Fatalf("facility %s held by %s and %s", key, other, id)
			}
			live[key] = id
		}
	}
	ctx := context.Background()
	counter, _ := e.rt.Store.ProtocolCounter(ctx, "FVG-2025")
	reg, err := e.rt.Store.Register(ctx, "FVG-2025")
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(reg)) != counter || len(byNumber) != int(counter) {
		t.Fatalf("counter %d, %d register entries, %d numbers on applications", counter, len(reg), len(byNumber))
	}
	for i, r := range reg {
		if r.Seq != int64(i+1) || r.Number != submission.FormatProtocol("FVG-2025", r.Seq) {
			t.Fatalf("entry %d is %+v", i+1, r)
		}
		if byNumber[r.Number] != r.SubmissionID {
			t.Fatalf("%s registered for %s, carried by %q", r.Number, r.SubmissionID, byNumber[r.Number])
		}
		if r.Kind == submission.EntryFiling && (r.Withdrawal != nil) != withdrawn[r.SubmissionID] {
			t.Fatalf("%s: withdrawal mark %v, application withdrawn %v", r.Number, r.Withdrawal != nil, withdrawn[r.SubmissionID])
		}
		if r.Kind == submission.EntryIntegration && r.Withdrawal != nil {
			t.Fatalf("%s: an integration marked withdrawn", r.Number)
		}
	}
}
