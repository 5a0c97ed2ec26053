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
// the region and starts its riparto.
func (s *Service) AnnounceFunds(ctx context.Context, p *auth.Principal, callID string, fund money.Cents, note string) (Run, error) {
	c, err := s.managedCall(ctx, p, callID)
	if err != nil {
		return Run{}, err
	}
	return s.Announce(ctx, c, ident.New("alloc"), fund, note, p.Subject)
}

// SimulateFunds computes what a fund would give, storing nothing.
func (s *Service) SimulateFunds(ctx context.Context, p *auth.Principal, callID string, fund money.Cents) (riparto.Result, error) {
	c, err := s.managedCall(ctx, p, callID)
	if err != nil {
		return riparto.Result{}, err
	}
	res, _, err := s.Simulate(ctx, c, fund)
	return res, err
}

// Outcome is a run with its result (lines empty until it is done).
type Outcome struct {
	Run    Run
	Result riparto.Result
}

// Get reads a riparto of a call of the officer's region.
func (s *Service) Get(ctx context.Context, p *auth.Principal, callID, runID string) (Outcome, error) {
	c, err := s.managedCall(ctx, p, callID)
	if err != nil {
		return Outcome{}, err
	}
	if !ident.Valid("alloc", runID) {
		return Outcome{}, errRunNotFound
	}
	run, err := s.Store.Run(ctx, runID)
	if err != nil || run.CallID != c.ID {
		return Outcome{}, errRunNotFound
	}
	lines, err := s.Store.RunLines(ctx, runID)
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Run: run, Result: riparto.Result{Fund: run.Fund, Allocated: run.Allocated, Unallocated: run.Unallocated,
		Lines: lines, EngineVersion: run.EngineVersion}}, nil
}
