package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"sportello/shared/document"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
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

// docsOfPK is the partition holding a copy of each of an application's
// documents, written in the same transaction as the document: a
// consistent query of it lists them as they are now, where the index
// (gsi1) shows them a few hundred milliseconds late — submit must not
// call a document verified just before noon missing. It stays under
// "DOC#", the documents function's only keys.
func docsOfPK(subID string) string { return "DOC#OF#" + subID }

func docTwin(d document.Document) docItem {
	return docItem{keys: keys{PK: docsOfPK(d.SubmissionID), SK: "DOC#" + d.ID, Type: "document.copy"}, Document: d}
}

// CreateDocument records a declared upload.
func (s *Store) CreateDocument(ctx context.Context, d document.Document) error {
	return s.CreateDocumentWith(ctx, d, outbox.Effects{})
}

// CreateDocumentWith is CreateDocument with the declaration's effects (its
// audit line) in the same transaction.
func (s *Store) CreateDocumentWith(ctx context.Context, d document.Document, fx outbox.Effects) error {
	main, err := attributevalue.MarshalMap(newDocItem(d))
	if err != nil {
		return fmt.Errorf("encode document: %w", err)
	}
	twin, err := attributevalue.MarshalMap(docTwin(d))
	if err != nil {
		return fmt.Errorf("encode document: %w", err)
	}
	more, err := s.effectItems(fx)
	if err != nil {
		return err
	}
	err = s.transactWrite(ctx, append([]types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: main, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.table, Item: twin, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}, more...))
	if r := cancelReasons(err); r != nil && !contended(r) {
		return problem.New(problem.CodeConflict, "Documento già registrato.")
	}
	if err != nil {
		return classify(fmt.Errorf("create document %s: %w", d.ID, err))
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

// Documents lists an application's documents as they are now (a
// consistent read of their copies), in id order.
func (s *Store) Documents(ctx context.Context, submissionID string) ([]document.Document, error) {
	var out []document.Document
	err := s.query(ctx, queryPrefix(docsOfPK(submissionID), "DOC#"), func(m map[string]types.AttributeValue) error {
		var it docItem
		if err := attributevalue.UnmarshalMap(m, &it); err != nil {
			return fmt.Errorf("decode document: %w", err)
		}
		out = append(out, it.Document)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list documents of %s: %w", submissionID, err)
	}
	return out, nil
}

// Uploads lists an application's documents as the lifecycle sees them.
func (s *Store) Uploads(ctx context.Context, submissionID string) ([]submission.Upload, error) {
	docs, err := s.Documents(ctx, submissionID)
	if err != nil {
		return nil, err
	}
	out := make([]submission.Upload, len(docs))
	for i, d := range docs {
		out[i] = submission.Upload{ID: d.ID, Kind: d.Kind, Filename: d.Filename, SHA256: d.SHA256, Size: d.Size,
			Verified: d.Status == document.Verified, ReceivedAt: d.ReceivedAt, Detail: programDocument(d)}
	}
	return out, nil
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
			out = append(out, programDocument(d))
		}
	}
	return out, nil
}

// programDocument is what a program's checks see of a document.
func programDocument(d document.Document) program.Document {
	return program.Document{Kind: d.Kind, Ref: d.Ref, Signed: d.Detected == "p7m" || d.Detected == "pades",
		Signers: d.Signers, SHA256: d.SHA256, SignedContent: d.SignedContent}
}

// SettleDocument records the verification outcome once: only a pending
// document changes, so a repeated S3 event cannot flip a decision.
//
// fx, the outcome's effects (its audit line), are written in the same
// transaction: a document settled by another delivery writes neither.
func (s *Store) SettleDocument(ctx context.Context, d document.Document, fx outbox.Effects) (bool, error) {
	main, err := attributevalue.MarshalMap(newDocItem(d))
	if err != nil {
		return false, fmt.Errorf("encode document: %w", err)
	}
	twin, err := attributevalue.MarshalMap(docTwin(d))
	if err != nil {
		return false, fmt.Errorf("encode document: %w", err)
	}
	more, err := s.effectItems(fx)
	if err != nil {
		return false, err
	}
	err = s.transactWrite(ctx, append([]types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: main,
			ConditionExpression:       aws.String("#s = :pending"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pending": str(string(document.Pending))}}},
		{Put: &types.Put{TableName: &s.table, Item: twin}},
	}, more...))
	if r := cancelReasons(err); r != nil && r[0] == "ConditionalCheckFailed" {
		return false, nil
	}
	if err != nil {
		return false, classify(fmt.Errorf("settle document %s: %w", d.ID, err))
	}
	return true, nil
}
