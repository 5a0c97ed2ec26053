// Package intake is the documents function: when S3 reports a new object,
// it re-reads it, checks it against the declaration and the kind's rules
// (package docverify), and settles the document verified or rejected, once.
// The API never trusts the client's word that an upload happened or what
// it contains.
package intake

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path"
	"time"

	"sportello/shared/audit"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/document"
	"sportello/shared/docverify"
	"sportello/shared/ident"
	"sportello/shared/metrics"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// Store is what intake needs from storage.
type Store interface {
	Document(ctx context.Context, id string) (document.Document, error)
	// SettleDocument records a pending document's verification with its
	// effects (the outcome's audit line) in one transaction; false when it
	// was no longer pending (nothing written).
	SettleDocument(ctx context.Context, d document.Document, fx outbox.Effects) (bool, error)
	Call(ctx context.Context, id string) (call.Call, error)
}

// Blobs reads objects.
type Blobs interface {
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
}

// Service verifies objects.
type Service struct {
	Store    Store
	Blobs    Blobs
	Programs map[string]program.Program
	Clock    clock.Clock
	Log      *slog.Logger
}

// Object handles one ObjectCreated for key, stored by S3 at receivedAt
// (the event's time). Unknown or foreign keys are logged and ignored; a
// document already settled is left as it is.
func (s *Service) Object(ctx context.Context, key string, receivedAt time.Time) error {
	id := path.Base(key)
	if !ident.Valid("doc", id) {
		s.Log.Warn("object with a key sportello did not make", "outcome", "ignored")
		return nil
	}
	doc, err := s.Store.Document(ctx, id)
	if problem.CodeOf(err) == problem.CodeNotFound {
		s.Log.Warn("object without a document record", "document", id, "outcome", "ignored")
		return nil
	}
	if err != nil {
		return fmt.Errorf("intake %s: %w", id, err)
	}
	if doc.Key != key || doc.Status != document.Pending {
		s.Log.Info("document already settled or key mismatch", "document", id, "outcome", "ignored")
		return nil
	}
	kind, err := s.kind(ctx, doc)
	if err != nil {
		return err
	}
	body, _, err := s.Blobs.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("intake %s: %w", id, err)
	}
	defer body.Close()
	d := docverify.Declared{Kind: doc.Kind, ContentType: doc.ContentType, Size: doc.Size, SHA256: doc.SHA256,
		MustBeSigned: kind.MustBeSigned, AllowedTypes: kind.ContentTypes, MaxBytes: kind.MaxBytes, MinSigners: kind.MinSigners,
		Columns: kind.Columns}
	res, err := docverify.Verify(body, d)
	if err != nil {
		return fmt.Errorf("intake %s: %w", id, err)
	}
	doc.Status, doc.Reason, doc.ReasonCode = document.Status(res.Status), res.Reason, res.Code
	doc.Detected, doc.Signer, doc.SignatureChecked, doc.VerifiedAt = res.Detected, res.Signer, res.SignatureChecked, s.Clock.Now().UTC()
	doc.ReceivedAt = receivedAt.UTC()
	doc.Signers, doc.SignedContent = res.Signers, res.SignedContent
	detail := map[string]string{"document": doc.ID, "kind": doc.Kind, "status": res.Status, "detected": res.Detected}
	if res.Code != "" {
		detail["code"] = res.Code
	}
	fx := outbox.Effects{}.With(&audit.Entry{CallID: doc.CallID, SubmissionID: doc.SubmissionID, At: s.Clock.Now().In(time.UTC),
		Actor: "system:documents", Action: "document." + res.Status, Detail: detail})
	settled, err := s.Store.SettleDocument(ctx, doc, fx)
	if err != nil || !settled {
		return err
	}
	s.Log.Info("document "+res.Status, "call", doc.CallID, "submission", doc.SubmissionID, "document", doc.ID, "outcome", res.Code)
	metrics.Count(metrics.Verifications, "Status", res.Status)
	return nil
}

func (s *Service) kind(ctx context.Context, doc document.Document) (program.DocumentKind, error) {
	c, err := s.Store.Call(ctx, doc.CallID)
	if err != nil {
		return program.DocumentKind{}, fmt.Errorf("intake %s: %w", doc.ID, err)
	}
	progID := c.Program
	prog, ok := s.Programs[progID]
	if !ok {
		return program.DocumentKind{}, fmt.Errorf("intake: program %q not configured", progID)
	}
	for _, k := range prog.DocumentKinds() {
		if k.Kind == doc.Kind {
			return k, nil
		}
	}
	return program.DocumentKind{}, fmt.Errorf("intake: kind %q unknown to %s", doc.Kind, progID)
}
