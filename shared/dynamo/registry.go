package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// RegistryRow is one row an officer imported for a call (a pre-loaded
// service, a facility of the AFAM_UDOS registry…), kept as JSON.
type RegistryRow struct {
	Kind string `dynamodbav:"kind"`
	ID   string `dynamodbav:"rowId"`
	Key  string `dynamodbav:"rowKey"` // what a form looks the row up by (program.Row.Key)
	JSON string `dynamodbav:"json"`
}

type registryItem struct {
	keys
	RegistryRow
}

func registryPK(callID string) string { return "REG#" + callID }

// PutRegistryRows writes rows (an import replaces rows with the same id).
func (s *Store) PutRegistryRows(ctx context.Context, callID string, rows []RegistryRow) error {
	items := make([]any, len(rows))
	for i, r := range rows {
		items[i] = registryItem{keys: keys{PK: registryPK(callID), SK: r.Kind + "#" + r.ID, Type: "registry"}, RegistryRow: r}
	}
	return s.putAll(ctx, "registry of "+callID, items)
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
