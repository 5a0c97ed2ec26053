package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/submission"
)

type subItem struct {
	keys
	submission.Submission
	// DataJSON keeps the form as the applicant sent it, byte for byte.
	DataJSON string `dynamodbav:"data"`
}

func subPK(id string) string { return "SUB#" + id }

func newSubItem(s submission.Submission) subItem {
	return subItem{
		keys: keys{PK: subPK(s.ID), SK: "META", GSI1PK: callPK(s.CallID) + "#SUBS", GSI1SK: s.Org + "#" + s.ID, Type: "submission",
			ExpiresAt: expiry(s.CreatedAt, PersonalDataRetention)},
		Submission: s, DataJSON: string(s.Data),
	}
}

func (it subItem) sub() submission.Submission {
	s := it.Submission
	s.Data = json.RawMessage(it.DataJSON)
	return s
}

type idemItem struct {
	keys
	Target string `dynamodbav:"target"`
	Hash   string `dynamodbav:"hash"`
}

// CreateSubmission stores a new draft and enters it on its call's roster
// (roster.go) in one transaction. With an idempotency key, the key is
// written in the same transaction; a retry with the same key and body
// returns the draft created the first time (created=false).
func (s *Store) CreateSubmission(ctx context.Context, sub submission.Submission, idemKey, bodyHash string) (submission.Submission, bool, error) {
	return s.CreateSubmissionWith(ctx, sub, idemKey, bodyHash, outbox.Effects{})
}

// CreateSubmissionWith is CreateSubmission with the creation's effects
// (its audit line) in the same transaction: a retry under the same key
// writes neither the draft nor a second line.
func (s *Store) CreateSubmissionWith(ctx context.Context, sub submission.Submission, idemKey, bodyHash string, fx outbox.Effects) (submission.Submission, bool, error) {
	it := newSubItem(sub)
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return sub, false, fmt.Errorf("encode submission: %w", err)
	}
	roster, err := s.rosterPut(sub.CallID, rosterSubs, sub.Org, sub.ID, it.ExpiresAt)
	if err != nil {
		return sub, false, err
	}
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		roster,
	}
	more, err := s.effectItems(fx)
	if err != nil {
		return sub, false, err
	}
	items = append(items, more...)
	// The idempotency key stays the last item: its refusal is the repeat.
	if idemKey != "" {
		idem, err := attributevalue.MarshalMap(idemItem{keys: keys{PK: "IDEM#" + idemKey, SK: "META", Type: "idempotency",
			ExpiresAt: expiry(sub.CreatedAt, IdempotencyRetention)}, Target: sub.ID, Hash: bodyHash})
		if err != nil {
			return sub, false, fmt.Errorf("encode idempotency: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: idem, ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	}
	err = s.transactWrite(ctx, items)
	if reasons := cancelReasons(err); idemKey != "" && reasons != nil && reasons[len(reasons)-1] == "ConditionalCheckFailed" {
		var prev idemItem
		if _, err := s.get(ctx, "IDEM#"+idemKey, "META", &prev); err != nil {
			return sub, false, err
		}
		if prev.Hash != bodyHash {
			return sub, false, problem.New(problem.CodeConflict, "La chiave di idempotenza è già stata usata per una richiesta diversa.")
		}
		existing, err := s.Submission(ctx, prev.Target)
		return existing, false, err
	}
	if err != nil {
		return sub, false, classify(fmt.Errorf("create submission: %w", err))
	}
	return sub, true, nil
}

// cancelReasons returns the per-item codes of a cancelled transaction
// ("None", "ConditionalCheckFailed", …), or nil for any other error.
func cancelReasons(err error) []string {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil
	}
	out := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		out[i] = aws.ToString(r.Code)
	}
	if len(out) == 0 {
		// Some emulators omit reasons; report an unknown cancellation.
		return []string{"Unknown"}
	}
	return out
}

// Submission reads one application; absent is not_found.
func (s *Store) Submission(ctx context.Context, id string) (submission.Submission, error) {
	var it subItem
	found, err := s.get(ctx, subPK(id), "META", &it)
	if err != nil {
		return submission.Submission{}, fmt.Errorf("read submission %s: %w", id, err)
	}
	if !found {
		return submission.Submission{}, problem.New(problem.CodeNotFound, "Domanda non trovata.")
	}
	return it.sub(), nil
}

// Submissions lists a call's applications; with org set, only that org's.
func (s *Store) Submissions(ctx context.Context, callID, org string) ([]submission.Submission, error) {
	prefix := ""
	if org != "" {
		prefix = org + "#"
	}
	var out []submission.Submission
	err := s.query(ctx, queryGSI(callPK(callID)+"#SUBS", prefix), func(m map[string]types.AttributeValue) error {
		var it subItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode submission: %w", err)
		}
		out = append(out, it.sub())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list submissions of %s: %w", callID, err)
	}
	return out, nil
}

// CurrentSubmissions lists all of a call's applications as they are now,
// in org order: the call's roster (read consistently) says which exist,
// then each is read consistently. The final close, the riparto, the funds
// announcement and the outputs count on it: an application created and
// filed a moment ago counts, which the index (a few hundred milliseconds
// late, contents included) cannot promise.
func (s *Store) CurrentSubmissions(ctx context.Context, callID string) ([]submission.Submission, error) {
	listed, err := s.Submissions(ctx, callID, "")
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(listed))
	for i, sub := range listed {
		ids[i] = sub.ID
	}
	if ids, err = s.rosterIDs(ctx, callID, rosterSubs, "", ids); err != nil {
		return nil, err
	}
	out, err := readEach(ctx, ids, s.Submission)
	if err != nil {
		return nil, fmt.Errorf("list submissions of %s: %w", callID, err)
	}
	return out, nil
}

// SaveSubmission writes sub if the stored version is still prev; otherwise
// version_mismatch and nothing changes. sub.Version must be prev+1.
func (s *Store) SaveSubmission(ctx context.Context, sub submission.Submission, prev int64) error {
	stale, err := s.putVersioned(ctx, newSubItem(sub), prev)
	if err != nil {
		return fmt.Errorf("save submission %s: %w", sub.ID, err)
	}
	if stale {
		return problem.New(problem.CodeVersionMismatch, "La domanda è stata modificata da un'altra richiesta: ricaricarla e riprovare.")
	}
	return nil
}

// ProtocolCounter reads the last number of a register ("LOM-2025"), 0 if none.
func (s *Store) ProtocolCounter(ctx context.Context, register string) (int64, error) {
	var it struct {
		N int64 `dynamodbav:"n"`
	}
	if _, err := s.get(ctx, counterPK(register), "COUNTER", &it); err != nil {
		return 0, fmt.Errorf("read counter %s: %w", register, err)
	}
	return it.N, nil
}

type claimItem struct {
	keys
	SubmissionID string     `dynamodbav:"submissionId"`
	ReleasedAt   *time.Time `dynamodbav:"releasedAt,omitempty"`
}

type registerItem struct {
	keys
	submission.Registration
}

func registerPK(register string) string { return "REGISTER#" + register }

// registerSK sorts a register's entries by number.
func registerSK(seq int64) string { return fmt.Sprintf("%012d", seq) }

// uniqPK keeps a call's claims in a partition of their own (not the
// call's), so IAM can give the submissions function this partition
// without the call item.
func uniqPK(callID string) string { return "CLAIM#" + callID }

// memberSK is one association's listing of a member: several may exist,
// none is exclusive (a claim on someone else's behalf never blocks them).
func memberSK(key, submissionID string) string { return "MEMBER#" + key + "#" + submissionID }

// claimFree: absent, or released by an exclusion or a withdrawal.
const claimFree = "attribute_not_exists(pk) OR attribute_exists(releasedAt)"

// File registers one application in one transaction (FileAll of one).
func (s *Store) File(ctx context.Context, sub submission.Submission, prev, counter int64) error {
	if sub.Registering == "" {
		sub.Registering = submission.EntryFiling
	}
	refused, err := s.FileAll(ctx, []submission.Submission{sub}, []int64{prev}, nil, counter)
	if err != nil {
		return err
	}
	return refused[0]
}

// MaxFilingItems is the most items one filing transaction may hold.
const MaxFilingItems = 100

// FileAll registers applications in one register in one transaction: the
// register's counter moves from counter to counter+len(subs) (the i-th
// registration, subs[i].Registration(), is number counter+1+i), each
// number's register entry is written, each application moves from
// prevs[i] with what it seals; a filing also takes its own claims, checks
// that no Comune it lists as a member filed alone, and records its member
// listings; fx[i] (fx may be nil) are subs[i]'s effects, its audit lines
// and outbox messages — all or nothing, so numbers stay contiguous, every
// number has its entry, and every filing its audit line and receipt. When the transaction is refused because of some of the
// applications, refused names them (index → submission.ErrStale or
// *submission.ClaimTaken) and nothing was written: the caller registers
// the others again, with fresh numbers. err is submission.ErrCounterMoved
// when the counter moved or another registration held it, a retryable
// storage error when DynamoDB failed.
func (s *Store) FileAll(ctx context.Context, subs []submission.Submission, prevs []int64, fx []outbox.Effects, counter int64) (refused map[int]error, err error) {
	if len(subs) == 0 {
		return nil, nil
	}
	subs = slices.Clone(subs)
	for i := range subs {
		if subs[i].Registering == "" {
			subs[i].Registering = submission.EntryFiling // the common case
		}
	}
	callID := subs[0].CallID
	first, ok := subs[0].Registration()
	if !ok {
		return nil, fmt.Errorf("file %s: nothing to register", subs[0].ID)
	}
	register := first.Register
	counterCond := "n = :prev"
	if counter == 0 {
		counterCond = "attribute_not_exists(n)"
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: key(counterPK(register), "COUNTER"),
		UpdateExpression:          aws.String("SET n = :next, #t = :type"),
		ConditionExpression:       aws.String(counterCond),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": num(counter + int64(len(subs))), ":type": str("counter")},
	}}}
	if counter > 0 {
		items[0].Update.ExpressionAttributeValues[":prev"] = num(counter)
	}
	// What each item is, to read a cancellation: its application, and the
	// claim it takes or checks ("" for the application; entry for the
	// register entry).
	const entry = "\x00entry"
	owner, claimOf := []int{-1}, []string{""}
	add := func(i int, claim string, it types.TransactWriteItem) {
		items = append(items, it)
		owner, claimOf = append(owner, i), append(claimOf, claim)
	}
	for i, sub := range subs {
		p, ok := sub.Registration()
		if !ok || p.Register != register || p.Seq != counter+1+int64(i) {
			return nil, fmt.Errorf("file %s: registration %+v is not number %d of %s", sub.ID, p, counter+1+int64(i), register)
		}
		kind := submission.EntryFiling
		if sub.Registering == submission.EntryIntegration {
			kind = submission.EntryIntegration
		}
		av, err := attributevalue.MarshalMap(newSubItem(sub))
		if err != nil {
			return nil, fmt.Errorf("encode submission: %w", err)
		}
		add(i, "", types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: av,
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(prevs[i])},
		}})
		e, err := attributevalue.MarshalMap(registerItem{keys: keys{PK: registerPK(register), SK: registerSK(p.Seq), Type: "registration"},
			Registration: submission.Entry(p, kind, sub)})
		if err != nil {
			return nil, fmt.Errorf("encode register entry: %w", err)
		}
		add(i, entry, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: e, ConditionExpression: aws.String("attribute_not_exists(pk)")}})
		if i < len(fx) {
			more, err := s.effectItems(fx[i])
			if err != nil {
				return nil, err
			}
			for _, it := range more {
				// A message already there (its key is the change's) means
				// this change was made: stale, like the application.
				add(i, "", it)
			}
		}
		if kind != submission.EntryFiling {
			continue
		}
		for _, c := range sub.Claims {
			ci, err := attributevalue.MarshalMap(claimItem{keys: keys{PK: uniqPK(callID), SK: c, Type: "claim"}, SubmissionID: sub.ID})
			if err != nil {
				return nil, fmt.Errorf("encode claim: %w", err)
			}
			add(i, c, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: ci, ConditionExpression: aws.String(claimFree)}})
		}
		for _, m := range sub.Members {
			add(i, m, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: &s.table, Key: key(uniqPK(callID), m), ConditionExpression: aws.String(claimFree)}})
			mi, err := attributevalue.MarshalMap(claimItem{keys: keys{PK: uniqPK(callID), SK: memberSK(m, sub.ID), Type: "member"}, SubmissionID: sub.ID})
			if err != nil {
				return nil, fmt.Errorf("encode member: %w", err)
			}
			add(i, "", types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: mi}})
		}
	}
	if len(items) > MaxFilingItems {
		if len(subs) == 1 {
			// 1 counter + application + entry + own claim + effects, 2 per member.
			fixed := 4
			if len(fx) > 0 {
				fixed += fx[0].Items()
			}
			return map[int]error{0: problem.New(problem.CodeValidation, "Troppi enti associati in una sola domanda (massimo %d).", (MaxFilingItems-fixed)/2)}, nil
		}
		return nil, fmt.Errorf("file %d applications: %d items, more than a transaction holds", len(subs), len(items))
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil, nil
	}
	reasons := cancelReasons(err)
	if reasons == nil {
		return nil, classify(fmt.Errorf("file %s: %w", subs[0].ID, err))
	}
	if contended(reasons) {
		// Another registration holds the counter (or its partition is
		// busy): like a counter that moved, read it again.
		return nil, fmt.Errorf("file %s: %w (%s)", subs[0].ID, submission.ErrCounterMoved, strings.Join(reasons, ","))
	}
	refused = map[int]error{}
	for i, r := range reasons {
		if r != "ConditionalCheckFailed" || i == 0 || i >= len(items) {
			continue
		}
		o := owner[i]
		switch claimOf[i] {
		case entry:
			// The number is taken: the counter moved under us.
			return nil, submission.ErrCounterMoved
		case "":
			refused[o] = submission.ErrStale
			continue
		}
		holder, err := s.claimHolder(ctx, callID, claimOf[i])
		if err != nil {
			return nil, err
		}
		if _, done := refused[o]; done {
			continue
		}
		if holder == subs[o].ID || holder == "" {
			// Its own claim: a filing whose answer was lost already took it.
			refused[o] = submission.ErrStale
			continue
		}
		refused[o] = &submission.ClaimTaken{Key: claimOf[i], HolderID: holder}
	}
	if len(refused) > 0 {
		return refused, nil
	}
	if reasons[0] == "ConditionalCheckFailed" {
		return nil, submission.ErrCounterMoved
	}
	// Cancelled for a reason other than our conditions: safe to retry.
	return nil, &retryable{err: fmt.Errorf("file %s: %v", subs[0].ID, strings.Join(reasons, ","))}
}

// Release saves sub (from version prev) and releases, in the same
// transaction, every claim it holds and its member listings; when sub is
// withdrawn its filing's register entry is marked withdrawn. Nothing is
// deleted: a released claim keeps who held it and when it was released.
func (s *Store) Release(ctx context.Context, sub submission.Submission, prev int64, fx outbox.Effects) error {
	av, err := attributevalue.MarshalMap(newSubItem(sub))
	if err != nil {
		return fmt.Errorf("encode submission: %w", err)
	}
	at, err := attributevalue.Marshal(sub.UpdatedAt)
	if err != nil {
		return fmt.Errorf("encode time: %w", err)
	}
	items := []types.TransactWriteItem{{Put: &types.Put{
		TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attribute_exists(pk) AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(prev)},
	}}}
	release := func(sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(uniqPK(sub.CallID), sk),
			UpdateExpression:          aws.String("SET releasedAt = :at"),
			ConditionExpression:       aws.String("submissionId = :sub"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": at, ":sub": str(sub.ID)},
		}}
	}
	for _, c := range sub.Claims {
		items = append(items, release(c))
	}
	for _, m := range sub.Members {
		items = append(items, release(memberSK(m, sub.ID)))
	}
	if sub.State == submission.Withdrawn && sub.Protocol != nil && sub.Withdrawal != nil {
		w, err := attributevalue.Marshal(sub.Withdrawal)
		if err != nil {
			return fmt.Errorf("encode withdrawal: %w", err)
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(registerPK(sub.Protocol.Register), registerSK(sub.Protocol.Seq)),
			UpdateExpression:          aws.String("SET withdrawal = :w"),
			ConditionExpression:       aws.String("submissionId = :sub"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":w": w, ":sub": str(sub.ID)},
		}})
	}
	more, err := s.effectItems(fx)
	if err != nil {
		return err
	}
	items = append(items, more...)
	if len(items) > 100 {
		return fmt.Errorf("release %s: %d items exceed one transaction", sub.ID, len(items))
	}
	err = s.transactWrite(ctx, items)
	if reasons := cancelReasons(err); reasons != nil && reasons[0] == "ConditionalCheckFailed" {
		return problem.New(problem.CodeVersionMismatch, "La domanda è stata modificata da un'altra richiesta: ricaricarla e riprovare.")
	}
	if err != nil {
		return classify(fmt.Errorf("release %s: %w", sub.ID, err))
	}
	return nil
}

// Register lists a register's entries in number order.
func (s *Store) Register(ctx context.Context, register string) ([]submission.Registration, error) {
	var out []submission.Registration
	err := s.query(ctx, queryPrefix(registerPK(register), ""), func(m map[string]types.AttributeValue) error {
		var it registerItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode register entry: %w", err)
		}
		out = append(out, it.Registration)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read register %s: %w", register, err)
	}
	return out, nil
}

// claimHolder is the application holding claim, "" if free or released.
func (s *Store) claimHolder(ctx context.Context, callID, claim string) (string, error) {
	var it claimItem
	if _, err := s.get(ctx, uniqPK(callID), claim, &it); err != nil {
		return "", err
	}
	if it.ReleasedAt != nil {
		return "", nil
	}
	return it.SubmissionID, nil
}

// ClaimHolders returns, for each key already claimed in the call, the id
// of the filed application holding it (a pre-check before filing; the
// transaction remains the authority).
func (s *Store) ClaimHolders(ctx context.Context, callID string, claims []string) (map[string]string, error) {
	out := map[string]string{}
	for _, c := range claims {
		h, err := s.claimHolder(ctx, callID, c)
		if err != nil {
			return nil, err
		}
		if h != "" {
			out[c] = h
		}
	}
	return out, nil
}

// MemberListings lists the filed applications that list key as a member
// and still hold the listing.
func (s *Store) MemberListings(ctx context.Context, callID, key string) ([]string, error) {
	var out []string
	err := s.query(ctx, queryPrefix(uniqPK(callID), "MEMBER#"+key+"#"), func(m map[string]types.AttributeValue) error {
		var it claimItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode member listing: %w", err)
		}
		if it.ReleasedAt == nil {
			out = append(out, it.SubmissionID)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("member listings of %s: %w", key, err)
	}
	return out, nil
}

// ExpireDraft marks a draft expired if it is still a draft at version prev.
func (s *Store) ExpireDraft(ctx context.Context, sub submission.Submission) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(subPK(sub.ID), "META"),
		UpdateExpression:          aws.String("SET #s = :expired, version = :next"),
		ConditionExpression:       aws.String("#s = :draft AND version = :v"),
		ExpressionAttributeNames:  map[string]string{"#s": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":expired": str(string(submission.Expired)), ":draft": str(string(submission.Draft)), ":v": num(sub.Version), ":next": num(sub.Version + 1)},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, classify(fmt.Errorf("expire %s: %w", sub.ID, err))
	}
	return true, nil
}

// counterPK keeps each register's counter ("LOM-2025") in a partition of
// its own, so IAM can keep every function but submissions away from it
// (dynamodb:LeadingKeys).
func counterPK(register string) string { return "COUNTER#" + register }

type arrivalItem struct {
	keys
	At time.Time `dynamodbav:"at"`
}

// RecordArrival keeps, once, the arrival of a submit that failed with a
// retryable error, under the client's idempotency key: its retry is then
// filed as of that first arrival, so a fault near noon never turns an
// on-time filing into a late one.
func (s *Store) RecordArrival(ctx context.Context, scope string, at time.Time) error {
	_, err := s.putNew(ctx, arrivalItem{keys: keys{PK: "IDEM#arrival#" + scope, SK: "META", Type: "arrival",
		ExpiresAt: expiry(at, IdempotencyRetention)}, At: at.UTC()})
	return err
}

// FirstArrival reads what RecordArrival kept.
func (s *Store) FirstArrival(ctx context.Context, scope string) (time.Time, bool, error) {
	var it arrivalItem
	found, err := s.get(ctx, "IDEM#arrival#"+scope, "META", &it)
	return it.At, found, err
}
