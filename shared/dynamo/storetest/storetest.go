// Package storetest is the store's contract: every behaviour of the
// DynamoDB adapter the product relies on, written once and run against
// every DynamoDB it may meet — the plain embedded emulator, its
// AWS-faithful model, and a real DynamoDB or DynamoDB Local when
// SPORTELLO_DYNAMODB_ENDPOINT names one (as wild-workouts runs one
// repository test against each of its repositories).
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"sportello/infra/local/emulator"
	"sportello/shared/allocation"
	"sportello/shared/audit"
	"sportello/shared/call"
	"sportello/shared/document"
	"sportello/shared/dynamo"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/rendiconto"
	"sportello/shared/retry"
	"sportello/shared/submission"
)

// EnvEndpoint names a real DynamoDB (or DynamoDB Local) to run the
// contract against too; credentials and region come from the usual AWS
// variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).
const EnvEndpoint = "SPORTELLO_DYNAMODB_ENDPOINT"

// Backend makes a fresh, empty table for one test.
type Backend struct {
	Name string
	// Skip, when set, says why this backend is not available.
	Skip string
	// Emulator is the embedded DynamoDB behind the store (nil for a real one).
	New func(t *testing.T) (*dynamo.Store, *emulator.DynamoDB)
}

// Backends lists the DynamoDBs the contract runs against.
func Backends() []Backend {
	return []Backend{
		{Name: "plain emulator", New: func(t *testing.T) (*dynamo.Store, *emulator.DynamoDB) { return onEmulator(t, nil) }},
		{Name: "AWS-faithful emulator", New: func(t *testing.T) (*dynamo.Store, *emulator.DynamoDB) { return onEmulator(t, emulator.AWS()) }},
		{Name: "real DynamoDB", New: onEndpoint, Skip: skipEndpoint()},
	}
}

func skipEndpoint() string {
	if os.Getenv(EnvEndpoint) != "" {
		return ""
	}
	return EnvEndpoint + " is not set: the contract is not run against a real DynamoDB (set it, with AWS credentials, to run it against one or DynamoDB Local)"
}

func onEmulator(t *testing.T, m *emulator.Model) (*dynamo.Store, *emulator.DynamoDB) {
	t.Helper()
	ddb, err := emulator.StartDynamoDB("127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ddb.Close() })
	ddb.SetModel(m)
	s := dynamo.New(ddb.Client(), "contract")
	if err := s.CreateTable(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, ddb
}

var tables atomic.Int64

func onEndpoint(t *testing.T) (*dynamo.Store, *emulator.DynamoDB) {
	t.Helper()
	endpoint := os.Getenv(EnvEndpoint)
	if endpoint == "" {
		t.Skipf("%s is not set: the contract is not run against a real DynamoDB (set it, with AWS credentials, to run it against one or DynamoDB Local)", EnvEndpoint)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatalf("AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		cfg.Region = emulator.Region
	}
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) })
	name := fmt.Sprintf("sportello-contract-%d-%d", time.Now().UnixNano(), tables.Add(1))
	s := dynamo.New(db, name)
	if err := s.CreateTable(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)}) }) //nolint:errcheck // best effort
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 5*time.Minute); err != nil {
		t.Fatalf("table %s never became active: %v", name, err)
	}
	return s, nil
}

var ctx = context.Background()

// Run runs the whole contract on fresh tables of one backend.
func Run(t *testing.T, b Backend) {
	if b.Skip != "" {
		t.Skip(b.Skip)
	}
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) {
			s, ddb := b.New(t)
			c.run(t, s, ddb)
		})
	}
}

var contract = []struct {
	name string
	run  func(t *testing.T, s *dynamo.Store, ddb *emulator.DynamoDB)
}{
	{"a call is stored once: a second with its id conflicts, a missing one is not found", callOnce},
	{"twenty concurrent updates of a call all apply, none lost", callUpdatesRace},
	{"a window event is recorded by exactly one of twenty workers", windowEventRace},
	{"a stale save changes nothing", staleSave},
	{"twenty creates with one idempotency key make one draft", idempotentCreateRace},
	{"an idempotency key reused for another body conflicts", idempotencyKeyReused},
	{"twenty workers filing one draft: one number, the same for all", fileOneDraftRace},
	{"twenty drafts filed at once take numbers 1 to 20, no gap, no duplicate", contiguousFilingRace},
	{"twenty applications claiming one Comune: exactly one wins, the others learn who", claimRace},
	{"a refused filing uses no number", refusedFilingUsesNoNumber},
	{"a round of filings refused for one of them writes nothing; the others file next with fresh numbers", roundRefusedForOne},
	{"a document settled by twenty workers is settled once", settleDocumentRace},
	{"a document verified is counted verified at once, without waiting for the index", verifiedAtOnce},
	{"a call's current applications show a draft created and filed a moment ago", currentSubmissionsAtOnce},
	{"a round of filings refused for two of them names both in one answer", roundRefusedForTwo},
	{"a call's rendicontazioni show a claim created or changed a moment ago", claimsAtOnce},
	{"a call's riparto runs show a run announced a moment ago", runsAtOnce},
	{"listed calls show a change saved a moment ago", callsShowChangesAtOnce},
	{"a listing longer than one 1 MB page comes whole", listingAcrossPages},
	{"a draft over 400 KB is refused and nothing is written", draftOverItemLimit},
	{"an audit line is read back from its call's trail at once", auditReadBack},
	{"a change and its audit line are written together or not at all: a refused or failed change leaves no line, a repeat no second one", changeAndLineTogether},
	{"filings survive injected throttling and lost responses: no loss, no duplicate, no gap", filingUnderFaults},
}

// NewCall stores a Piemonte call with one window (27/04–18/05/2026), the
// fixture every store test starts from.
func NewCall(t *testing.T, s *dynamo.Store, id string) call.Call {
	t.Helper()
	c, err := call.New(id, "PIE", call.Spec{Program: "piemonte-rilevazione-2026", Title: "Rilevazione", Windows: []call.WindowSpec{
		{ID: "w1", OpensAt: "2026-04-27T12:00:00+02:00", ClosesAt: "2026-05-18T12:00:00+02:00"},
	}}, "officer", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCall(ctx, c); err != nil {
		t.Fatal(err)
	}
	return c
}

func draft(callID string, n int) submission.Submission {
	now := time.Now().UTC()
	org := fmt.Sprintf("comune:%06d", n)
	return submission.Submission{ID: fmt.Sprintf("sub_%016d", n), CallID: callID, Program: "p", Region: "PIE", Org: org,
		State: submission.Draft, Data: json.RawMessage(`{"a":1}`), Version: 1, CreatedAt: now, UpdatedAt: now, Claims: []string{org}}
}

func create(t *testing.T, s *dynamo.Store, d submission.Submission) {
	t.Helper()
	if _, _, err := s.CreateSubmission(ctx, d, "", ""); err != nil {
		t.Fatal(err)
	}
}

// race runs f on n workers started together and waits for them.
func race(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

// file runs the service's filing loop in its simplest form: read the
// counter, file with the next number, again while the counter moved or the
// storage asks to retry, within a budget.
func file(s *dynamo.Store, id string) (submission.Submission, error) {
	deadline := time.Now().Add(20 * time.Second)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			retry.Backoff(ctx, attempt, 50*time.Millisecond) //nolint:errcheck // ctx never ends
		}
		cur, err := s.Submission(ctx, id)
		if err == nil && cur.Filed() {
			return cur, nil
		}
		var n int64
		if err == nil {
			n, err = s.ProtocolCounter(ctx, "PIE-2026")
		}
		if err == nil {
			next := cur
			next.State, next.Version = submission.Submitted, cur.Version+1
			next.Protocol = &submission.Protocol{Seq: n + 1, Number: submission.FormatProtocol("PIE-2026", n+1), At: time.Now(), Register: "PIE-2026"}
			if err = s.File(ctx, next, cur.Version, n); err == nil {
				return next, nil
			}
		}
		again := errors.Is(err, submission.ErrCounterMoved) || errors.Is(err, submission.ErrStale) ||
			unavailable(err)
		if !again || time.Now().After(deadline) {
			return cur, err
		}
	}
}

// unavailable: the storage asks to be tried again (503 to a client).
func unavailable(err error) bool {
	return errors.Is(err, problem.Unavailable)
}

func callOnce(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	c := NewCall(t, s, "pie-2026")
	if err := s.CreateCall(ctx, c); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a second call with the same id: %v, want conflict", err)
	}
	got, err := s.Call(ctx, "pie-2026")
	if err != nil || !got.Windows[0].ClosesAt.Equal(c.Windows[0].ClosesAt) {
		t.Fatalf("read back: %+v %v", got, err)
	}
	if _, err := s.Call(ctx, "nope"); problem.CodeOf(err) != problem.CodeNotFound {
		t.Fatalf("a missing call: %v, want not_found", err)
	}
}

func callUpdatesRace(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	NewCall(t, s, "pie-2026")
	race(20, func(i int) {
		_, err := s.UpdateCall(ctx, "pie-2026", func(c *call.Call) error {
			if c.Params == nil {
				c.Params = map[string]string{}
			}
			c.Params[fmt.Sprintf("p%d", i)] = "x"
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	got, err := s.Call(ctx, "pie-2026")
	if err != nil || len(got.Params) != 20 || got.Version != 21 {
		t.Fatalf("params %d version %d (%v), want 20 and 21", len(got.Params), got.Version, err)
	}
}

func windowEventRace(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	e := call.WindowEvent{CallID: "c", WindowID: "w1", Kind: "CLOSED", At: time.Now(), RanAt: time.Now(), Trigger: "schedule"}
	var won atomic.Int64
	race(20, func(int) {
		created, err := s.RecordWindowEvent(ctx, e, outbox.Effects{})
		if err != nil {
			t.Error(err)
		}
		if created {
			won.Add(1)
		}
	})
	evs, err := s.WindowEvents(ctx, "c")
	if won.Load() != 1 || len(evs) != 1 || err != nil {
		t.Fatalf("%d workers recorded it, %d events stored (%v); want 1 and 1", won.Load(), len(evs), err)
	}
}

func staleSave(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	d := draft("c", 1)
	create(t, s, d)
	next := d
	next.Data, next.Version = json.RawMessage(`{"a":2}`), 2
	if err := s.SaveSubmission(ctx, next, 1); err != nil {
		t.Fatal(err)
	}
	stale := d
	stale.Data, stale.Version = json.RawMessage(`{"a":3}`), 2
	if err := s.SaveSubmission(ctx, stale, 1); problem.CodeOf(err) != problem.CodeVersionMismatch {
		t.Fatalf("stale save: %v, want version_mismatch", err)
	}
	got, _ := s.Submission(ctx, d.ID)
	if string(got.Data) != `{"a":2}` || got.Version != 2 {
		t.Fatalf("stored %s v%d, want the first save", got.Data, got.Version)
	}
}

func idempotentCreateRace(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	ids := make([]string, 20)
	var created atomic.Int64
	race(20, func(i int) {
		d := draft("c", 100+i) // each worker proposes its own id; one must win
		got, made, err := s.CreateSubmission(ctx, d, "key-1", "h1")
		if err != nil {
			t.Errorf("worker %d: %v", i, err)
			return
		}
		if made {
			created.Add(1)
		}
		ids[i] = got.ID
	})
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("workers were answered different drafts: %v", ids)
		}
	}
	if created.Load() != 1 {
		t.Fatalf("%d drafts created, want 1", created.Load())
	}
}

func idempotencyKeyReused(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	if _, _, err := s.CreateSubmission(ctx, draft("c", 1), "key-1", "h1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateSubmission(ctx, draft("c", 2), "key-1", "other"); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a reused key with another body: %v, want conflict", err)
	}
}

func fileOneDraftRace(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	d := draft("c", 1)
	create(t, s, d)
	numbers := make([]string, 20)
	race(20, func(i int) {
		got, err := file(s, d.ID)
		if err != nil {
			t.Error(err)
			return
		}
		numbers[i] = got.Protocol.Number
	})
	for _, n := range numbers {
		if n != "PIE-2026-0000001" {
			t.Fatalf("numbers seen %v, want PIE-2026-000001 for all", numbers)
		}
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 1 {
		t.Fatalf("counter %d, want 1", n)
	}
}

func contiguousFilingRace(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	for i := 0; i < 20; i++ {
		create(t, s, draft("c", i+1))
	}
	seqs := make([]int64, 20)
	race(20, func(i int) {
		got, err := file(s, draft("c", i+1).ID)
		if err != nil {
			t.Error(err)
			return
		}
		seqs[i] = got.Protocol.Seq
	})
	seen := map[int64]bool{}
	for _, q := range seqs {
		if q < 1 || q > 20 || seen[q] {
			t.Fatalf("numbers %v, want 1..20 each once", seqs)
		}
		seen[q] = true
	}
}

func claimRace(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	for i := 0; i < 20; i++ {
		d := draft("c", i+1)
		d.Claims = []string{"comune:001272"}
		create(t, s, d)
	}
	won := make([]bool, 20)
	holders := make([]string, 20)
	race(20, func(i int) {
		_, err := file(s, draft("c", i+1).ID)
		var taken *submission.ClaimTaken
		switch {
		case err == nil:
			won[i] = true
		case errors.As(err, &taken):
			holders[i] = taken.HolderID
		default:
			t.Errorf("worker %d: %v", i, err)
		}
	})
	winner := ""
	for i, w := range won {
		if w {
			if winner != "" {
				t.Fatalf("two applications hold one claim: %s and %s", winner, draft("c", i+1).ID)
			}
			winner = draft("c", i+1).ID
		}
	}
	if winner == "" {
		t.Fatal("nobody won the claim")
	}
	for i, h := range holders {
		if !won[i] && h != winner {
			t.Fatalf("worker %d was told the holder is %q, want %s", i, h, winner)
		}
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 1 {
		t.Fatalf("counter %d, want 1: refused filings use no number", n)
	}
}

func refusedFilingUsesNoNumber(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	a, b := draft("c", 1), draft("c", 2)
	a.Claims = []string{"comune:000001", "comune:000002"}
	create(t, s, a)
	create(t, s, b)
	if _, err := file(s, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := file(s, b.ID)
	var taken *submission.ClaimTaken
	if !errors.As(err, &taken) || taken.HolderID != a.ID || taken.Key != "comune:000002" {
		t.Fatalf("got %v, want comune:000002 taken by %s", err, a.ID)
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 1 {
		t.Fatalf("counter %d, want 1", n)
	}
}

func roundRefusedForOne(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	holder := draft("c", 9)
	holder.Claims = []string{"comune:000002"}
	create(t, s, holder)
	if _, err := file(s, holder.ID); err != nil {
		t.Fatal(err)
	}
	var round []submission.Submission
	for i := 1; i <= 3; i++ {
		d := draft("c", i)
		create(t, s, d)
		round = append(round, d)
	}
	number := func(subs []submission.Submission, from int64) ([]submission.Submission, []int64) {
		out, prevs := make([]submission.Submission, len(subs)), make([]int64, len(subs))
		for i, d := range subs {
			d.State, d.Version, prevs[i] = submission.Submitted, d.Version+1, d.Version
			d.Protocol = &submission.Protocol{Seq: from + int64(i), Number: submission.FormatProtocol("PIE-2026", from+int64(i)), At: time.Now(), Register: "PIE-2026"}
			out[i] = d
		}
		return out, prevs
	}
	subs, prevs := number(round, 2)
	refused, err := s.FileAll(ctx, subs, prevs, nil, 1)
	var taken *submission.ClaimTaken
	if err != nil || len(refused) != 1 || !errors.As(refused[1], &taken) || taken.HolderID != holder.ID {
		t.Fatalf("refused %v, err %v; want only the second, its claim held by %s", refused, err, holder.ID)
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 1 {
		t.Fatalf("counter %d after a refused round, want 1", n)
	}
	if got, _ := s.Submission(ctx, round[0].ID); got.Filed() {
		t.Fatal("a refused round filed an application")
	}
	subs, prevs = number([]submission.Submission{round[0], round[2]}, 2)
	if refused, err := s.FileAll(ctx, subs, prevs, nil, 1); err != nil || len(refused) > 0 {
		t.Fatalf("the others: %v %v", refused, err)
	}
	for i, d := range []submission.Submission{round[0], round[2]} {
		got, err := s.Submission(ctx, d.ID)
		if err != nil || !got.Filed() || got.Protocol.Seq != int64(2+i) {
			t.Fatalf("%s: %+v %v, want number %d", d.ID, got.Protocol, err, 2+i)
		}
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 3 {
		t.Fatalf("counter %d, want 3", n)
	}
}

func newDoc(id, subID string) document.Document {
	return document.Document{ID: id, SubmissionID: subID, CallID: "c", Org: "comune:000001", Kind: "delibera", Filename: "d.pdf",
		ContentType: "application/pdf", Size: 10, SHA256: strings.Repeat("a", 64), Key: "k/" + id, Status: document.Pending, CreatedAt: time.Now().UTC()}
}

func settleDocumentRace(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	d := newDoc("doc_1", "sub_1")
	if err := s.CreateDocument(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDocument(ctx, d); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a document declared twice: %v, want conflict", err)
	}
	var settled atomic.Int64
	race(20, func(i int) {
		v := d
		v.Status = document.Verified
		if i%2 == 1 {
			v.Status, v.Reason = document.Rejected, "x"
		}
		ok, err := s.SettleDocument(ctx, v, outbox.Effects{})
		if err != nil {
			t.Error(err)
		}
		if ok {
			settled.Add(1)
		}
	})
	if settled.Load() != 1 {
		t.Fatalf("%d workers settled it, want 1", settled.Load())
	}
	got, _ := s.Document(ctx, d.ID)
	docs, _ := s.Documents(ctx, d.SubmissionID)
	if got.Status == document.Pending || len(docs) != 1 || docs[0].Status != got.Status {
		t.Fatalf("stored %s, listed %+v: the listing must agree with the document", got.Status, docs)
	}
}

func verifiedAtOnce(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	for i := 0; i < 3; i++ {
		d := newDoc(fmt.Sprintf("doc_%d", i), "sub_1")
		if err := s.CreateDocument(ctx, d); err != nil {
			t.Fatal(err)
		}
		d.Status = document.Verified
		if ok, err := s.SettleDocument(ctx, d, outbox.Effects{}); err != nil || !ok {
			t.Fatalf("settle: %v %v", ok, err)
		}
		// No wait: submit reads this right after a verification.
		got, err := s.VerifiedDocuments(ctx, "sub_1")
		if err != nil || got["delibera"] != i+1 {
			t.Fatalf("after verifying %d documents: %v %v", i+1, got, err)
		}
	}
}

func currentSubmissionsAtOnce(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	// No wait anywhere: the final close, the riparto and the funds
	// announcement count an application created and filed a moment ago
	// (the index, a few hundred milliseconds late, would not list it yet).
	d := draft("c", 1)
	create(t, s, d)
	if _, err := file(s, d.ID); err != nil {
		t.Fatal(err)
	}
	subs, err := s.CurrentSubmissions(ctx, "c")
	if err != nil || len(subs) != 1 || !subs[0].Filed() {
		t.Fatalf("current applications right after filing: %+v %v", subs, err)
	}
}

func roundRefusedForTwo(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	// DynamoDB names every item whose condition failed: one answer says
	// which filings of a round are refused, and the others file next.
	var holders []submission.Submission
	for i, claim := range []string{"comune:000001", "comune:000003"} {
		h := draft("c", 11+i)
		h.Claims = []string{claim}
		create(t, s, h)
		if _, err := file(s, h.ID); err != nil {
			t.Fatal(err)
		}
		holders = append(holders, h)
	}
	var subs []submission.Submission
	var prevs []int64
	for i := 1; i <= 3; i++ {
		d := draft("c", i)
		create(t, s, d)
		d.State, d.Version, prevs = submission.Submitted, d.Version+1, append(prevs, d.Version)
		d.Protocol = &submission.Protocol{Seq: int64(2 + i), Number: submission.FormatProtocol("PIE-2026", int64(2+i)), At: time.Now(), Register: "PIE-2026"}
		subs = append(subs, d)
	}
	refused, err := s.FileAll(ctx, subs, prevs, nil, 2)
	if err != nil || len(refused) != 2 {
		t.Fatalf("refused %v, err %v; want the first and the third", refused, err)
	}
	for i, h := range map[int]submission.Submission{0: holders[0], 2: holders[1]} {
		var taken *submission.ClaimTaken
		if !errors.As(refused[i], &taken) || taken.HolderID != h.ID {
			t.Fatalf("filing %d: %v, want its claim held by %s", i, refused[i], h.ID)
		}
	}
	if n, _ := s.ProtocolCounter(ctx, "PIE-2026"); n != 2 {
		t.Fatalf("counter %d after a refused round, want 2", n)
	}
}

func claimsAtOnce(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	// The advance left, the budget and an officer's decision are money:
	// they count a claim created or changed a moment ago.
	c := rendiconto.Claim{ID: "rc_1", Call: "c", Submission: "sub_1", Org: "comune:000001", State: rendiconto.StateDraft,
		CreatedAt: time.Now().UTC(), Claimed: 100, Net: 100, Version: 1}
	if err := s.CreateClaim(ctx, c, nil, outbox.Effects{}); err != nil {
		t.Fatal(err)
	}
	for _, org := range []string{"", "comune:000001"} {
		got, err := s.Claims(ctx, "c", org)
		if err != nil || len(got) != 1 || got[0].ID != c.ID {
			t.Fatalf("claims of %q right after creation: %+v %v", org, got, err)
		}
	}
	if got, err := s.Claims(ctx, "c", "comune:000002"); err != nil || len(got) != 0 {
		t.Fatalf("another Comune's claims: %+v %v", got, err)
	}
	next := c
	next.Net, next.Version = 250, 2
	if err := s.SaveClaim(ctx, next, 1, outbox.Effects{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claims(ctx, "c", "")
	if err != nil || len(got) != 1 || got[0].Net != 250 || got[0].Version != 2 {
		t.Fatalf("claims right after a change: %+v %v", got, err)
	}
}

func runsAtOnce(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	at := time.Now().UTC()
	for i, id := range []string{"alloc_2", "alloc_1"} {
		r := allocation.Run{ID: id, CallID: "c", Status: allocation.Pending, Fund: 100, AnnouncedBy: "officer", AnnouncedAt: at.Add(time.Duration(i) * time.Second)}
		if clash, err := s.CreateRun(ctx, r, "", outbox.Effects{}); err != nil || clash != nil {
			t.Fatalf("create run %s: %v %+v", id, err, clash)
		}
		if err := s.ClearActive(ctx, "c", id); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.Runs(ctx, "c")
	if err != nil || len(runs) != 2 || runs[0].ID != "alloc_2" || runs[1].ID != "alloc_1" {
		t.Fatalf("runs right after their announcement, oldest first: %+v %v", runs, err)
	}
}

func callsShowChangesAtOnce(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	// The index may list a new call a moment late (the next reconcile
	// finds it); a client asks again, up to 5 s. A change to a listed call
	// — a proroga — shows at once: the reconcile must not close a window
	// at its old instant.
	c := NewCall(t, s, "pie-2026")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		calls, err := s.Calls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the index never listed the call")
		}
	}
	later := c.Windows[0].ClosesAt.Add(7 * 24 * time.Hour)
	if _, err := s.UpdateCall(ctx, c.ID, func(c *call.Call) error { c.Windows[0].ClosesAt = later; return nil }); err != nil {
		t.Fatal(err)
	}
	calls, err := s.Calls(ctx)
	if err != nil || len(calls) != 1 || !calls[0].Windows[0].ClosesAt.Equal(later) {
		t.Fatalf("listed right after a proroga: %+v %v", calls, err)
	}
}

func listingAcrossPages(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	big := json.RawMessage(`{"notes":"` + strings.Repeat("x", 100*1024) + `"}`)
	const n = 15
	for i := 0; i < n; i++ {
		d := draft("c", i+1)
		d.Data = big
		create(t, s, d)
	}
	// The listing goes through the index: wait for the last write to show
	// there, up to 5 s.
	var got []submission.Submission
	for deadline := time.Now().Add(5 * time.Second); len(got) != n && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if got, err = s.Submissions(ctx, "c", ""); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != n {
		t.Fatalf("listed %d of %d applications of 100 KB", len(got), n)
	}
}

func draftOverItemLimit(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	d := draft("c", 1)
	d.Data = json.RawMessage(`{"notes":"` + strings.Repeat("x", 400*1024) + `"}`)
	if _, _, err := s.CreateSubmission(ctx, d, "", ""); problem.CodeOf(err) != problem.CodeTooLarge {
		t.Fatalf("a draft over 400 KB: %v, want %s", err, problem.CodeTooLarge)
	}
	small := draft("c", 2)
	create(t, s, small)
	big := small
	big.Data, big.Version = d.Data, 2
	if err := s.SaveSubmission(ctx, big, 1); problem.CodeOf(err) != problem.CodeTooLarge {
		t.Fatalf("a draft saved over 400 KB: %v, want %s", err, problem.CodeTooLarge)
	}
	if got, _ := s.Submission(ctx, small.ID); got.Version != 1 {
		t.Fatalf("the refused save changed the draft: version %d", got.Version)
	}
	if _, err := s.Submission(ctx, d.ID); problem.CodeOf(err) != problem.CodeNotFound {
		t.Fatalf("after the refusal: %v, want not_found", err)
	}
}

func auditReadBack(t *testing.T, s *dynamo.Store, _ *emulator.DynamoDB) {
	e := audit.Entry{CallID: "c", SubmissionID: "sub_1", At: time.Now(), Actor: "officer", Action: "submission.reviewed"}
	if err := s.Audit(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.CallAudit(ctx, "c")
	if err != nil || len(got) != 1 || got[0].Action != e.Action {
		t.Fatalf("call trail: %+v %v", got, err)
	}
}

func changeAndLineTogether(t *testing.T, s *dynamo.Store, ddb *emulator.DynamoDB) {
	line := func(action string) outbox.Effects {
		return outbox.Effects{}.With(&audit.Entry{CallID: "pie-2026", At: time.Now(), Actor: "officer", Action: action})
	}
	c, err := call.New("pie-2026", "PIE", call.Spec{Program: "piemonte-rilevazione-2026", Title: "Rilevazione", Windows: []call.WindowSpec{
		{ID: "w1", OpensAt: "2026-04-27T12:00:00+02:00", ClosesAt: "2026-05-18T12:00:00+02:00"},
	}}, "officer", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCallWith(ctx, c, line("call.created")); err != nil {
		t.Fatal(err)
	}
	// Refused by the change's own condition: neither is written.
	if err := s.CreateCallWith(ctx, c, line("call.created.again")); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("a second call with the id: %v, want conflict", err)
	}
	// Recorded once by two workers: one line.
	ev := call.WindowEvent{CallID: c.ID, WindowID: "w1", Kind: "OPENED", At: time.Now().UTC(), RanAt: time.Now().UTC(), Trigger: "schedule"}
	for i := range 2 {
		created, err := s.RecordWindowEvent(ctx, ev, line("window.OPENED"))
		if err != nil || created != (i == 0) {
			t.Fatalf("record %d: created %v, %v", i, created, err)
		}
	}
	if ddb != nil {
		// The transaction fails (the storage answers errors): neither the
		// change nor its line is written.
		ddb.SetFaults(&emulator.Faults{Rate: 1, Ops: map[string]bool{"TransactWriteItems": true}})
		_, err := s.UpdateCallWith(ctx, c.ID, func(cur *call.Call) (outbox.Effects, error) {
			cur.Title = "Rilevazione (modificata)"
			return line("window.extended"), nil
		})
		ddb.SetFaults(nil)
		if err == nil {
			t.Fatal("a change whose transaction always fails was stored")
		}
		if got, err := s.Call(ctx, c.ID); err != nil || got.Version != 1 || got.Title != "Rilevazione" {
			t.Fatalf("after the failed change: %+v %v", got, err)
		}
	}
	trail, err := s.CallAudit(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range trail {
		actions = append(actions, e.Action)
	}
	if want := []string{"call.created", "window.OPENED"}; !slices.Equal(actions, want) {
		t.Fatalf("trail %q, want %q", actions, want)
	}
}

func filingUnderFaults(t *testing.T, s *dynamo.Store, ddb *emulator.DynamoDB) {
	if ddb == nil {
		t.Skip("faults are injected by the embedded emulator only")
	}
	const n = 20
	for i := 0; i < n; i++ {
		create(t, s, draft("c", i+1))
	}
	ddb.SetFaults(&emulator.Faults{Rate: 0.2, LostResponse: true})
	race(n, func(i int) {
		for attempt := 0; attempt < 50; attempt++ {
			_, err := file(s, draft("c", i+1).ID)
			if err == nil {
				return
			}
			if !unavailable(err) {
				t.Error(err)
				return
			}
		}
		t.Errorf("worker %d never filed", i)
	})
	ddb.SetFaults(nil)
	if ddb.Injected.Load() == 0 {
		t.Fatal("no fault was injected")
	}
	seen := map[int64]bool{}
	for i := 0; i < n; i++ {
		sub, err := s.Submission(ctx, draft("c", i+1).ID)
		if err != nil || !sub.Filed() || seen[sub.Protocol.Seq] {
			t.Fatalf("%s: filed %v, duplicate %v (%v)", sub.ID, sub.Filed(), sub.Filed() && seen[sub.Protocol.Seq], err)
		}
		seen[sub.Protocol.Seq] = true
	}
	if c, _ := s.ProtocolCounter(ctx, "PIE-2026"); c != n {
		t.Fatalf("counter %d after %d filings", c, n)
	}
}
