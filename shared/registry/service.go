package registry

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"sportello/shared/access"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/outbox"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// Store is what imports need from storage.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	// ImportRowsWith stores rows of the list of kind for a call (a row
	// with the id of a stored one replaces it), with the import's effects
	// (its audit line) in the transaction that puts them in force: readers
	// see the import whole or not at all.
	ImportRowsWith(ctx context.Context, callID, kind string, rows []program.Row, fx outbox.Effects) error
}

// Source gives a call's registry; Forget drops what it keeps of one call
// so an import is seen at once by this process.
type Source interface {
	Registry(ctx context.Context, callID string) (program.Registry, error)
	Forget(callID string)
}

// Service imports officers' lists into a call.
type Service struct {
	Store    Store
	Source   Source // nil: nothing cached
	Programs map[string]program.Program
	Clock    clock.Clock
}

// Import loads an officer's CSV of kind into a call: a kind of list the
// call's program declares (program.Lister), every row valid, or nothing
// imported. It answers the number of rows imported.
func (s *Service) Import(ctx context.Context, p *auth.Principal, callID, kind string, csv io.Reader) (int, error) {
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return 0, err
	}
	if err := access.ManageCall(p, c.Region); err != nil {
		return 0, err
	}
	lists := program.ListsOf(s.Programs[c.Program])
	i := slices.IndexFunc(lists, func(l program.ReferenceList) bool { return l.Kind == kind })
	if i < 0 {
		var kinds []string
		for _, l := range lists {
			kinds = append(kinds, "?kind="+l.Kind)
		}
		msg := "Il bando non prevede elenchi da importare."
		if len(kinds) > 0 {
			msg = "Usare " + strings.Join(kinds, " o ") + "."
		}
		return 0, &problem.Error{Code: problem.CodeValidation, Detail: "Tipo di elenco non indicato o non previsto dal bando.",
			Fields: []problem.FieldError{{Field: "kind", Code: problem.FieldInvalid, Message: msg}}}
	}
	rows, err := lists[i].Read(csv)
	if err != nil {
		return 0, err
	}
	n := len(rows)
	fx := outbox.Effects{}.With(&audit.Entry{CallID: c.ID, At: s.Clock.Now(), Actor: p.Subject, Action: "registry.imported",
		Detail: map[string]string{"kind": kind, "rows": strconv.Itoa(n)}})
	if err := s.Store.ImportRowsWith(ctx, c.ID, kind, rows, fx); err != nil {
		return 0, err
	}
	if s.Source != nil {
		s.Source.Forget(c.ID)
	}
	return n, nil
}

// Preloaded answers the services the Region pre-loaded for a Comune
// (Piemonte, seed note 6): the Comune's own users and the call's region's
// officers may read them; anyone else does not find them. A Comune with
// none gets an empty list.
func (s *Service) Preloaded(ctx context.Context, p *auth.Principal, callID, istat string) ([]program.PreloadedService, error) {
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return nil, err
	}
	if err := access.SeeCall(p, c.Region); err != nil {
		return nil, err
	}
	if !(p.ActsFor(program.KindComune+":"+istat) || p.OfficerOf(c.Region)) {
		return nil, problem.New(problem.CodeForbidden, "L'utenza non è abilitata ad agire per il Comune indicato (?comune=<codice ISTAT>).")
	}
	if !program.ValidISTAT(istat) {
		return nil, &problem.Error{Code: problem.CodeValidation, Detail: "Comune non indicato.",
			Fields: []problem.FieldError{{Field: "comune", Code: problem.FieldInvalid, Message: "Indicare il codice ISTAT del Comune (sei cifre, es. 001272)."}}}
	}
	if s.Source == nil {
		return nil, fmt.Errorf("preloaded of %s: no registry source", callID)
	}
	reg, err := s.Source.Registry(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	out := program.Find[program.PreloadedService](reg, program.ListPreloaded, istat)
	if out == nil {
		out = []program.PreloadedService{}
	}
	return out, nil
}

// Names names orgs for people from the call's registry: "comune:<ISTAT>"
// is "Comune di <name>" from the ISTAT list; anything else has no name
// here ("").
type Names struct {
	Source interface {
		Registry(ctx context.Context, callID string) (program.Registry, error)
	}
}

// OrgName is the name of org, or "" when it has none here.
func (n Names) OrgName(ctx context.Context, callID, org string) string {
	kind, code, _ := strings.Cut(org, ":")
	if n.Source == nil || kind != "comune" {
		return ""
	}
	reg, err := n.Source.Registry(ctx, callID)
	if err != nil {
		return ""
	}
	if c, ok := reg.Comune(code); ok {
		return "Comune di " + c.Name
	}
	return ""
}
