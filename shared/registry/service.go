package registry

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sportello/shared/access"
	"sportello/shared/audit"
	"sportello/shared/auth"
	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// Kinds of list an officer imports into a call.
const (
	KindPreloaded = "preloaded" // Piemonte: services pre-loaded per Comune
	KindFacility  = "facility"  // Lombardy: AFAM_UDOS facilities
)

// Store is what imports need from storage.
type Store interface {
	Call(ctx context.Context, id string) (call.Call, error)
	ImportPreloaded(ctx context.Context, callID string, rows []program.PreloadedService) error
	ImportFacilities(ctx context.Context, callID string, rows []program.Facility) error
	Audit(ctx context.Context, e audit.Entry) error
}

// Source gives a call's registry; Forget drops what it keeps of one call
// so an import is seen at once by this process.
type Source interface {
	Registry(ctx context.Context, callID string) (program.Registry, error)
	Forget(callID string)
}

// Service imports officers' lists into a call.
type Service struct {
	Store  Store
	Source Source // nil: nothing cached
	Clock  clock.Clock
}

// Import loads an officer's CSV of kind into a call: every row valid, or
// nothing imported. It answers the number of rows imported.
func (s *Service) Import(ctx context.Context, p *auth.Principal, callID, kind string, csv io.Reader) (int, error) {
	c, err := s.Store.Call(ctx, callID)
	if err != nil {
		return 0, err
	}
	if err := access.ManageCall(p, c.Region); err != nil {
		return 0, err
	}
	var n int
	switch kind {
	case KindPreloaded:
		rows, err := ReadPreloaded(csv)
		if err != nil {
			return 0, err
		}
		n = len(rows)
		if err := s.Store.ImportPreloaded(ctx, c.ID, rows); err != nil {
			return 0, err
		}
	case KindFacility:
		rows, err := ReadFacilities(csv)
		if err != nil {
			return 0, err
		}
		n = len(rows)
		if err := s.Store.ImportFacilities(ctx, c.ID, rows); err != nil {
			return 0, err
		}
	default:
		return 0, &problem.Error{Code: problem.CodeValidation, Detail: "Tipo di elenco non indicato.",
			Fields: []problem.FieldError{{Field: "kind", Code: problem.FieldInvalid, Message: "Usare ?kind=preloaded o ?kind=facility."}}}
	}
	if s.Source != nil {
		s.Source.Forget(c.ID)
	}
	if err := s.Store.Audit(ctx, audit.Entry{CallID: c.ID, At: s.Clock.Now(), Actor: p.Subject, Action: "registry.imported",
		Detail: map[string]string{"kind": kind, "rows": strconv.Itoa(n)}}); err != nil {
		return n, err
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
	out := reg.Preloaded(istat)
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
