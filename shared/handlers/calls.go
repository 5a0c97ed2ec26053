package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"sportello/shared/apigw"
	"sportello/shared/audit"
	"sportello/shared/call"
	"sportello/shared/dynamo"
	"sportello/shared/ident"
	"sportello/shared/problem"
)

// CallsRoutes are the routes of the calls function.
func CallsRoutes(d *Deps) []apigw.Route {
	return []apigw.Route{
		{Method: "GET", Pattern: "/v1/health", Public: true, Handler: d.health},
		{Method: "GET", Pattern: "/v1/calls", Handler: d.listCalls},
		{Method: "POST", Pattern: "/v1/calls", Handler: d.createCall},
		{Method: "GET", Pattern: "/v1/calls/{callId}", Handler: d.getCall},
		{Method: "PATCH", Pattern: "/v1/calls/{callId}/windows/{windowId}", Handler: d.extendWindow},
		{Method: "GET", Pattern: "/v1/calls/{callId}/audit", Handler: d.callAudit},
		{Method: "POST", Pattern: "/v1/calls/{callId}/registry", Handler: d.importRegistry},
	}
}

func (d *Deps) health(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	return ok(map[string]string{"status": "ok", "time": Rome(d.Clock.Now())})
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
}

func viewCall(c call.Call, now time.Time) callView {
	v := callView{ID: c.ID, Program: c.Program, Region: c.Region, Title: c.Title, State: c.State(now),
		ProtocolPrefix: c.ProtocolPrefix, Params: c.Params, Version: c.Version, Now: Rome(now)}
	for _, w := range c.Windows {
		v.Windows = append(v.Windows, windowView{ID: w.ID, OpensAt: Rome(w.OpensAt), ClosesAt: Rome(w.ClosesAt), ClosesOn: w.ClosesOn, Deadline: w.Deadline(), State: w.State(now)})
	}
	return v
}

func (d *Deps) listCalls(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	calls, err := d.Store.Calls(ctx)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	now := d.Clock.Now()
	out := []callView{}
	for _, c := range calls {
		if r.Principal.IsOfficer() && c.Region != r.Principal.Region {
			continue
		}
		out = append(out, viewCall(c, now))
	}
	return ok(map[string]any{"calls": out})
}

func (d *Deps) getCall(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := d.visibleCall(ctx, r.Principal, r.Params["callId"])
	if err != nil {
		return nil, err
	}
	return ok(viewCall(c, d.Clock.Now()))
}

func (d *Deps) createCall(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	var spec call.Spec
	if err := apigw.Decode(r, &spec); err != nil {
		return nil, err
	}
	if err := requireOfficer(r, ""); err != nil {
		return nil, err
	}
	prog, known := d.Programs[spec.Program]
	if !known {
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Programma sconosciuto.",
			Fields: []problem.FieldError{{Field: "program", Code: problem.FieldInvalid, Message: "Programma sconosciuto."}}}
	}
	if prog.Region() != r.Principal.Region {
		return nil, problem.New(problem.CodeForbidden, "Il programma %s è di un'altra Regione.", spec.Program)
	}
	now := d.Clock.Now()
	c, err := call.New(ident.New("call"), prog.Region(), spec, r.Principal.Subject, now)
	if err != nil {
		return nil, err
	}
	if err := d.Store.CreateCall(ctx, c); err != nil {
		return nil, dynamo.Public(err)
	}
	// The audit line right after the call, before anything that may fail:
	// a stored call always has its creation on record.
	if err := d.Store.Audit(ctx, audit.Entry{CallID: c.ID, At: now, Actor: r.Principal.Subject, Action: "call.created",
		Detail: map[string]string{"program": c.Program, "windows": strconv.Itoa(len(c.Windows))}}); err != nil {
		return nil, dynamo.Public(err)
	}
	d.schedule(ctx, c)
	return apigw.JSON(http.StatusCreated, viewCall(c, now))
}

// extendWindow moves a window's closing instant (proroga), reschedules the
// close (and the final work when it is the last window), and audits both
// instants.
func (d *Deps) extendWindow(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
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
	if len(body.Reason) > 1000 {
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Motivazione troppo lunga.",
			Fields: []problem.FieldError{{Field: "reason", Code: problem.FieldTooLarge, Message: "Al massimo 1000 caratteri."}}}
	}
	c, err := d.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	now := d.Clock.Now()
	var old call.Window
	updated, err := d.Store.UpdateCall(ctx, c.ID, func(cur *call.Call) error {
		next, prev, err := cur.Extend(r.Params["windowId"], closesAt, now)
		if err != nil {
			return err
		}
		*cur, old = next, prev
		return nil
	})
	if err != nil {
		return nil, dynamo.Public(err)
	}
	if err := d.Store.Audit(ctx, audit.Entry{CallID: c.ID, At: now, Actor: r.Principal.Subject, Action: "window.extended",
		Detail: map[string]string{"window": old.ID, "from": Rome(old.ClosesAt), "to": Rome(closesAt), "reason": body.Reason}}); err != nil {
		return nil, dynamo.Public(err)
	}
	d.schedule(ctx, updated)
	return ok(viewCall(updated, now))
}

// schedule puts the call's schedules once the call and its audit line are
// stored. A failure does not undo or fail the request: the windows
// function's reconcile (every 5 minutes) does the work of any instant whose
// schedule is missing, and filing never depends on a schedule (it compares
// the request's arrival with the window). It is logged at error level,
// which alarms.
func (d *Deps) schedule(ctx context.Context, c call.Call) {
	if err := d.Windows.Schedule(ctx, c); err != nil {
		d.Log.ErrorContext(ctx, "schedules not put: the reconcile will do their work", "call", c.ID, "outcome", "schedule_failed", "error", err.Error())
		apigw.Annotate(ctx, slog.String("schedule", "failed"))
	}
}

func (d *Deps) callAudit(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	c, err := d.officerCall(ctx, r)
	if err != nil {
		return nil, err
	}
	trail, err := d.Store.CallAudit(ctx, c.ID)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	evs, err := d.Store.WindowEvents(ctx, c.ID)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	if trail == nil {
		trail = []audit.Entry{}
	}
	if evs == nil {
		evs = []call.WindowEvent{}
	}
	return ok(map[string]any{"entries": trail, "windowEvents": evs})
}
