package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
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

// CreateSubmission stores a new draft. With an idempotency key, the draft
// and the key are written in one transaction; a retry with the same key and
// body returns the draft created the first time (created=false).
func (s *Store) CreateSubmission(ctx context.Context, sub submission.Submission, idemKey, bodyHash string) (submission.Submission, bool, error) {
	av, err := attributevalue.MarshalMap(newSubItem(sub))
	if err != nil {
		return sub, false, fmt.Errorf("encode submission: %w", err)
	}
	if idemKey == "" {
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: av,
			ConditionExpression: aws.String("attribute_not_exists(pk)")}); err != nil {
			return sub, false, classify(fmt.Errorf("create submission: %w", err))
		}
		return sub, true, nil
	}
	idem, err := attributevalue.MarshalMap(idemItem{keys: keys{PK: "IDEM#" + idemKey, SK: "META", Type: "idempotency",
		ExpiresAt: expiry(sub.CreatedAt, IdempotencyRetention)}, Target: sub.ID, Hash: bodyHash})
	if err != nil {
		return sub, false, fmt.Errorf("encode idempotency: %w", err)
	}
	err = s.transactWrite(ctx, []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: idem, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	})
	if reasons := cancelReasons(err); reasons != nil && reasons[0] == "ConditionalCheckFailed" {
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

// CurrentSubmissions lists all of a call's applications as they are now:
// the index says which exist, then each is read consistently, because the
// index shows a change a few hundred milliseconds late and the final close
// and the riparto must count an application filed or validated a moment
// ago. (An application created within the lag is not yet listed; a draft
// that new has nothing for them to count.)
func (s *Store) CurrentSubmissions(ctx context.Context, callID string) ([]submission.Submission, error) {
	listed, err := s.Submissions(ctx, callID, "")
	if err != nil {
		return nil, err
	}
	out := make([]submission.Submission, len(listed))
	errs := make([]error, len(listed))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, sub := range listed {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i], errs[i] = s.Submission(ctx, sub.ID)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
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

// ProtocolCounter reads the last protocol sequence of a call (0 if none).
func (s *Store) ProtocolCounter(ctx context.Context, callID string) (int64, error) {
	var it struct {
		N int64 `dynamodbav:"n"`
	}
	if _, err := s.get(ctx, counterPK(callID), "COUNTER", &it); err != nil {
		return 0, fmt.Errorf("read counter %s: %w", callID, err)
	}
	return it.N, nil
}

type claimItem struct {
	keys
	SubmissionID string `dynamodbav:"submissionId"`
}

// File writes one filing in one transaction (FileAll of one): the
// counter moves from counter to sub.Protocol.Seq (= counter+1), the
// application from version prev to its filed state, and each claim is
// taken. Either all happen or none, so a protocol number is never lost,
// duplicated or skipped.
func (s *Store) File(ctx context.Context, sub submission.Submission, prev, counter int64) error {
	refused, err := s.FileAll(ctx, []submission.Submission{sub}, []int64{prev}, counter)
	if err != nil {
		return err
	}
	return refused[0]
}

// MaxFilingItems is the most items one filing transaction may hold.
const MaxFilingItems = 100

// FileAll files applications of one register in one transaction: the
// counter moves from counter to counter+len(subs) (subs[i].Protocol.Seq is
// counter+1+i), each application from prevs[i] to its filed state, and
// every claim is taken — all or nothing, so numbers stay contiguous. When
// the transaction is refused because of some of the applications, refused
// names them (index → submission.ErrStale or *submission.ClaimTaken) and
// nothing was written: the caller files the others again, with fresh
// numbers. err is submission.ErrCounterMoved when the counter moved or
// another filing held it, a retryable storage error when DynamoDB failed.
func (s *Store) FileAll(ctx context.Context, subs []submission.Submission, prevs []int64, counter int64) (refused map[int]error, err error) {
	return s.FileAllWith(ctx, subs, prevs, counter, nil)
}

// FileAllWith is FileAll with each filing's effects — its audit line and
// its receipt e-mail (fx[i] for subs[i]) — in the same transaction, so a
// filing is never stored without them.
func (s *Store) FileAllWith(ctx context.Context, subs []submission.Submission, prevs []int64, counter int64, fx []outbox.Effects) (refused map[int]error, err error) {
	if len(subs) == 0 {
		return nil, nil
	}
	callID := subs[0].CallID
	counterCond := "n = :prev"
	if counter == 0 {
		counterCond = "attribute_not_exists(n)"
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: key(counterPK(callID), "COUNTER"),
		UpdateExpression:          aws.String("SET n = :next, #t = :type"),
		ConditionExpression:       aws.String(counterCond),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": num(counter + int64(len(subs))), ":type": str("counter")},
	}}}
	if counter > 0 {
		items[0].Update.ExpressionAttributeValues[":prev"] = num(counter)
	}
	owner, claimOf := []int{-1}, []string{""}
	for i, sub := range subs {
		av, err := attributevalue.MarshalMap(newSubItem(sub))
		if err != nil {
			return nil, fmt.Errorf("encode submission: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: av,
			ConditionExpression:       aws.String("version = :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(prevs[i])},
		}})
		owner, claimOf = append(owner, i), append(claimOf, "")
		for _, c := range sub.Claims {
			ci, err := attributevalue.MarshalMap(claimItem{keys: keys{PK: callPK(callID), SK: "CLAIM#" + c, Type: "claim"}, SubmissionID: sub.ID})
			if err != nil {
				return nil, fmt.Errorf("encode claim: %w", err)
			}
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName: &s.table, Item: ci, ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}})
			owner, claimOf = append(owner, i), append(claimOf, c)
		}
		if i < len(fx) {
			more, err := s.effectItems(fx[i])
			if err != nil {
				return nil, err
			}
			for _, it := range more {
				items = append(items, it)
				owner, claimOf = append(owner, i), append(claimOf, effectItem)
			}
		}
	}
	if len(items) > MaxFilingItems {
		if len(subs) == 1 {
			return map[int]error{0: problem.New(problem.CodeValidation, "Troppi enti associati in una sola domanda (massimo %d).", MaxFilingItems-2)}, nil
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
		// Another filing holds the counter (or its partition is busy):
		// like a counter that moved, read it again and take the next number.
		return nil, fmt.Errorf("file %s: %w (%s)", subs[0].ID, submission.ErrCounterMoved, strings.Join(reasons, ","))
	}
	refused = map[int]error{}
	for i, r := range reasons {
		if r != "ConditionalCheckFailed" || i == 0 || i >= len(items) {
			continue
		}
		o := owner[i]
		if claimOf[i] == effectItem {
			continue // fresh ids: never the reason of a refusal
		}
		if claimOf[i] == "" {
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
		if holder == subs[o].ID {
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

func (s *Store) claimHolder(ctx context.Context, callID, claim string) (string, error) {
	var it claimItem
	if _, err := s.get(ctx, callPK(callID), "CLAIM#"+claim, &it); err != nil {
		return "", err
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

// counterPK keeps each call's protocol counter in a partition of its own,
// so IAM can keep every function but submissions away from it
// (dynamodb:LeadingKeys).
func counterPK(callID string) string { return "COUNTER#" + callID }

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

// effectItem marks, in FileAllWith's item list, an audit line or outbox message.
const effectItem = "\x00effect"
