package dynamo

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/audit"
	"sportello/shared/ident"
)

type auditItem struct {
	keys
	audit.Entry
}

func newAuditItem(e *audit.Entry) auditItem {
	if e.ID == "" {
		e.ID = ident.New("aud")
	}
	e.At = e.At.UTC()
	// Entries sort by their business instant, then by the order this
	// process wrote them (real time, never going back), then by id.
	ts := e.At.Format("2006-01-02T15:04:05.000000000Z") + "#" + fmt.Sprintf("%020d", auditSeq())
	it := auditItem{keys: keys{PK: auditPK(e.CallID), SK: "AUDIT#" + ts + "#" + e.ID, Type: "audit"}, Entry: *e}
	if e.SubmissionID != "" {
		it.GSI1PK, it.GSI1SK = subPK(e.SubmissionID)+"#AUDIT", ts+"#"+e.ID
	}
	return it
}

// Audit appends an entry; entries are never updated or deleted.
func (s *Store) Audit(ctx context.Context, e audit.Entry) error {
	if _, err := s.putNew(ctx, newAuditItem(&e)); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// CallAudit lists a call's trail, oldest first.
func (s *Store) CallAudit(ctx context.Context, callID string) ([]audit.Entry, error) {
	return s.auditQuery(ctx, queryPrefix(auditPK(callID), "AUDIT#"))
}

// SubmissionAudit lists an application's trail, oldest first.
func (s *Store) SubmissionAudit(ctx context.Context, subID string) ([]audit.Entry, error) {
	return s.auditQuery(ctx, queryGSI(subPK(subID)+"#AUDIT", ""))
}

func (s *Store) auditQuery(ctx context.Context, in *dynamodb.QueryInput) ([]audit.Entry, error) {
	var out []audit.Entry
	err := s.query(ctx, in, func(m map[string]types.AttributeValue) error {
		var it auditItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode audit: %w", err)
		}
		out = append(out, it.Entry)
		return nil
	})
	return out, err
}

var lastSeq atomic.Int64

// auditSeq is the real time in nanoseconds, strictly increasing in process.
func auditSeq() int64 {
	for {
		now, last := time.Now().UnixNano(), lastSeq.Load()
		next := max(now, last+1)
		if lastSeq.CompareAndSwap(last, next) {
			return next
		}
	}
}

// auditPK keeps a call's trail in a partition of its own, so IAM can let
// the documents function append audit lines without letting it touch the
// call itself (dynamodb:LeadingKeys).
func auditPK(callID string) string { return "AUDIT#" + callID }
