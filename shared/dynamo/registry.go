package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RegistryRow is one row an officer imported for a call (a pre-loaded
// service, a facility of the AFAM_UDOS registry…), kept as JSON.
type RegistryRow struct {
	Kind string `dynamodbav:"kind"`
	ID   string `dynamodbav:"rowId"`
	JSON string `dynamodbav:"json"`
}

type registryItem struct {
	keys
	RegistryRow
}

func registryPK(callID string) string { return "REG#" + callID }

// PutRegistryRows writes rows (an import replaces rows with the same id).
func (s *Store) PutRegistryRows(ctx context.Context, callID string, rows []RegistryRow) error {
	for start := 0; start < len(rows); start += 25 {
		end := min(start+25, len(rows))
		var reqs []types.WriteRequest
		for _, r := range rows[start:end] {
			av, err := attributevalue.MarshalMap(registryItem{keys: keys{PK: registryPK(callID), SK: r.Kind + "#" + r.ID, Type: "registry"}, RegistryRow: r})
			if err != nil {
				return fmt.Errorf("encode registry row: %w", err)
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		for attempt := 0; len(reqs) > 0; attempt++ {
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.table: reqs}})
			if err != nil {
				return classify(fmt.Errorf("import registry of %s: %w", callID, err))
			}
			reqs = out.UnprocessedItems[s.table]
			if attempt > 20 && len(reqs) > 0 {
				return &retryable{err: fmt.Errorf("import registry of %s: items left unprocessed", callID)}
			}
		}
	}
	return nil
}

// RegistryRows reads a call's imported rows of one kind ("" for all).
func (s *Store) RegistryRows(ctx context.Context, callID, kind string) ([]RegistryRow, error) {
	prefix := ""
	if kind != "" {
		prefix = kind + "#"
	}
	var out []RegistryRow
	err := s.query(ctx, queryPrefix(registryPK(callID), prefix), func(m map[string]types.AttributeValue) error {
		var it registryItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode registry row: %w", err)
		}
		if kind == "" || strings.EqualFold(it.Kind, kind) {
			out = append(out, it.RegistryRow)
		}
		return nil
	})
	return out, err
}
