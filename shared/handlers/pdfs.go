package handlers

import (
	"context"
	"net/http"
	"strings"

	"sportello/shared/apigw"
	"sportello/shared/auth"
	"sportello/shared/dynamo"
	"sportello/shared/pdfdoc"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// receipt renders the protocol receipt of a filed application.
func (h *submissionsAPI) receipt(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	sub, err := h.svc.Get(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	if !sub.Filed() {
		return nil, problem.New(problem.CodeConflict, "La domanda non è ancora stata inviata al protocollo: non c'è ricevuta.")
	}
	c, err := h.Store.Call(ctx, sub.CallID)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	data := pdfdoc.ReceiptData{Region: auth.Regions[c.Region], CallTitle: c.Title, Org: sub.Org, OrgName: h.orgName(ctx, sub.CallID, sub.Org, sub.Summary),
		SubmissionID: sub.ID, ProtocolNumber: sub.Protocol.Number, FiledAt: sub.Protocol.At, GeneratedAt: h.Clock.Now()}
	titles := map[string]string{}
	if prog, ok := h.Programs[sub.Program]; ok {
		for _, k := range prog.DocumentKinds() {
			titles[k.Kind] = k.Title
		}
	}
	// Exactly the sealed set: a document verified after the filing is
	// not part of it, whatever its status.
	for _, d := range sub.Sealed {
		data.Documents = append(data.Documents, pdfdoc.Document{Kind: d.Kind, Title: titles[d.Kind], Filename: d.Filename, SHA256: d.SHA256})
	}
	b, err := pdfdoc.Receipt(data)
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	return apigw.Bytes(http.StatusOK, "application/pdf", "ricevuta-"+sub.Protocol.Number+".pdf", b), nil
}

// summary renders the generated application (Lombardy A1) from the draft.
func (h *submissionsAPI) summary(ctx context.Context, r *apigw.Request) (*apigw.Response, error) {
	sub, err := h.svc.Get(ctx, r.Principal, r.Params["id"])
	if err != nil {
		return nil, err
	}
	prog, ok := h.Programs[sub.Program]
	if !ok {
		return nil, problem.New(problem.CodeNotFound, "Programma non configurato.")
	}
	form, err := prog.Decode(sub.Data)
	if err != nil {
		return nil, err
	}
	s, ok := form.(program.Summarizer)
	if !ok {
		return nil, problem.New(problem.CodeNotFound, "Questo bando non prevede una domanda da firmare.")
	}
	c, err := h.Store.Call(ctx, sub.CallID)
	if err != nil {
		return nil, dynamo.Public(err)
	}
	data := pdfdoc.ApplicationData{Title: "Allegato A1 – Scheda riassuntiva adesione", Subtitle: c.Title,
		Applicant: h.orgName(ctx, sub.CallID, sub.Org, sub.Summary) + " (" + sub.Org + ") – domanda " + sub.ID, GeneratedAt: h.Clock.Now()}
	for _, sec := range s.Sections() {
		data.Sections = append(data.Sections, pdfdoc.Section{Title: sec.Title, Rows: sec.Rows})
	}
	b, err := pdfdoc.Application(data)
	if err != nil {
		return nil, err
	}
	annotateSubmission(ctx, sub)
	return apigw.Bytes(http.StatusOK, "application/pdf", "domanda-"+sub.ID+".pdf", b), nil
}

// orgName is a Comune's name from the ISTAT list, or the fallback.
func (h *submissionsAPI) orgName(ctx context.Context, callID, org, fallback string) string {
	if n := OrgNames(h.Registries)(ctx, callID, org); n != "" {
		return n
	}
	return fallback
}

// OrgNames names "comune:<ISTAT>" ids from the ISTAT list ("" otherwise).
func OrgNames(regs *dynamo.RegistrySource) func(ctx context.Context, callID, id string) string {
	return func(ctx context.Context, callID, id string) string {
		kind, code, _ := strings.Cut(id, ":")
		if regs == nil || kind != "comune" {
			return ""
		}
		reg, err := regs.Registry(ctx, callID)
		if err != nil {
			return ""
		}
		if c, ok := reg.Comune(code); ok {
			return "Comune di " + c.Name
		}
		return ""
	}
}
