package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/money"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/rendiconto"
	"sportello/shared/submission"
)

// Rendicontazione items (docs/rendicontazione.md):
//
//	RADV#<callId>   META                    the order of the advances (once): its id, count, total
//	RADV#<callId>   ORD#<order>#<org>       an advance of that order (read only once META names it)
//	RADV#<callId>   ADV#<org>               an advance of an order made before orders had ids
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

// advOrderItem is the mark that a call's advances are ordered. Order,
// Count and Total are empty on a mark written before orders had ids (its
// advances are the ADV# rows).
type advOrderItem struct {
	keys
	BP        int         `dynamodbav:"bp,omitempty"`
	Order     string      `dynamodbav:"order,omitempty"`
	Count     int         `dynamodbav:"count,omitempty"`
	Total     money.Cents `dynamodbav:"total,omitempty"`
	OrderedAt time.Time   `dynamodbav:"orderedAt,omitempty"`
}

// AdvanceOrder names an order of advances by what it orders: the
// percentage and each Comune's basis and amount (not the moment it is
// ordered), so the same order sent again has the same id.
func AdvanceOrder(adv []rendiconto.Advance, bp int) string {
	sorted := slices.Clone(adv)
	slices.SortFunc(sorted, func(a, b rendiconto.Advance) int { return strings.Compare(a.Org, b.Org) })
	h := sha256.New()
	fmt.Fprintf(h, "bp %d\n", bp)
	for _, a := range sorted {
		fmt.Fprintf(h, "%q %d %d %d\n", a.Org, a.Historical, a.Amount, a.BP)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func advRowPrefix(order string) string { return "ORD#" + order + "#" }

// CreateAdvances orders the advances of a call once (advances are payment
// orders) and answers them as recorded.
//
// An order is larger than a transaction (one advance per Comune, up to
// 1,506), so it is written rows first, mark last: the advances go in
// batches under the order's id (AdvanceOrder), where no reader looks, and
// then the mark naming the order, with its count and total, commits in
// one transaction with fx, the order's audit line. Readers see the whole
// order or none of it. A crash before the mark leaves no order and no
// line; the officer's repeat (the same order: the same id) writes only
// the rows still missing, then the mark and the line. Once a mark is
// there, the same order again answers the advances recorded (no second
// line) and a different order is a conflict.
func (s *Store) CreateAdvances(ctx context.Context, callID string, adv []rendiconto.Advance, bp int, fx outbox.Effects) ([]rendiconto.Advance, error) {
	order := AdvanceOrder(adv, bp)
	ordered, err := s.orderedAdvances(ctx, callID, order)
	if err != nil || ordered != nil {
		return ordered, err
	}
	// The rows this order has already (an earlier attempt's): equal ones
	// are not written again.
	have := map[string]rendiconto.Advance{}
	err = s.query(ctx, queryPrefix(advPK(callID), advRowPrefix(order)), func(m map[string]types.AttributeValue) error {
		var it advItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode advance: %w", err)
		}
		have[it.Org] = it.Advance
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("advances %s: %w", callID, err)
	}
	mark := advOrderItem{keys: keys{PK: advPK(callID), SK: "META", Type: "advances"}, BP: bp, Order: order, Count: len(adv)}
	var items []any
	for _, a := range adv {
		mark.Total += a.Amount
		if mark.OrderedAt.IsZero() {
			mark.OrderedAt = a.OrderedAt
		}
		a.OrderedAt = time.Time{} // the mark's: the moment the order committed
		if h, ok := have[a.Org]; !ok || h.Historical != a.Historical || h.Amount != a.Amount || h.BP != a.BP {
			items = append(items, advItem{keys: keys{PK: advPK(callID), SK: advRowPrefix(order) + a.Org, Type: "advance"}, Advance: a})
		}
	}
	if err := s.putAll(ctx, "advances of "+callID, items); err != nil {
		return nil, err
	}
	exists, err := s.putNewWith(ctx, mark, fx)
	if err != nil {
		return nil, fmt.Errorf("advances %s: %w", callID, err)
	}
	if exists { // ordered meanwhile (or this very write, its answer lost)
		ordered, err := s.orderedAdvances(ctx, callID, order)
		if err == nil && ordered == nil {
			err = fmt.Errorf("advances %s: the order's mark is there but unreadable", callID)
		}
		return ordered, err
	}
	s.sweep(ctx, "advances of "+callID+" never ordered", advPK(callID), "ORD#", func(sk string) bool {
		return !strings.HasPrefix(sk, advRowPrefix(order))
	})
	out := slices.Clone(adv)
	for i := range out {
		out[i].OrderedAt = mark.OrderedAt
	}
	return out, nil
}

// orderedAdvances answers the advances of the call's order if it is
// order, nothing if the call has none, and a conflict if it has another.
func (s *Store) orderedAdvances(ctx context.Context, callID, order string) ([]rendiconto.Advance, error) {
	var mark advOrderItem
	found, err := s.get(ctx, advPK(callID), "META", &mark)
	switch {
	case err != nil:
		return nil, fmt.Errorf("advances %s: %w", callID, err)
	case !found:
		return nil, nil
	case mark.Order != order:
		return nil, problem.New(problem.CodeConflict, "Gli anticipi del bando sono già stati disposti.")
	}
	return s.advancesOf(ctx, callID, mark)
}

// Advances reads a call's advances by org: those of its order, none
// before the order's mark commits.
func (s *Store) Advances(ctx context.Context, callID string) ([]rendiconto.Advance, error) {
	var mark advOrderItem
	found, err := s.get(ctx, advPK(callID), "META", &mark)
	if err != nil || !found {
		return nil, err
	}
	return s.advancesOf(ctx, callID, mark)
}

// advancesOf reads the advances mark orders. They were all written before
// the mark and are never deleted, so they are as many as the mark counts
// and sum to its total (the order's audit line): anything else is a
// broken store, said loudly rather than paid.
func (s *Store) advancesOf(ctx context.Context, callID string, mark advOrderItem) ([]rendiconto.Advance, error) {
	prefix := "ADV#"
	if mark.Order != "" {
		prefix = advRowPrefix(mark.Order)
	}
	var (
		out   []rendiconto.Advance
		total money.Cents
	)
	err := s.query(ctx, queryPrefix(advPK(callID), prefix), func(m map[string]types.AttributeValue) error {
		var it advItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode advance: %w", err)
		}
		if mark.Order != "" {
			it.OrderedAt = mark.OrderedAt
		}
		total += it.Amount
		out = append(out, it.Advance)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if mark.Order != "" && (len(out) != mark.Count || total != mark.Total) {
		return nil, fmt.Errorf("advances of %s: %d rows summing to %s, the order %s says %d summing to %s", callID, len(out), total, mark.Order, mark.Count, mark.Total)
	}
	return out, nil
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
