// Package problem holds the errors the domain gives back to people: a stable
// machine code, an Italian sentence, and per-field details for forms.
// Transports map Code to a status in one table (see apigw); anything that is
// not a *Error is internal and never shown to a client.
package problem

import (
	"errors"
	"fmt"
	"strings"
)

// Stable codes. Clients may switch on them; never rename one.
const (
	CodeBadRequest       = "bad_request"       // malformed JSON, unknown fields, wrong types
	CodeValidation       = "validation_failed" // well-formed but wrong values
	CodeIncomplete       = "incomplete"        // submit refused: missing fields or documents
	CodeUnauthorized     = "unauthorized"      // no or bad credentials
	CodeForbidden        = "forbidden"         // authenticated, not allowed
	CodeNotFound         = "not_found"         // absent, or not yours
	CodeConflict         = "conflict"          // generic state conflict
	CodeNotEditable      = "not_editable"      // the application can no longer change
	CodeVersionMismatch  = "version_mismatch"  // If-Match is stale
	CodePrecondition     = "precondition_required"
	CodeWindowClosed     = "window_closed"
	CodeWindowNotOpen    = "window_not_open"
	CodeMemberConflict   = "member_conflict"
	CodeDuplicate        = "duplicate" // e.g. a second application for one facility
	CodeTooLarge         = "payload_too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeUnavailable      = "unavailable" // retryable: storage throttled or failed
	CodeInternal         = "internal"
	// Outputs and the riparto.
	CodeNotAcceptable        = "not_acceptable"          // no representation of a download matches ?format= or Accept
	CodeUndecided            = "undecided_applications"  // funds announced while applications await a decision
	CodeAllocationInProgress = "allocation_in_progress"  // another amount is being allocated for the call
	CodeIdempotencyMismatch  = "idempotency_mismatch"    // an Idempotency-Key reused with a different request
	CodePrivacyNotice        = "privacy_notice_required" // a draft saved without acknowledging the call's privacy notice
)

// Unavailable is the meaning of a storage failure worth retrying (throttled,
// or the service faulted after the SDK's own retries): adapters wrap it
// into their errors, so errors.Is(err, Unavailable) holds and the one
// renderer answers 503 with Retry-After. Retrying with the same request
// (and Idempotency-Key) is safe.
var Unavailable = New(CodeUnavailable, "Il servizio è momentaneamente sovraccarico: riprovare tra qualche secondo con la stessa richiesta. Ripetere la stessa richiesta è sicuro: non crea duplicati.")

// FieldError names one wrong field of a form. Field is a JSON pointer-like
// dotted path ("data.services[2].reason").
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Label is the field's Italian label, from the program's description
	// of its form (program.Described), when it has one.
	Label string `json:"label,omitempty"`
}

// Error is a problem to be shown to the person who caused it.
type Error struct {
	Code   string
	Detail string
	Fields []FieldError
	// Extra members of the problem document (e.g. the other application of
	// a member conflict). Values must be JSON-encodable and safe to show.
	Extra map[string]any
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Code + ": " + e.Detail
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Code
	}
	return e.Code + ": " + e.Detail + " (" + strings.Join(parts, ", ") + ")"
}

// New builds a problem with a formatted Italian detail.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// With returns a copy carrying one extra member.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		c.Extra[k] = v
	}
	c.Extra[key] = value
	return &c
}

// As extracts a *Error from err's chain.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// CodeOf returns the problem code of err, or CodeInternal.
func CodeOf(err error) string {
	if p, ok := As(err); ok {
		return p.Code
	}
	return CodeInternal
}

// Fields collects every field error of a form so they are reported at once.
type Fields []FieldError

// Add records one field error.
func (f *Fields) Add(field, code, format string, args ...any) {
	*f = append(*f, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Merge appends another list, prefixing its field paths.
func (f *Fields) Merge(prefix string, other Fields) {
	for _, e := range other {
		if prefix != "" {
			e.Field = prefix + "." + e.Field
		}
		*f = append(*f, e)
	}
}

// Err returns nil when nothing was recorded, otherwise a problem with code
// and detail carrying every field error.
func (f Fields) Err(code, detail string) error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: code, Detail: detail, Fields: append([]FieldError(nil), f...)}
}

// Field error codes used across programs.
const (
	FieldRequired   = "required"
	FieldInvalid    = "invalid"
	FieldTooLarge   = "too_large"
	FieldTooSmall   = "too_small"
	FieldUnknown    = "unknown"
	FieldNotAllowed = "not_allowed"
	FieldMismatch   = "mismatch"
)
