package dynamo

import (
	"context"
	"encoding/json"
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
	"sportello/shared/rendiconto"
	"sportello/shared/submission"
)

// Rendicontazione items (docs/rendicontazione.md):
//
//	RADV#<callId>   META | ADV#<org>        the advances, written once
//	RC#<claimId>    META                    a claim (gsi1: CALL#<callId>#RC / <org>#<claimId>)
//	RCHILD#<callId> <fingerprint>           a child-month taken (keyed hash, never the code)

func advPK(callID string) string   { return "RADV#" + callID }
func rcPK(id string) string        { return "RC#" + id }
func childPK(callID string) string { return "RCHILD#" + callID }

type advItem struct {
	keys
	rendiconto.Advance
	BP int `dynamodbav:"bp,omitempty"`
}

// CreateAdvances writes the advances of a call once: a second import is a
// conflict (advances are payment orders).
//
// The mark that the advances are ordered (taken once) and fx, the
// order's audit line, are one transaction; the advances, one per Comune
// (up to 1,506: more than a transaction holds), follow in batches.
func (s *Store) CreateAdvances(ctx context.Context, callID string, adv []rendiconto.Advance, bp int, fx outbox.Effects) error {
	exists, err := s.putNewWith(ctx, advItem{keys: keys{PK: advPK(callID), SK: "META", Type: "advances"}, BP: bp}, fx)
	if err != nil {
		return fmt.Errorf("advances %s: %w", callID, err)
	}
	if exists {
		return problem.New(problem.CodeConflict, "Gli anticipi del bando sono già stati disposti.")
	}
	items := make([]any, len(adv))
	for i, a := range adv {
		items[i] = advItem{keys: keys{PK: advPK(callID), SK: "ADV#" + a.Org, Type: "advance"}, Advance: a}
	}
	return s.putAll(ctx, "advances of "+callID, items)
}

// Advances reads a call's advances by org.
func (s *Store) Advances(ctx context.Context, callID string) ([]rendiconto.Advance, error) {
	var out []rendiconto.Advance
	err := s.query(ctx, queryPrefix(advPK(callID), "ADV#"), func(m map[string]types.AttributeValue) error {
		var it advItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode advance: %w", err)
		}
		out = append(out, it.Advance)
		return nil
	})
	return out, err
}

type rcItem struct {
	keys
	Version int    `dynamodbav:"version"`
	State   string `dynamodbav:"state"`
	Body    string `dynamodbav:"body"` // the claim as JSON, codes sealed
}

func newClaimItem(c rendiconto.Claim) (map[string]types.AttributeValue, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode claim: %w", err)
	}
	return attributevalue.MarshalMap(rcItem{
		keys:    keys{PK: rcPK(c.ID), SK: "META", GSI1PK: callPK(c.Call) + "#RC", GSI1SK: c.Org + "#" + c.ID, Type: "claim"},
		Version: c.Version, State: string(c.State), Body: string(body),
	})
}

func decodeClaim(m map[string]types.AttributeValue) (rendiconto.Claim, error) {
	var it rcItem
	if err := attributevalue.UnmarshalMap(m, &it); err != nil {
		return rendiconto.Claim{}, fmt.Errorf("decode claim: %w", err)
	}
	var c rendiconto.Claim
	if err := json.Unmarshal([]byte(it.Body), &c); err != nil {
		return c, fmt.Errorf("decode claim body: %w", err)
	}
	return c, nil
}

type childItem struct {
	keys
	Claim string `dynamodbav:"claim"`
}

// CreateClaim writes the claim and takes every child-month fingerprint in
// one transaction.
//
// fx, the filing's effects (its audit line), are written in the same
// transaction.
func (s *Store) CreateClaim(ctx context.Context, c rendiconto.Claim, fingerprints []string, fx outbox.Effects) error {
	av, err := newClaimItem(c)
	if err != nil {
		return err
	}
	roster, err := s.rosterPut(c.Call, rosterClaims, c.Org, c.ID, 0)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(pk)")}}, roster}
	for _, fp := range fingerprints {
		ci, err := attributevalue.MarshalMap(childItem{keys: keys{PK: childPK(c.Call), SK: fp, Type: "claimChild"}, Claim: c.ID})
		if err != nil {
			return fmt.Errorf("encode child-month: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: ci, ConditionExpression: aws.String("attribute_not_exists(pk)")}})
	}
	more, err := s.effectItems(fx)
	if err != nil {
		return err
	}
	err = s.transactWrite(ctx, append(items, more...))
	if err == nil {
		return nil
	}
	reasons := cancelReasons(err)
	for i, r := range reasons {
		if r == "ConditionalCheckFailed" && i >= 2 && i < 2+len(fingerprints) {
			return &rendiconto.Taken{Fingerprint: fingerprints[i-2]}
		}
	}
	if reasons != nil {
		return &retryable{err: fmt.Errorf("create claim %s: %v", c.ID, strings.Join(reasons, ","))}
	}
	return classify(fmt.Errorf("create claim %s: %w", c.ID, err))
}

// Claim reads a claim; absent is not_found.
func (s *Store) Claim(ctx context.Context, id string) (rendiconto.Claim, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(rcPK(id), "META"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return rendiconto.Claim{}, classify(fmt.Errorf("read claim %s: %w", id, err))
	}
	if res.Item == nil {
		return rendiconto.Claim{}, problem.New(problem.CodeNotFound, "Rendicontazione non trovata.")
	}
	return decodeClaim(res.Item)
}

// Claims lists a call's claims, or one org's when org is set, as they are
// now: the call's roster (read consistently) says which exist, then each
// is read consistently. The advance still to deduct, the budget and an
// officer's decision are money: a claim created or changed a moment ago
// counts, which the index (a few hundred milliseconds late, contents
// included) cannot promise.
func (s *Store) Claims(ctx context.Context, callID, org string) ([]rendiconto.Claim, error) {
	prefix := ""
	if org != "" {
		prefix = org + "#"
	}
	var listed []string
	err := s.query(ctx, queryGSI(callPK(callID)+"#RC", prefix), func(m map[string]types.AttributeValue) error {
		c, err := decodeClaim(m)
		if err != nil {
			return err
		}
		listed = append(listed, c.ID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids, err := s.rosterIDs(ctx, callID, rosterClaims, org, listed)
	if err != nil {
		return nil, err
	}
	return readEach(ctx, ids, s.Claim)
}

// SaveClaim replaces a claim if it is still at version prev.
func (s *Store) SaveClaim(ctx context.Context, c rendiconto.Claim, prev int, fx outbox.Effects) error {
	av, err := newClaimItem(c)
	if err != nil {
		return err
	}
	change := types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("attribute_exists(pk) AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(int64(prev))}}}
	stale, err := s.changeWith(ctx, change, fx)
	if stale {
		return rendiconto.ErrStale
	}
	if err != nil {
		return fmt.Errorf("save claim %s: %w", c.ID, err)
	}
	return nil
}

type piiKeyItem struct {
	keys
	Blob []byte `dynamodbav:"blob"`
}

// PIIKey reads the KMS-encrypted data key that seals personal data.
func (s *Store) PIIKey(ctx context.Context) ([]byte, bool, error) {
	var it piiKeyItem
	found, err := s.get(ctx, "PIIKEY", "v1", &it)
	return it.Blob, found, err
}

// CreatePIIKey stores the encrypted data key once.
func (s *Store) CreatePIIKey(ctx context.Context, blob []byte) (bool, error) {
	return s.putNew(ctx, piiKeyItem{keys: keys{PK: "PIIKEY", SK: "v1", Type: "piiKey"}, Blob: blob})
}

// TransmitClaim registers a transmitted claim in the Region's register for
// the year of at (Rome): the register's counter moves by one, the entry
// is written and the claim saved from version prev, in one transaction.
// When another registration took the number first, it reads the counter
// again and retries; a stale claim is rendiconto.ErrStale.
func (s *Store) TransmitClaim(ctx context.Context, c rendiconto.Claim, prev int, region string, at time.Time, effects func(rendiconto.Claim) outbox.Effects) (string, error) {
	register := submission.RegisterOf(region, at)
	for attempt := 0; ; attempt++ {
		counter, err := s.ProtocolCounter(ctx, register)
		if err != nil {
			return "", err
		}
		seq := counter + 1
		c.Protocol = submission.FormatProtocol(register, seq)
		av, err := newClaimItem(c)
		if err != nil {
			return "", err
		}
		entry, err := attributevalue.MarshalMap(registerItem{keys: keys{PK: registerPK(register), SK: registerSK(seq), Type: "registration"},
			Registration: submission.Registration{Register: register, Seq: seq, Number: c.Protocol, Kind: submission.EntryLiquidation,
				SubmissionID: c.Submission, ClaimID: c.ID, CallID: c.Call, At: at}})
		if err != nil {
			return "", fmt.Errorf("encode register entry: %w", err)
		}
		counterCond, vals := "n = :prev", map[string]types.AttributeValue{":next": num(seq), ":type": str("counter"), ":prev": num(counter)}
		if counter == 0 {
			counterCond = "attribute_not_exists(n)"
			delete(vals, ":prev")
		}
		items := []types.TransactWriteItem{
			{Update: &types.Update{TableName: &s.table, Key: key(counterPK(register), "COUNTER"),
				UpdateExpression: aws.String("SET n = :next, #t = :type"), ConditionExpression: aws.String(counterCond),
				ExpressionAttributeNames: map[string]string{"#t": "type"}, ExpressionAttributeValues: vals}},
			{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("version = :v"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": num(int64(prev))}}},
			{Put: &types.Put{TableName: &s.table, Item: entry, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		}
		if effects != nil {
			more, err := s.effectItems(effects(c))
			if err != nil {
				return "", err
			}
			items = append(items, more...)
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return c.Protocol, nil
		}
		reasons := cancelReasons(err)
		switch {
		case reasons == nil:
			return "", classify(fmt.Errorf("transmit %s: %w", c.ID, err))
		case reasons[1] == "ConditionalCheckFailed" || slices.Contains(reasons[min(3, len(reasons)):], "ConditionalCheckFailed"):
			// The claim moved on, or its receipt (keyed by its version) is
			// there: this transmission was made.
			return "", rendiconto.ErrStale
		case attempt >= 20:
			return "", &retryable{err: fmt.Errorf("transmit %s: %v", c.ID, strings.Join(reasons, ","))}
		}
		// The number was taken (or the transaction met another): read the
		// counter again.
	}
}
