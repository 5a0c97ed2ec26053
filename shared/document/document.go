// Package document is an uploaded file's record: what the applicant
// declared (kind, name, type, size, SHA-256), where the server put it, and
// what verification found. Bytes never pass through the API; a document
// counts for an application only once verified.
package document

import "time"

// Status of a document.
type Status string

const (
	Pending  Status = "pending"  // upload URL issued, object not yet verified
	Verified Status = "verified" // content matches the declaration and the kind's rules
	Rejected Status = "rejected" // see Reason
)

// Document is one upload.
type Document struct {
	ID           string `json:"id" dynamodbav:"id"`
	SubmissionID string `json:"submissionId" dynamodbav:"submissionId"`
	CallID       string `json:"callId" dynamodbav:"callId"`
	Org          string `json:"org" dynamodbav:"org"`
	Region       string `json:"-" dynamodbav:"region"`
	Kind         string `json:"kind" dynamodbav:"kind"`
	// Ref is the item of the form a per-item document is for (a
	// facility's code: each private facility in agreement has its own
	// convenzione).
	Ref         string `json:"ref,omitempty" dynamodbav:"ref,omitempty"`
	Filename    string `json:"filename" dynamodbav:"filename"` // as the client named it: metadata only
	ContentType string `json:"contentType" dynamodbav:"contentType"`
	Size        int64  `json:"size" dynamodbav:"size"`
	SHA256      string `json:"sha256" dynamodbav:"sha256"` // lowercase hex, as declared
	Key         string `json:"-" dynamodbav:"key"`         // S3 key, made by the server
	Status      Status `json:"status" dynamodbav:"status"`
	Reason      string `json:"reason,omitempty" dynamodbav:"reason,omitempty"`
	ReasonCode  string `json:"reasonCode,omitempty" dynamodbav:"reasonCode,omitempty"`
	Signer      string `json:"signer,omitempty" dynamodbav:"signer,omitempty"`
	// Signers are the distinct signers the signatures name.
	Signers []string `json:"signers,omitempty" dynamodbav:"signers,omitempty"`
	// SignedContent: SHA-256 of what the checked signatures cover (see
	// docverify.Result), to recognise a generated document signed as is.
	SignedContent []string `json:"signedContent,omitempty" dynamodbav:"signedContent,omitempty"`
	// SignatureChecked: every signature was verified against the content
	// with the signer's key (false for an algorithm not implemented).
	SignatureChecked bool      `json:"signatureChecked" dynamodbav:"signatureChecked"`
	Detected         string    `json:"detected,omitempty" dynamodbav:"detected,omitempty"`
	CreatedAt        time.Time `json:"createdAt" dynamodbav:"createdAt"`
	CreatedBy        string    `json:"-" dynamodbav:"createdBy"`
	VerifiedAt       time.Time `json:"verifiedAt,omitzero" dynamodbav:"verifiedAt,omitempty"`
	// ReceivedAt is when S3 stored the bytes (the ObjectCreated event's
	// time): what an integration deadline is measured against.
	ReceivedAt time.Time `json:"receivedAt,omitzero" dynamodbav:"receivedAt,omitempty"`
}

// Upload is a pre-signed PUT: the client sends exactly Headers with the
// body to URL before ExpiresAt.
type Upload struct {
	URL       string
	Method    string
	Headers   map[string]string
	ExpiresAt time.Time
}

// Key makes the object key from ids only: the client's filename never
// influences where a file lands.
func Key(callID, submissionID, documentID string) string {
	return "documents/" + callID + "/" + submissionID + "/" + documentID
}

// VerifiedKinds counts verified documents by kind.
func VerifiedKinds(docs []Document) map[string]int {
	out := map[string]int{}
	for _, d := range docs {
		if d.Status == Verified {
			out[d.Kind]++
		}
	}
	return out
}
