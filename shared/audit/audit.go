// Package audit is the append-only trail of who did what and when, which a
// regional officer reads to defend a decision. Entries hold ids, states,
// instants and amounts only, never personal data.
package audit

import "time"

// Entry is one line of the trail.
type Entry struct {
	ID           string            `dynamodbav:"id" json:"id"`
	CallID       string            `dynamodbav:"callId" json:"callId"`
	SubmissionID string            `dynamodbav:"submissionId,omitempty" json:"submissionId,omitempty"`
	At           time.Time         `dynamodbav:"at" json:"at"`
	Actor        string            `dynamodbav:"actor" json:"actor"` // token subject, or "system:windows"
	Action       string            `dynamodbav:"action" json:"action"`
	Detail       map[string]string `dynamodbav:"detail,omitempty" json:"detail,omitempty"`
}
