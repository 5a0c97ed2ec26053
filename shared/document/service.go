package document

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"

	"sportello/shared/access"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/bidi"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/ident"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// UploadTTL is how long a pre-signed upload URL stays valid.
const UploadTTL = 15 * time.Minute

// DownloadTTL is how long a download URL stays valid.
const DownloadTTL = 5 * time.Minute

// Store is what the documents' use cases need from storage.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	// CreateDocumentWith records a declared document with its effects (its
	// audit line) in one transaction.
	CreateDocumentWith(ctx context.Context, d Document, fx outbox.Effects) error
	Document(ctx context.Context, id string) (Document, error)
	Documents(ctx context.Context, submissionID string) ([]Document, error)
}

// Blobs signs uploads and downloads of the documents bucket.
type Blobs interface {
	PresignPut(ctx context.Context, key, contentType string, size int64, sha256Hex string, ttl time.Duration) (Upload, error)
	PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, time.Time, error)
}

// Applications reads an application the principal may see (the
// submissions service).
type Applications interface {
	Get(ctx context.Context, p *auth.Principal, id string) (submission.Submission, error)
	// Summary renders the generated application (Lombardy A1) of the
	// draft as it is now.
	Summary(ctx context.Context, p *auth.Principal, id string) ([]byte, submission.Submission, error)
}

// Names names orgs for people ("Comune di Torino").
type Names interface {
	OrgName(ctx context.Context, callID, org string) string
}

// Service runs the documents of an application: the uploads an applicant
// declares, download links, and the documents sportello issues (the
// filing receipt, the generated application).
type Service struct {
	Store        Store
	Blobs        Blobs
	Applications Applications
	Programs     map[string]program.Program
	Names        Names // nil: orgs are named by their applications' summaries
	Clock        clock.Clock
}

// Declaration is what an applicant says of a file before uploading it.
type Declaration struct {
	Kind        string `json:"kind"`
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	// Ref names the item a per-item kind is for (a facility's code).
	Ref string `json:"ref"`
}

// Declare records a document of an application and answers a pre-signed
// PUT bound to the declared length, type and checksum. The key is made
// from ids only.
func (s *Service) Declare(ctx context.Context, p *auth.Principal, submissionID string, in Declaration) (Document, Upload, error) {
	sub, err := s.Applications.Get(ctx, p, submissionID)
	if err != nil {
		return Document{}, Upload{}, err
	}
	if err := access.ActFor(p, sub.Org, "Solo l'ente carica i documenti della propria domanda."); err != nil {
		return Document{}, Upload{}, err
	}
	now := s.Clock.Now()
	if err := sub.CheckUploadable(now); err != nil {
		return Document{}, Upload{}, err
	}
	prog, ok := s.Programs[sub.Program]
	if !ok {
		return Document{}, Upload{}, problem.New(problem.CodeInternal, "Programma non configurato.")
	}
	// Bidi controls are dropped from the stored name: it is shown to
	// officers and offered on download, where an override would disguise
	// the extension ("fattura\u202Efdp.exe").
	in.Filename = strings.TrimSpace(bidi.Strip(in.Filename))
	if err := checkDeclaration(prog.DocumentKinds(), in); err != nil {
		return Document{}, Upload{}, err
	}
	doc := Document{ID: ident.New("doc"), SubmissionID: sub.ID, CallID: sub.CallID, Org: sub.Org, Region: sub.Region,
		Kind: in.Kind, Ref: strings.TrimSpace(in.Ref), Filename: strings.TrimSpace(in.Filename), ContentType: in.ContentType, Size: in.Size, SHA256: in.SHA256,
		Status: Pending, CreatedAt: now.UTC(), CreatedBy: p.Subject}
	doc.Key = Key(sub.CallID, sub.ID, doc.ID)
	up, err := s.Blobs.PresignPut(ctx, doc.Key, doc.ContentType, doc.Size, doc.SHA256, UploadTTL)
	if err != nil {
		return Document{}, Upload{}, err
	}
	fx := outbox.Effects{}.With(&audit.Entry{CallID: sub.CallID, SubmissionID: sub.ID, At: now, Actor: p.Subject,
		Action: "document.declared", Detail: map[string]string{"document": doc.ID, "kind": doc.Kind, "sha256": doc.SHA256}})
	if err := s.Store.CreateDocumentWith(ctx, doc, fx); err != nil {
		return Document{}, Upload{}, err
	}
	return doc, up, nil
}

// checkDeclaration reports every wrong field of a declaration at once.
func checkDeclaration(kinds []program.DocumentKind, in Declaration) error {
	var f problem.Fields
	i := slices.IndexFunc(kinds, func(k program.DocumentKind) bool { return k.Kind == in.Kind })
	if i < 0 {
		names := make([]string, len(kinds))
		for j, k := range kinds {
			names[j] = k.Kind
		}
		f.Add("kind", problem.FieldInvalid, "Tipo di documento non previsto dal bando; ammessi: %s.", strings.Join(names, ", "))
	} else {
		k := kinds[i]
		if !slices.Contains(k.ContentTypes, in.ContentType) {
			f.Add("contentType", problem.FieldNotAllowed, "Formato non ammesso per %s; ammessi: %s.", k.Title, strings.Join(k.ContentTypes, ", "))
		}
		if in.Size > k.MaxBytes {
			f.Add("size", problem.FieldTooLarge, "Il file supera il limite di %d MB per %s.", k.MaxBytes>>20, k.Title)
		}
		switch ref := strings.TrimSpace(in.Ref); {
		case k.PerItem != "" && ref == "":
			f.Add("ref", problem.FieldRequired, "Indicare a quale elemento della domanda (%s) si riferisce il documento: ogni %s ha il proprio.", k.PerItem, k.Title)
		case k.PerItem != "" && (len(ref) > 64 || strings.IndexFunc(ref, unicode.IsControl) >= 0):
			f.Add("ref", problem.FieldInvalid, "Riferimento troppo lungo o con caratteri non ammessi.")
		case k.PerItem == "" && ref != "":
			f.Add("ref", problem.FieldNotAllowed, "Questo tipo di documento non si riferisce a un singolo elemento della domanda.")
		}
	}
	if in.Size <= 0 {
		f.Add("size", problem.FieldInvalid, "Indicare la dimensione del file in byte.")
	}
	if !isSHA256(in.SHA256) {
		f.Add("sha256", problem.FieldInvalid, "Indicare l'impronta SHA-256 del file: 64 cifre esadecimali minuscole.")
	}
	if name := strings.TrimSpace(in.Filename); name == "" || len(name) > 255 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		f.Add("filename", problem.FieldInvalid, "Nome del file mancante, troppo lungo o con caratteri non ammessi.")
	}
	return f.Err(problem.CodeValidation, "Il documento dichiarato non è valido.")
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// List returns the documents of an application the principal may see.
func (s *Service) List(ctx context.Context, p *auth.Principal, submissionID string) ([]Document, error) {
	sub, err := s.Applications.Get(ctx, p, submissionID)
	if err != nil {
		return nil, err
	}
	docs, err := s.Store.Documents(ctx, sub.ID)
	if err != nil {
		return nil, err
	}
	if docs == nil {
		docs = []Document{}
	}
	return docs, nil
}

// Link is a short-lived download URL.
type Link struct {
	URL       string
	ExpiresAt time.Time
}

// Download answers a short-lived URL for a document the caller may see.
func (s *Service) Download(ctx context.Context, p *auth.Principal, id string) (Document, Link, error) {
	if !ident.Valid("doc", id) {
		return Document{}, Link{}, access.ErrDocumentNotFound
	}
	doc, err := s.Store.Document(ctx, id)
	if err != nil {
		return Document{}, Link{}, err
	}
	if err := access.SeeDocument(p, doc.Org, doc.Region); err != nil {
		return Document{}, Link{}, err
	}
	if doc.Status == Pending {
		return Document{}, Link{}, problem.New(problem.CodeConflict, "Il documento non è ancora stato caricato e verificato.")
	}
	url, exp, err := s.Blobs.PresignGet(ctx, doc.Key, doc.Filename, DownloadTTL)
	if err != nil {
		return Document{}, Link{}, err
	}
	return doc, Link{URL: url, ExpiresAt: exp}, nil
}
