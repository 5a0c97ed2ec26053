package handlers

import (
	"bytes"
	"context"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"sportello/shared/apigw"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/outputs"
	"sportello/shared/problem"
	"sportello/shared/program"
)

func (h api) health(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	return ok(map[string]string{"status": "ok", "time": Rome(h.Clock.Now())})
}

type windowView struct {
	ID       string     `json:"id"`
	OpensAt  string     `json:"opensAt"`
	ClosesAt string     `json:"closesAt"`
	ClosesOn string     `json:"closesOn,omitempty"`
	Deadline string     `json:"deadline"` // as the act wrote it, Italian
	State    call.State `json:"state"`
}

type callView struct {
	ID             string            `json:"id"`
	Program        string            `json:"program"`
	Region         string            `json:"region"`
	Title          string            `json:"title"`
	State          call.State        `json:"state"`
	ProtocolPrefix string            `json:"protocolPrefix"`
	Windows        []windowView      `json:"windows"`
	Params         map[string]string `json:"params,omitempty"`
	Version        int64             `json:"version"`
	Now            string            `json:"now"`
	// Milestones are the Region's own deadlines with what is undone,
	// shown to the call's officers.
	Milestones []outputs.Milestone `json:"milestones,omitempty"`
	// PrivacyNotice is the notice applicants acknowledge before their
	// first save (its version goes in privacyNoticeVersion).
	PrivacyNotice *program.PrivacyNotice `json:"privacyNotice,omitempty"`
	// Funds is the fund the Region announced, published for every
	// applicant (absent until announced).
	Funds *fundsView `json:"funds,omitempty"`
	// Review is how the call's applications are reviewed: the decisions
	// the program allows and its coded exclusion reasons, so the
	// officers' pages need not know programs.
	Review *reviewView `json:"review,omitempty"`
}

type fundsView struct {
	Amount       money.Cents `json:"amount"` // decimal string
	AnnouncedAt  string      `json:"announcedAt"`
	Date         string      `json:"date"` // the day of the announcement in Rome, AAAA-MM-GG
	Act          string      `json:"act,omitempty"`
	AllocationID string      `json:"allocationId"`
}

type reviewView struct {
	Model            string                 `json:"model"`
	Decisions        []program.DecisionKind `json:"decisions"`
	ExclusionReasons []program.Reason       `json:"exclusionReasons,omitempty"`
}

func (h api) viewCall(c call.Call, now time.Time) callView {
	v := callView{ID: c.ID, Program: c.Program, Region: c.Region, Title: c.Title, State: c.State(now),
		ProtocolPrefix: c.ProtocolPrefix, Params: c.Params, Version: c.Version, Now: Rome(now)}
	if n, ok := program.NoticeOf(h.Programs[c.Program], c.Params); ok {
		v.PrivacyNotice = &n
	}
	if f := c.Funds; f != nil {
		v.Funds = &fundsView{Amount: f.Amount, AnnouncedAt: Rome(f.AnnouncedAt), Date: f.AnnouncedAt.In(clock.Rome).Format(time.DateOnly),
			Act: f.Act, AllocationID: f.AllocationID}
	}
	if prog, ok := h.Programs[c.Program]; ok {
		m := program.ReviewModelOf(prog)
		v.Review = &reviewView{Model: m.Name(), Decisions: m.Decisions()}
		if ex, ok := prog.(program.Excluder); ok {
			v.Review.ExclusionReasons = ex.ExclusionReasons()
		}
	}
	for _, w := range c.Windows {
		v.Windows = append(v.Windows, windowView{ID: w.ID, OpensAt: Rome(w.OpensAt), ClosesAt: Rome(w.ClosesAt), ClosesOn: w.ClosesOn, Deadline: w.Deadline(), State: w.State(now)})
	}
	return v
}

func (h api) listCalls(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	calls, err := h.Calls.List(ctx, r.Principal)
	if err != nil {
		return nil, err
	}
	now := h.Clock.Now()
	out := make([]callView, 0, len(calls))
	for _, c := range calls {
		out = append(out, h.viewCall(c, now))
	}
	return ok(map[string]any{"calls": out})
}

func (h api) getCall(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := h.Calls.Get(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, c.ID)
	v := h.viewCall(c, h.Clock.Now())
	if r.Principal.OfficerOf(c.Region) && h.Outputs != nil {
		if v.Milestones, err = h.Outputs.Milestones(ctx, r.Principal, c.ID); err != nil {
			return nil, err
		}
	}
	return ok(v)
}

func (h api) createCall(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var spec call.Spec
	if err := apigw.Decode(r, &spec); err != nil {
		return nil, err
	}
	c, err := h.Calls.Create(ctx, r.Principal, spec)
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, c.ID)
	return apigw.JSON(http.StatusCreated, h.viewCall(c, h.Clock.Now()))
}

// extendWindow moves a window's closing instant (proroga).
func (h api) extendWindow(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var body struct {
		ClosesAt string `json:"closesAt"`
		Reason   string `json:"reason"`
	}
	if err := apigw.Decode(r, &body); err != nil {
		return nil, err
	}
	closesAt, err := call.ParseExtension(body.ClosesAt)
	if err != nil {
		return nil, err
	}
	c, err := h.Calls.Extend(ctx, r.Principal, r.Params["callId"], call.Extension{WindowID: r.Params["windowId"], ClosesAt: closesAt, Reason: body.Reason})
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, c.ID)
	return ok(h.viewCall(c, h.Clock.Now()))
}

func (h api) callAudit(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	trail, err := h.Calls.Audit(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, r.Params["callId"])
	return ok(trail)
}

// importRegistry loads an officer's CSV (pre-loaded services, or AFAM_UDOS
// facilities) into a call: every row valid, or nothing imported.
func (h api) importRegistry(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/csv" {
		if _, err := h.Calls.Managed(ctx, r.Principal, r.Params["callId"]); err != nil {
			return nil, err // who may not import learns nothing about media types
		}
		return nil, problem.New(problem.CodeUnsupportedMedia, "Caricare il file come text/csv (UTF-8).")
	}
	kind := r.Query.Get("kind")
	n, err := h.Registry.Import(ctx, r.Principal, r.Params["callId"], kind, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, r.Params["callId"])
	apigw.Annotate(ctx, slog.Int("rows", n))
	return apigw.JSON(http.StatusOK, map[string]any{"kind": kind, "imported": n})
}

// form answers the description of the call's form (program.Described) and
// the kinds of document it takes: what the web form is drawn from.
func (h api) form(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := h.Calls.Get(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, c.ID)
	prog, known := h.Programs[c.Program]
	described, isDescribed := prog.(program.Described)
	if !known || !isDescribed {
		return nil, problem.New(problem.CodeNotFound, "Il modulo di questo bando non è descritto.")
	}
	return ok(map[string]any{"callId": c.ID, "program": c.Program, "fields": described.Fields(), "documents": prog.DocumentKinds()})
}

// preloaded answers the services the Region pre-loaded for a Comune, as
// its form must declare them (?comune=<ISTAT>).
func (h api) preloaded(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	istat := r.Query.Get("comune")
	rows, err := h.Registry.Preloaded(ctx, r.Principal, r.Params["callId"], istat)
	if err != nil {
		return nil, err
	}
	annotateCall(ctx, r.Params["callId"])
	type service struct {
		ID               string `json:"id"`
		Name             string `json:"name"`
		Type             string `json:"type"`
		Address          string `json:"address"`
		Operator         string `json:"operator"`
		Places           int    `json:"places"`
		AuthorisedOn     string `json:"authorisedOn,omitempty"` // date of the latest authorisation act known
		AuthorisationAct string `json:"authorisationAct,omitempty"`
	}
	out := make([]service, 0, len(rows))
	for _, s := range rows {
		v := service{ID: s.ID, Name: s.Name, Type: s.Type, Address: s.Address, Operator: s.Operator, Places: s.Places, AuthorisationAct: s.AuthorisationAct}
		if !s.AuthorisedOn.IsZero() {
			v.AuthorisedOn = s.AuthorisedOn.Format(time.DateOnly)
		}
		out = append(out, v)
	}
	return ok(map[string]any{"comune": istat, "services": out})
}
