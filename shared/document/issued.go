package document

import (
	"context"

	"sportello/shared/auth"
	"sportello/shared/pdfdoc"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/submission"
)

// File is a document sportello issues.
type File struct {
	Name        string
	ContentType string
	Body        []byte
	Submission  submission.Submission
}

// Receipt renders the protocol receipt of a filed application.
func (s *Service) Receipt(ctx context.Context, p *auth.Principal, submissionID string) (File, error) {
	sub, err := s.Applications.Get(ctx, p, submissionID)
	if err != nil {
		return File{}, err
	}
	if !sub.Filed() {
		return File{}, problem.New(problem.CodeConflict, "La domanda non è ancora stata inviata al protocollo: non c'è ricevuta.")
	}
	c, err := s.Store.Call(ctx, sub.CallID)
	if err != nil {
		return File{}, err
	}
	data := pdfdoc.ReceiptData{Region: program.Programs(s.Programs).RegionName(c.Region), CallTitle: c.Title, Org: sub.Org, OrgName: s.orgName(ctx, sub),
		SubmissionID: sub.ID, ProtocolNumber: sub.Protocol.Number, FiledAt: sub.Protocol.At, GeneratedAt: s.Clock.Now()}
	titles := map[string]string{}
	if prog, ok := s.Programs[sub.Program]; ok {
		for _, k := range prog.DocumentKinds() {
			titles[k.Kind] = k.Title
		}
	}
	// Exactly the sealed set: a document verified after the filing is
	// not part of the filed application, whatever its status now.
	for _, d := range sub.Sealed {
		data.Documents = append(data.Documents, pdfdoc.Document{Kind: d.Kind, Title: titles[d.Kind], Filename: d.Filename, SHA256: d.SHA256})
	}
	b, err := pdfdoc.Receipt(data)
	if err != nil {
		return File{}, err
	}
	return File{Name: "ricevuta-" + sub.Protocol.Number + ".pdf", ContentType: "application/pdf", Body: b, Submission: sub}, nil
}

// Summary renders the generated application (Lombardy A1) from the
// draft as it is now, as the submissions service renders it to compare
// with the signed copy at filing.
func (s *Service) Summary(ctx context.Context, p *auth.Principal, submissionID string) (File, error) {
	b, sub, err := s.Applications.Summary(ctx, p, submissionID)
	if err != nil {
		return File{}, err
	}
	return File{Name: "domanda-" + sub.ID + ".pdf", ContentType: "application/pdf", Body: b, Submission: sub}, nil
}

// orgName is a Comune's name from the ISTAT list, or the application's
// own summary.
func (s *Service) orgName(ctx context.Context, sub submission.Submission) string {
	if s.Names != nil {
		if n := s.Names.OrgName(ctx, sub.CallID, sub.Org); n != "" {
			return n
		}
	}
	return sub.Summary
}
