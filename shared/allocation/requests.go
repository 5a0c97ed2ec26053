package allocation

import (
	"context"

	"sportello/shared/access"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/ident"
	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/riparto"
)

// The requests of officers: each loads the call and asks the policy first.

var errRunNotFound = problem.New(problem.CodeNotFound, "Riparto non trovato.")

func (s *Service) managedCall(ctx context.Context, p *auth.Principal, callID string) (call.Call, error) {
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return c, err
	}
	return c, access.ManageCall(p, c.Region)
}

// AnnounceFunds records an officer's announcement of the fund of a call of
// the region and starts its riparto (see Announce).
func (s *Service) AnnounceFunds(ctx context.Context, p *auth.Principal, callID string, a Announcement) (Run, bool, error) {
	c, err := s.managedCall(ctx, p, callID)
	if err != nil {
		return Run{}, false, err
	}
	a.By = p.Subject
	run, created, err := s.Announce(ctx, c, ident.New("alloc"), a)
	if err != nil {
		return run, created, err
	}
	// Also when the answer is an earlier run (a retry): publishing is
	// idempotent, and completes what a crash may have left undone.
	return run, created, s.Publish(ctx, run)
}

// SimulateFunds computes what a fund would give, storing nothing.
func (s *Service) SimulateFunds(ctx context.Context, p *auth.Principal, callID string, fund money.Cents) (riparto.Result, Snapshot, error) {
	c, err := s.managedCall(ctx, p, callID)
	if err != nil {
		return riparto.Result{}, Snapshot{}, err
	}
	return s.Simulate(ctx, c, fund)
}

// Get reads a riparto, with its lines, of a call of the officer's region.
func (s *Service) Get(ctx context.Context, p *auth.Principal, callID, runID string) (Run, []Line, error) {
	c, err := s.managedCall(ctx, p, callID)
	if err != nil {
		return Run{}, nil, err
	}
	if !ident.Valid("alloc", runID) {
		return Run{}, nil, errRunNotFound
	}
	run, err := s.Store.Run(ctx, runID)
	if err != nil || run.CallID != c.ID {
		return Run{}, nil, errRunNotFound
	}
	lines, err := s.Store.RunLines(ctx, runID)
	if err != nil {
		return Run{}, nil, err
	}
	return run, lines, nil
}
