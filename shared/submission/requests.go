package submission

import (
	"context"
	"time"

	"sportello/shared/access"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// MaxIdempotencyKey is the longest Idempotency-Key accepted.
const MaxIdempotencyKey = 128

// SubmitRetry files like Submit, and keeps the first arrival of a request
// retried with the same idempotency key: a submit that failed retryably
// (storage unavailable) before noon and is retried after noon still files
// as of its first arrival.
func (s *Service) SubmitRetry(ctx context.Context, p *auth.Principal, id string, arrival time.Time, idemKey string) (Submission, time.Time, error) {
	scope := ""
	if idemKey != "" && len(idemKey) <= MaxIdempotencyKey {
		scope = p.Subject + "#" + id + "#" + idemKey
	}
	sub, arrival, err := s.submit(ctx, p, id, arrival, scope)
	if scope != "" && problem.CodeOf(err) == problem.CodeUnavailable {
		if rerr := s.Store.RecordArrival(ctx, scope, arrival); rerr != nil {
			s.Log.Warn("could not keep the arrival of a failed submit", "submission", id, "error", rerr.Error())
		}
	}
	return sub, arrival, err
}

// Audit returns the trail of an application, to the region's officers.
func (s *Service) Audit(ctx context.Context, p *auth.Principal, id string) ([]audit.Entry, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := access.Review(p, sub.Region, "Il registro delle operazioni è consultabile dai funzionari regionali."); err != nil {
		return nil, err
	}
	return s.Store.SubmissionAudit(ctx, sub.ID)
}

// Derived is what the program derives from an application's form for the
// applicant to see (e.g. Piemonte's averaging periods), or nil.
func (s *Service) Derived(sub Submission) any {
	prog, ok := s.Programs[sub.Program]
	if !ok {
		return nil
	}
	form, err := prog.Decode(sub.Data)
	if err != nil {
		return nil
	}
	if d, ok := form.(program.Deriver); ok {
		return d.Derived()
	}
	return nil
}
