package submission

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/pdfdoc"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// SummaryTitle heads the generated application (the Lombardy facsimile
// names it Allegato A1).
const SummaryTitle = "Allegato A1 – Scheda riassuntiva adesione"

// Summary renders the application a program generates for signing from
// the draft as it is now: the very bytes the signed copy is compared with
// at filing.
func (s *Service) Summary(ctx context.Context, p *auth.Principal, id string) ([]byte, Submission, error) {
	sub, err := s.load(ctx, p, id)
	if err != nil {
		return nil, sub, err
	}
	c, prog, err := s.callAndProgram(ctx, sub.CallID)
	if err != nil {
		return nil, sub, err
	}
	form, err := prog.Decode(sub.Data)
	if err != nil {
		return nil, sub, err
	}
	sm, ok := form.(program.Summarizer)
	if !ok {
		return nil, sub, problem.New(problem.CodeNotFound, "Questo bando non prevede una domanda da firmare.")
	}
	b, err := RenderSummary(sub, c.Title, s.orgName(ctx, sub), sm)
	return b, sub, err
}

// RenderSummary renders the application a program generates for signing
// (Lombardy's Allegato A1). It is deterministic: its bytes depend only on
// the application (data, call title, applicant's name, the instant of its
// last change), never on when it is rendered, so the copy the applicant
// signed can be compared byte for byte with the draft as it is now.
func RenderSummary(sub Submission, callTitle, orgName string, sm program.Summarizer) ([]byte, error) {
	data := pdfdoc.ApplicationData{Title: SummaryTitle, Subtitle: callTitle,
		Applicant: orgName + " (" + sub.Org + ") – domanda " + sub.ID, GeneratedAt: sub.UpdatedAt}
	for _, sec := range sm.Sections() {
		data.Sections = append(data.Sections, pdfdoc.Section{Title: sec.Title, Rows: sec.Rows})
	}
	b, err := pdfdoc.Application(data)
	if err != nil {
		return nil, fmt.Errorf("summary of %s: %w", sub.ID, err)
	}
	return b, nil
}

// orgName is a Comune's name from the ISTAT list, else the summary.
func (s *Service) orgName(ctx context.Context, sub Submission) string {
	kind, code, _ := strings.Cut(sub.Org, ":")
	if kind == program.KindComune && s.Registries != nil {
		if reg, err := s.Registries.Registry(ctx, sub.CallID); err == nil {
			if c, ok := reg.Comune(code); ok {
				return "Comune di " + c.Name
			}
		}
	}
	return sub.Summary
}

// checkDocuments lists what the verified documents lack: each need by
// kind (and item, for per-item kinds), a file reused for two items, and a
// signed summary that is not the summary of the data as they are now.
func (s *Service) checkDocuments(ctx context.Context, fields *problem.Fields, sub Submission, c call.Call, prog program.Program, form program.Form,
	pctx program.Context) error {
	needs := form.RequiredDocuments(pctx)
	sort.SliceStable(needs, func(i, j int) bool { return needs[i].Kind < needs[j].Kind })
	perItem := map[string]string{}
	for _, k := range prog.DocumentKinds() {
		perItem[k.Kind] = k.PerItem
	}
	for _, n := range needs {
		have, path := pctx.VerifiedDocuments[n.Kind], "documents."+n.Kind
		if n.Ref != "" {
			have, path = 0, "documents."+n.Kind+"["+n.Ref+"]"
			for _, d := range pctx.Documents {
				if d.Kind == n.Kind && d.Ref == n.Ref {
					have++
				}
			}
		}
		if have < n.Count {
			fields.Add(path, "missing_document", "Manca %d documento/i verificato/i di tipo %q (%s): presenti %d.", n.Count-have, n.Kind, n.Reason, have)
		}
	}
	// Each item has its own file: the same file for two items is one
	// document, not two.
	refs := map[string][]string{} // kind + file → the items it was uploaded for
	var files []string
	for _, d := range pctx.Documents {
		if perItem[d.Kind] == "" {
			continue
		}
		key := d.Kind + "\x00" + d.SHA256
		if _, ok := refs[key]; !ok {
			files = append(files, key)
		}
		if !slices.Contains(refs[key], d.Ref) {
			refs[key] = append(refs[key], d.Ref)
		}
	}
	for _, key := range files {
		items := refs[key]
		if len(items) < 2 {
			continue
		}
		sort.Strings(items)
		kind, _, _ := strings.Cut(key, "\x00")
		for _, ref := range items {
			others := slices.DeleteFunc(slices.Clone(items), func(r string) bool { return r == ref })
			fields.Add("documents."+kind+"["+ref+"]", program.FieldDuplicate, "Lo stesso file è caricato anche per %s: ogni %s ha il proprio documento.", strings.Join(others, ", "), perItem[kind])
		}
	}
	ss, ok := form.(program.SignedSummary)
	if !ok || pctx.VerifiedDocuments[ss.SignedSummaryKind()] == 0 {
		return nil
	}
	pdf, err := RenderSummary(sub, c.Title, s.orgName(ctx, sub), ss)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(pdf)
	want := hex.EncodeToString(sum[:])
	for _, d := range pctx.Documents {
		if d.Kind == ss.SignedSummaryKind() && slices.Contains(d.SignedContent, want) {
			return nil
		}
	}
	fields.Add("documents."+ss.SignedSummaryKind(), problem.FieldMismatch, "%s", ss.SummaryMismatch())
	return nil
}
