package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"sportello/shared/apigw"
	"sportello/shared/audit"
	"sportello/shared/bidi"
	"sportello/shared/document"
	"sportello/shared/dynamo"
	"sportello/shared/ident"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/s3blobs"
	"sportello/shared/submission"
)

// UploadTTL is how long a pre-signed upload URL stays valid.
const UploadTTL = 15 * time.Minute

// Blobs is the document storage the uploads function needs.
type Blobs interface {
	PresignPut(ctx context.Context, key, contentType string, size int64, sha256Hex string, ttl time.Duration) (s3blobs.Upload, error)
	PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, time.Time, error)
}

// UploadsRoutes are the routes of the uploads function.
func UploadsRoutes(d *Deps, svc *submission.Service, blobs Blobs) []apigw.Route {
	h := &uploadsAPI{Deps: d, svc: svc, blobs: blobs}
	return []apigw.Route{
		{Method: "POST", Pattern: "/v1/submissions/{id}/documents", Handler: h.request},
		{Method: "GET", Pattern: "/v1/submissions/{id}/documents", Handler: h.list},
		{Method: "GET", Pattern: "/v1/documents/{id}/download", Handler: h.download},
	}
}

type uploadsAPI struct {
	*Deps
	svc   *submission.Service
	blobs Blobs
}

type uploadRequest struct {
	Kind        string `json:"kind"`
	Filename    string `json:"filename"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// request declares a document and answers a pre-signed PUT URL bound to
// the declared length, type and checksum. The key is made from ids only.
func (h *uploadsAPI) request(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var in uploadRequest
	if err := apigw.Decode(r, &in); err != nil {
		return nil, err
	}
	sub, err := h.svc.Get(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	if !r.Principal.ActsFor(sub.Org) {
		return nil, problem.New(problem.CodeForbidden, "Solo l'ente carica i documenti della propria domanda.")
	}
	now := h.Clock.Now()
	if err := sub.CheckUploadable(now); err != nil {
		return nil, err
	}
	prog, ok := h.Programs[sub.Program]
	if !ok {
		return nil, problem.New(problem.CodeInternal, "Programma non configurato.")
	}
	var f problem.Fields
	kinds := prog.DocumentKinds()
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
	}
	if in.Size <= 0 {
		f.Add("size", problem.FieldInvalid, "Indicare la dimensione del file in byte.")
	}
	if !isSHA256(in.SHA256) {
		f.Add("sha256", problem.FieldInvalid, "Indicare l'impronta SHA-256 del file: 64 cifre esadecimali minuscole.")
	}
	// Bidi controls are dropped from the stored name: it is shown to
	// officers and offered on download, where an override would disguise
	// the extension.
	in.Filename = strings.TrimSpace(bidi.Strip(in.Filename))
	if name := in.Filename; name == "" || len(name) > 255 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		f.Add("filename", problem.FieldInvalid, "Nome del file mancante, troppo lungo o con caratteri non ammessi.")
	}
	if err := f.Err(problem.CodeValidation, "Il documento dichiarato non è valido."); err != nil {
		return nil, err
	}
	doc := document.Document{ID: ident.New("doc"), SubmissionID: sub.ID, CallID: sub.CallID, Org: sub.Org, Region: sub.Region,
		Kind: in.Kind, Filename: strings.TrimSpace(in.Filename), ContentType: in.ContentType, Size: in.Size, SHA256: in.SHA256,
		Status: document.Pending, CreatedAt: now.UTC(), CreatedBy: r.Principal.Subject}
	doc.Key = document.Key(sub.CallID, sub.ID, doc.ID)
	up, err := h.blobs.PresignPut(ctx, doc.Key, doc.ContentType, doc.Size, doc.SHA256, UploadTTL)
	if err != nil {
		return nil, err
	}
	if err := h.Store.CreateDocument(ctx, doc); err != nil {
		return nil, dynamo.Public(err)
	}
	if err := h.Store.Audit(ctx, audit.Entry{CallID: sub.CallID, SubmissionID: sub.ID, At: now, Actor: r.Principal.Subject,
		Action: "document.declared", Detail: map[string]string{"document": doc.ID, "kind": doc.Kind, "sha256": doc.SHA256}}); err != nil {
		return nil, dynamo.Public(err)
	}
	apigw.Annotate(ctx, slog.String("document", doc.ID))
	return apigw.JSON(http.StatusCreated, map[string]any{
		"id": doc.ID, "uploadUrl": up.URL, "method": up.Method, "headers": up.Headers, "expiresAt": Rome(up.ExpiresAt),
	})
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (h *uploadsAPI) list(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	sub, err := h.svc.Get(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	docs, err := h.Store.Documents(ctx, sub.ID)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	if docs == nil {
		docs = []document.Document{}
	}
	return ok(map[string]any{"documents": docs})
}

// download answers a short-lived URL for a document the caller may see.
func (h *uploadsAPI) download(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	id := r.Params["id"]
	if !ident.Valid("doc", id) {
		return nil, problem.New(problem.CodeNotFound, "Documento non trovato.")
	}
	doc, err := h.Store.Document(ctx, id)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	if !(r.Principal.ActsFor(doc.Org) || r.Principal.OfficerOf(doc.Region)) {
		return nil, problem.New(problem.CodeNotFound, "Documento non trovato.")
	}
	if doc.Status == document.Pending {
		return nil, problem.New(problem.CodeConflict, "Il documento non è ancora stato caricato e verificato.")
	}
	url, exp, err := h.blobs.PresignGet(ctx, doc.Key, doc.Filename, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	apigw.Annotate(ctx, slog.String("document", doc.ID))
	return ok(map[string]string{"url": url, "expiresAt": Rome(exp)})
}
