package rendiconto

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"sportello/shared/access"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/ident"
	"sportello/shared/money"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// Store is what rendicontazione needs from storage. Every write is
// conditional: a claim moves from one version to the next, a child-month
// is taken once per call, and the transmission takes the next number of
// the Region's register in the same transaction.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	Submission(ctx context.Context, id string) (submission.Submission, error)

	// CreateAdvances records a call's advances once, fx (the audit line)
	// in the transaction that makes them ordered, and answers them as
	// recorded: the same order again (a repeat after a crash or a lost
	// answer) completes what is missing or answers the first order, with
	// no second line; a different order is a conflict.
	CreateAdvances(ctx context.Context, callID string, adv []Advance, bp int, fx outbox.Effects) ([]Advance, error)
	Advances(ctx context.Context, callID string) ([]Advance, error)

	// CreateClaim stores c and takes each child-month fingerprint of the
	// call, with fx (the audit line) in the same transaction; a
	// fingerprint already taken is a *Taken (nothing written).
	CreateClaim(ctx context.Context, c Claim, fingerprints []string, fx outbox.Effects) error
	Claim(ctx context.Context, id string) (Claim, error)
	Claims(ctx context.Context, callID, org string) ([]Claim, error)
	// SaveClaim saves c from version prev with fx (the change's audit
	// line) in the same transaction; ErrStale writes nothing.
	SaveClaim(ctx context.Context, c Claim, prev int, fx outbox.Effects) error
	// TransmitClaim saves c (from version prev) with the next number of
	// region's register for the year of at, and returns that number.
	// TransmitClaim numbers and saves c; effects composes, once c has its
	// number, the audit line and receipt written in the same transaction.
	TransmitClaim(ctx context.Context, c Claim, prev int, region string, at time.Time, effects func(Claim) outbox.Effects) (string, error)
}

// Taken is a child-month already claimed (by this or another Comune).
type Taken struct{ Fingerprint string }

func (t *Taken) Error() string { return "child-month already claimed" }

// ErrStale is a claim changed since it was read.
var ErrStale = errors.New("rendiconto: claim changed concurrently")

// Box seals the child's codice fiscale and fingerprints it (shared/pii).
type Box interface {
	Seal(plain, context string) string
	Open(sealed, context string) (string, error)
	Fingerprint(s string) string
}

// Files keeps the signed documents.
type Files interface {
	Put(ctx context.Context, key, contentType string, body []byte) error
}

// Notifier composes what the Comune is told: the receipt of a transmitted
// request, written to the outbox with the transmission (ok false: the
// Comune gave no address).
type Notifier interface {
	ClaimReceipt(c Claim, callTitle string) (m outbox.Message, ok bool)
}

// Service runs rendicontazione.
type Service struct {
	Store    Store
	Box      Box
	Files    Files
	Notifier Notifier                   // nil: no e-mail
	Programs map[string]program.Program // reads the Comune's contact from its application
	Clock    clock.Clock
	Log      *slog.Logger
}

// budget is the annual budget of a program whose admitted applicants
// account here (program.Accounted); false for any other program.
func (s *Service) budget(programID string) (money.Cents, bool) {
	if a, ok := s.Programs[programID].(program.Accounted); ok {
		return a.AnnualBudget(), true
	}
	return 0, false
}

var errNotFound = problem.New(problem.CodeNotFound, "Rendicontazione non trovata.")

func (s *Service) officerCall(ctx context.Context, p *auth.Principal, callID string) (call.Call, error) {
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return c, err
	}
	if err := access.ManageCall(p, c.Region); err != nil {
		return call.Call{}, err
	}
	if _, ok := s.budget(c.Program); !ok {
		return c, problem.New(problem.CodeConflict, "Il bando non prevede la rendicontazione.")
	}
	return c, nil
}

// AdvanceRequest sets the advances of a call: the historical bases, the
// percentage in basis points, and optionally a fixed total.
type AdvanceRequest struct {
	Bases []Basis      `json:"bases"`
	BP    int          `json:"percentBasisPoints"`
	Total *money.Cents `json:"total,omitempty"`
}

// SetAdvances computes and records the advances (payment orders) once;
// the same order repeated answers as the first.
func (s *Service) SetAdvances(ctx context.Context, p *auth.Principal, callID string, req AdvanceRequest) ([]Advance, error) {
	c, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return nil, err
	}
	adv, err := Advances(req.Bases, req.BP, req.Total)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	for i := range adv {
		adv[i].OrderedAt = now
	}
	var total money.Cents
	for _, a := range adv {
		total += a.Amount
	}
	fx := s.line(p, c.ID, "", "rendiconto.advances", map[string]string{"comuni": fmt.Sprint(len(adv)), "total": total.String(), "bp": fmt.Sprint(req.BP)})
	recorded, err := s.Store.CreateAdvances(ctx, c.ID, adv, req.BP, fx)
	if err != nil {
		return nil, fmt.Errorf("advances %s: %w", c.ID, err)
	}
	return recorded, nil
}

// Advances lists a call's advances (officers).
func (s *Service) Advances(ctx context.Context, p *auth.Principal, callID string) ([]Advance, error) {
	if _, err := s.officerCall(ctx, p, callID); err != nil {
		return nil, err
	}
	return s.Store.Advances(ctx, callID)
}

// ClaimRequest is a Comune's rendicontazione.
type ClaimRequest struct {
	Period Period `json:"period"`
	Lines  []Line `json:"lines"`
}

// admittedApplication loads the admitted Lombardy application the
// applicant acts for.
func (s *Service) admittedApplication(ctx context.Context, p *auth.Principal, id string) (submission.Submission, error) {
	if !ident.Valid("sub", id) {
		return submission.Submission{}, access.ErrApplicationNotFound
	}
	sub, err := s.Store.Submission(ctx, id)
	if err != nil {
		return sub, err
	}
	if err := access.SeeApplication(p, sub.Org, sub.Region); err != nil {
		return submission.Submission{}, err
	}
	if err := access.ActFor(p, sub.Org, "Rendiconta il Comune ammesso."); err != nil {
		return submission.Submission{}, err
	}
	if _, ok := s.budget(sub.Program); !ok || sub.State != submission.Admitted {
		return sub, problem.New(problem.CodeConflict, "Si rendiconta solo su una domanda ammessa di un bando che prevede la rendicontazione.")
	}
	return sub, nil
}

// File assesses and records a rendicontazione as a draft liquidation
// request whose documents can be generated and signed.
func (s *Service) File(ctx context.Context, p *auth.Principal, submissionID string, req ClaimRequest) (Claim, error) {
	sub, err := s.admittedApplication(ctx, p, submissionID)
	if err != nil {
		return Claim{}, err
	}
	admitted := map[string]bool{}
	if sub.Review != nil {
		for _, f := range sub.Review.Admitted {
			admitted[submission.ClaimKey(f)] = true
		}
	}
	advance, err := s.advanceOf(ctx, sub.CallID, sub.Org)
	if err != nil {
		return Claim{}, err
	}
	claims, err := s.Store.Claims(ctx, sub.CallID, sub.Org)
	if err != nil {
		return Claim{}, err
	}
	id := ident.New("rc")
	c, err := NewClaim(id, sub.CallID, sub.ID, sub.Org, req.Period, req.Lines, admitted, AdvanceLeft(advance, claims, ""), s.Clock.Now())
	if err != nil {
		return Claim{}, err
	}
	if prog, ok := s.Programs[sub.Program]; ok {
		if form, err := prog.Decode(sub.Data); err == nil {
			c.Contact = form.Contact()
		}
	}
	fps := make([]string, len(c.Lines))
	for i := range c.Lines {
		fps[i] = s.Box.Fingerprint(c.Lines[i].ChildCF + "#" + fmt.Sprint(c.Lines[i].Month))
	}
	stored := s.sealed(c)
	fx := s.line(p, c.Call, c.ID, "rendiconto.filed", map[string]string{"submission": sub.ID, "lines": fmt.Sprint(len(c.Lines)), "claimed": c.Claimed.String(), "net": c.Net.String()})
	if err := s.Store.CreateClaim(ctx, stored, fps, fx); err != nil {
		var taken *Taken
		if errors.As(err, &taken) {
			for i, fp := range fps {
				if fp == taken.Fingerprint {
					return Claim{}, (&problem.Fields{{Field: fmt.Sprintf("lines[%d].month", i), Code: CodeRepeated,
						Message: fmt.Sprintf("Questo bambino è già stato rendicontato per %s (in questa o in un'altra rendicontazione, anche di un altro Comune).", MonthName(c.Lines[i].Month))}}).
						Err(problem.CodeDuplicate, "Una riga è già stata rendicontata.")
				}
			}
		}
		return Claim{}, fmt.Errorf("file claim for %s: %w", sub.ID, err)
	}
	return c, nil
}

// sealed is c as stored: each child's codice fiscale sealed to the claim.
func (s *Service) sealed(c Claim) Claim {
	out := c
	out.Lines = append([]Assessed(nil), c.Lines...)
	for i := range out.Lines {
		out.Lines[i].ChildCF = s.Box.Seal(out.Lines[i].ChildCF, c.ID)
	}
	return out
}

// opened is a stored claim with the codes readable again.
func (s *Service) opened(c Claim) (Claim, error) {
	out := c
	out.Lines = append([]Assessed(nil), c.Lines...)
	for i := range out.Lines {
		cf, err := s.Box.Open(out.Lines[i].ChildCF, c.ID)
		if err != nil {
			return Claim{}, fmt.Errorf("claim %s line %d: %w", c.ID, i, err)
		}
		out.Lines[i].ChildCF = cf
	}
	return out, nil
}

func (s *Service) advanceOf(ctx context.Context, callID, org string) (money.Cents, error) {
	adv, err := s.Store.Advances(ctx, callID)
	if err != nil {
		return 0, err
	}
	for _, a := range adv {
		if a.Org == org {
			return a.Amount, nil
		}
	}
	return 0, nil
}

// load reads a claim the principal may see: the Comune's own, or any of
// the officer's region.
func (s *Service) load(ctx context.Context, p *auth.Principal, id string) (Claim, call.Call, error) {
	if !ident.Valid("rc", id) {
		return Claim{}, call.Call{}, errNotFound
	}
	c, err := s.Store.Claim(ctx, id)
	if err != nil {
		return c, call.Call{}, err
	}
	cl, err := s.Store.Call(ctx, c.Call)
	if err != nil {
		return c, cl, err
	}
	if access.SeeApplication(p, c.Org, cl.Region) != nil {
		return Claim{}, call.Call{}, errNotFound
	}
	return c, cl, nil
}

// Get returns a claim with its codes readable and, once transmitted, its
// due date.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (Claim, error) {
	c, _, err := s.load(ctx, p, id)
	if err != nil {
		return c, err
	}
	return s.opened(c)
}

// List returns a call's claims: all of them for its officers, the
// Comune's own for an applicant.
func (s *Service) List(ctx context.Context, p *auth.Principal, callID string) ([]Claim, error) {
	orgs := []string{""} // an officer: every Comune's
	if p.IsOfficer() {
		if _, err := s.officerCall(ctx, p, callID); err != nil {
			return nil, err
		}
	} else {
		orgs = p.Orgs
	}
	var cs []Claim
	for _, org := range orgs {
		mine, err := s.Store.Claims(ctx, callID, org)
		if err != nil {
			return nil, err
		}
		cs = append(cs, mine...)
	}
	for i := range cs {
		cs[i].Lines = nil // the list shows amounts and states; a claim's lines are read one by one
	}
	return cs, nil
}

// Document kinds a Comune signs.
const (
	DocAccounting  = "documento_contabile"
	DocLiquidation = "richiesta_liquidazione"
)

// Documents renders one of the two generated documents of a claim.
func (s *Service) Document(ctx context.Context, p *auth.Principal, id, kind string) ([]byte, error) {
	c, cl, err := s.load(ctx, p, id)
	if err != nil {
		return nil, err
	}
	c, err = s.opened(c)
	if err != nil {
		return nil, err
	}
	return Render(c, cl, kind)
}

// UploadSigned checks and keeps the signed copy of a generated document.
func (s *Service) UploadSigned(ctx context.Context, p *auth.Principal, id, kind, contentType string, body []byte) (Claim, error) {
	c, cl, err := s.load(ctx, p, id)
	if err != nil {
		return c, err
	}
	if err := access.ActFor(p, c.Org, "Solo il Comune firma e carica i propri documenti."); err != nil {
		return c, err
	}
	if !strings.HasPrefix(contentType, "application/pkcs7-mime") && contentType != "application/octet-stream" {
		return c, problem.New(problem.CodeUnsupportedMedia, "Caricare la busta firmata CAdES (.p7m) con Content-Type application/pkcs7-mime.")
	}
	if c.State != StateDraft {
		return c, conflict("La richiesta è già stata trasmessa: i documenti non cambiano più.")
	}
	open, err := s.opened(c)
	if err != nil {
		return c, err
	}
	want, err := Render(open, cl, kind)
	if err != nil {
		return c, err
	}
	signers, err := checkSigned(body, want)
	if err != nil {
		return c, err
	}
	key := fmt.Sprintf("rendiconti/%s/%s/%s.p7m", c.Call, c.ID, kind)
	if err := s.Files.Put(ctx, key, "application/pkcs7-mime", body); err != nil {
		return c, fmt.Errorf("store signed %s of %s: %w", kind, c.ID, err)
	}
	prev := c.Version
	c.SetSigned(kind, SignedDoc{Key: key, SHA256: sha256Hex(body), Size: int64(len(body)), Signers: signers, At: s.Clock.Now()})
	c.Version++
	fx := s.line(p, c.Call, c.ID, "rendiconto.signed", map[string]string{"kind": kind, "sha256": sha256Hex(body)})
	if err := s.Store.SaveClaim(ctx, c, prev, fx); err != nil {
		return c, s.stale(err)
	}
	return s.opened(c)
}

func (s *Service) stale(err error) error {
	if errors.Is(err, ErrStale) {
		return problem.New(problem.CodeConflict, "La rendicontazione è stata modificata nel frattempo: ricaricarla e riprovare.")
	}
	return err
}

// Transmit sends the liquidation request: both documents signed, a number
// from the Region's register, the 60-day clock started at arrival, the
// budget checked (and the request flagged, never cut, when it exceeds).
func (s *Service) Transmit(ctx context.Context, p *auth.Principal, id string, arrival time.Time) (Claim, error) {
	c, cl, err := s.load(ctx, p, id)
	if err != nil {
		return c, err
	}
	if err := access.ActFor(p, c.Org, "Solo il Comune trasmette la propria richiesta."); err != nil {
		return c, err
	}
	if c.State != StateDraft {
		return s.opened(c) // a repeated transmission answers the same
	}
	var f problem.Fields
	for _, k := range []string{DocAccounting, DocLiquidation} {
		if c.SignedDoc(k) == nil {
			f.Add("documents."+k, problem.FieldRequired, "Caricare %s firmato digitalmente.", DocTitle(k))
		}
	}
	if err := f.Err(problem.CodeIncomplete, "Mancano documenti firmati."); err != nil {
		return c, err
	}
	all, err := s.Store.Claims(ctx, c.Call, "")
	if err != nil {
		return c, err
	}
	adv, err := s.Store.Advances(ctx, c.Call)
	if err != nil {
		return c, err
	}
	budget, _ := s.budget(cl.Program)
	over := BudgetOf(budget, adv, all).Exceeds(c.Net)
	prev := c.Version
	if err := c.Transmit("", arrival, over); err != nil {
		return c, err
	}
	c.Version++
	// The audit line and the receipt, in the transmission's transaction.
	effects := func(numbered Claim) outbox.Effects {
		fx := outbox.Effects{}.With(&audit.Entry{ID: ident.New("aud"), CallID: numbered.Call, At: s.Clock.Now(), Actor: p.Subject, Action: "rendiconto.transmitted",
			Detail: map[string]string{"claim": numbered.ID, "protocol": numbered.Protocol, "net": numbered.Net.String(), "overBudget": fmt.Sprint(over)}})
		if s.Notifier != nil {
			if m, ok := s.Notifier.ClaimReceipt(numbered, cl.Title); ok {
				fx = fx.With(nil, m)
			}
		}
		return fx.Stamped(fx.Audit[0].At)
	}
	num, err := s.Store.TransmitClaim(ctx, c, prev, cl.Region, arrival, effects)
	if err != nil {
		return c, s.stale(err)
	}
	c.Protocol = num
	return s.opened(c)
}

// ReviewRequest is an officer's decision on a transmitted request.
type ReviewRequest struct {
	Decision   string      `json:"decision"` // "clarify" | "approve"
	Notes      string      `json:"notes"`
	Reductions []Reduction `json:"reductions"`
}

// Review applies an officer's decision.
func (s *Service) Review(ctx context.Context, p *auth.Principal, id string, req ReviewRequest) (Claim, error) {
	return s.officerChange(ctx, p, id, "rendiconto."+req.Decision, func(c *Claim, all []Claim, adv money.Cents) error {
		switch req.Decision {
		case "clarify":
			if req.Notes == "" {
				return fieldErr("notes", "Indicare i chiarimenti richiesti.")
			}
			return c.AskClarification(s.Clock.Now(), req.Notes)
		case "approve":
			return c.Approve(s.Clock.Now(), req.Reductions, AdvanceLeft(adv, all, c.ID))
		}
		return fieldErr("decision", `Decisione: "clarify" (chiarimenti) o "approve" (approvazione).`)
	})
}

// Pay records a payment.
func (s *Service) Pay(ctx context.Context, p *auth.Principal, id string, pay Payment) (Claim, error) {
	pay.At = s.Clock.Now()
	return s.officerChange(ctx, p, id, "rendiconto.paid", func(c *Claim, _ []Claim, _ money.Cents) error { return c.Pay(pay) })
}

// Recover orders back an amount found undue.
func (s *Service) Recover(ctx context.Context, p *auth.Principal, id string, r Recovery) (Claim, error) {
	r.At = s.Clock.Now()
	return s.officerChange(ctx, p, id, "rendiconto.recovery", func(c *Claim, _ []Claim, _ money.Cents) error { return c.Recover(r) })
}

func (s *Service) officerChange(ctx context.Context, p *auth.Principal, id, action string, change func(*Claim, []Claim, money.Cents) error) (Claim, error) {
	c, cl, err := s.load(ctx, p, id)
	if err != nil {
		return c, err
	}
	if err := access.Review(p, cl.Region, "Operazione riservata ai funzionari regionali."); err != nil {
		return c, err
	}
	all, err := s.Store.Claims(ctx, c.Call, c.Org)
	if err != nil {
		return c, err
	}
	adv, err := s.advanceOf(ctx, c.Call, c.Org)
	if err != nil {
		return c, err
	}
	prev := c.Version
	if err := change(&c, all, adv); err != nil {
		return c, err
	}
	c.Version++
	fx := s.line(p, c.Call, c.ID, action, map[string]string{"state": string(c.State), "approved": c.Approved.String(), "paid": c.Paid().String()})
	if err := s.Store.SaveClaim(ctx, c, prev, fx); err != nil {
		return c, s.stale(err)
	}
	return s.opened(c)
}

// Answer is the Comune's reply to a request for clarifications.
func (s *Service) Answer(ctx context.Context, p *auth.Principal, id, notes string) (Claim, error) {
	c, _, err := s.load(ctx, p, id)
	if err != nil {
		return c, err
	}
	if err := access.ActFor(p, c.Org, "Risponde il Comune che ha trasmesso la richiesta."); err != nil {
		return c, err
	}
	prev := c.Version
	if err := c.Answer(s.Clock.Now(), notes); err != nil {
		return c, err
	}
	c.Version++
	if err := s.Store.SaveClaim(ctx, c, prev, s.line(p, c.Call, c.ID, "rendiconto.answered", nil)); err != nil {
		return c, s.stale(err)
	}
	return s.opened(c)
}

// Budget adds up the call's budget (officers).
func (s *Service) Budget(ctx context.Context, p *auth.Principal, callID string) (Budget, error) {
	c, err := s.officerCall(ctx, p, callID)
	if err != nil {
		return Budget{}, err
	}
	budget, _ := s.budget(c.Program)
	adv, err := s.Store.Advances(ctx, callID)
	if err != nil {
		return Budget{}, err
	}
	all, err := s.Store.Claims(ctx, callID, "")
	if err != nil {
		return Budget{}, err
	}
	return BudgetOf(budget, adv, all), nil
}

// line is a change's audit line, written in the change's transaction: the
// change and its line are stored together or not at all.
func (s *Service) line(p *auth.Principal, callID, claimID, action string, detail map[string]string) outbox.Effects {
	if detail == nil {
		detail = map[string]string{}
	}
	if claimID != "" {
		detail["claim"] = claimID
	}
	return outbox.Effects{}.With(&audit.Entry{ID: ident.New("aud"), CallID: callID, At: s.Clock.Now(), Actor: p.Subject, Action: action, Detail: detail})
}
