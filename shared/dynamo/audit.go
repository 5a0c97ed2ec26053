package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/ident"
)

// AuditEntry is one line of the append-only audit trail: who did what,
// when. Details never hold personal data, only ids, states and amounts.
type AuditEntry struct {
	ID           string            `dynamodbav:"id" json:"id"`
	CallID       string            `dynamodbav:"callId" json:"callId"`
	SubmissionID string            `dynamodbav:"submissionId,omitempty" json:"submissionId,omitempty"`
	At           time.Time         `dynamodbav:"at" json:"at"`
	Actor        string            `dynamodbav:"actor" json:"actor"` // subject, or "system:windows"
	Action       string            `dynamodbav:"action" json:"action"`
	Detail       map[string]string `dynamodbav:"detail,omitempty" json:"detail,omitempty"`
}

type auditItem struct {
	keys
	AuditEntry
}

func (e *AuditEntry) item() auditItem {
	if e.ID == "" {
		e.ID = ident.New("aud")
	}
	e.At = e.At.UTC()
	ts := e.At.Format("2006-01-02T15:04:05.000000000Z")
	it := auditItem{keys: keys{PK: callPK(e.CallID), SK: "AUDIT#" + ts + "#" + e.ID, Type: "audit"}, AuditEntry: *e}
	if e.SubmissionID != "" {
		it.GSI1PK, it.GSI1SK = subPK(e.SubmissionID)+"#AUDIT", ts+"#"+e.ID
	}
	return it
}

// Audit appends an entry; entries are never updated or deleted.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if _, err := s.putNew(ctx, e.item()); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// CallAudit lists a call's trail, oldest first.
func (s *Store) CallAudit(ctx context.Context, callID string) ([]AuditEntry, error) {
	return s.auditQuery(ctx, queryPrefix(callPK(callID), "AUDIT#"))
}

// SubmissionAudit lists an application's trail, oldest first.
func (s *Store) SubmissionAudit(ctx context.Context, subID string) ([]AuditEntry, error) {
	return s.auditQuery(ctx, queryGSI(subPK(subID)+"#AUDIT", ""))
}

func (s *Store) auditQuery(ctx context.Context, in *dynamodb.QueryInput) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.query(ctx, in, func(m map[string]types.AttributeValue) error {
		var it auditItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode audit: %w", err)
		}
		out = append(out, it.AuditEntry)
		return nil
	})
	return out, err
}
