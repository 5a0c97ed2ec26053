package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/document"
	"sportello/shared/problem"
	"sportello/shared/program"
)

type docItem struct {
	keys
	document.Document
}

func docPK(id string) string { return "DOC#" + id }

func newDocItem(d document.Document) docItem {
	return docItem{keys: keys{PK: docPK(d.ID), SK: "META", GSI1PK: subPK(d.SubmissionID) + "#DOCS", GSI1SK: d.ID, Type: "document",
		ExpiresAt: expiry(d.CreatedAt, PersonalDataRetention)}, Document: d}
}

// CreateDocument records a declared upload.
func (s *Store) CreateDocument(ctx context.Context, d document.Document) error {
	exists, err := s.putNew(ctx, newDocItem(d))
	if err != nil {
		return fmt.Errorf("create document %s: %w", d.ID, err)
	}
	if exists {
		return problem.New(problem.CodeConflict, "Documento già registrato.")
	}
	return nil
}

// Document reads one document; absent is not_found.
func (s *Store) Document(ctx context.Context, id string) (document.Document, error) {
	var it docItem
	found, err := s.get(ctx, docPK(id), "META", &it)
	if err != nil {
		return document.Document{}, fmt.Errorf("read document %s: %w", id, err)
	}
	if !found {
		return document.Document{}, problem.New(problem.CodeNotFound, "Documento non trovato.")
	}
	return it.Document, nil
}

// Documents lists an application's documents.
func (s *Store) Documents(ctx context.Context, submissionID string) ([]document.Document, error) {
	var out []document.Document
	err := s.query(ctx, queryGSI(subPK(submissionID)+"#DOCS", ""), func(m map[string]types.AttributeValue) error {
		var it docItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode document: %w", err)
		}
		out = append(out, it.Document)
		return nil
	})
	return out, err
}

// VerifiedDocuments counts an application's verified documents by kind.
func (s *Store) VerifiedDocuments(ctx context.Context, submissionID string) (map[string]int, error) {
	docs, err := s.Documents(ctx, submissionID)
	if err != nil {
		return nil, err
	}
	return document.VerifiedKinds(docs), nil
}

// VerifiedUploads lists an application's verified documents as the
// programs' checks see them: kind, item, signature, digests.
func (s *Store) VerifiedUploads(ctx context.Context, submissionID string) ([]program.Document, error) {
	docs, err := s.Documents(ctx, submissionID)
	if err != nil {
		return nil, err
	}
	var out []program.Document
	for _, d := range docs {
		if d.Status == document.Verified {
			out = append(out, program.Document{Kind: d.Kind, Ref: d.Ref, Signed: d.Detected == "p7m" || d.Detected == "pades",
				Signers: d.Signers, SHA256: d.SHA256, SignedContent: d.SignedContent})
		}
	}
	return out, nil
}

// SettleDocument records the verification outcome once: only a pending
// document changes, so a repeated S3 event cannot flip a decision.
func (s *Store) SettleDocument(ctx context.Context, d document.Document) (bool, error) {
	av, err := attributevalue.MarshalMap(newDocItem(d))
	if err != nil {
		return false, fmt.Errorf("encode document: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: av,
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pending": str(string(document.Pending))},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, classify(fmt.Errorf("settle document %s: %w", d.ID, err))
	}
	return true, nil
}
