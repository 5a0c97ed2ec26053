package piemonte

import (
	"fmt"

	"sportello/shared/program"
)

// Applicant: the Comune is known by its ISTAT code (the org); the scheda
// carries no name or fiscal code of its own.
func (f *Form) Applicant() (name, fiscalCode string) { return "", "" }

// Covers lists the services of the scheda.
func (f *Form) Covers() []string {
	out := make([]string, len(f.Services))
	for i, s := range f.Services {
		id := s.ID
		if id == "" {
			id = "nuovo"
		}
		out[i] = fmt.Sprintf("%s %s", id, s.Name)
	}
	return out
}

// statusNames are the seed's words for a service's state.
var statusNames = map[string]string{Active: "attivo", Ceased: "cessato", Suspended: "sospeso", NotReached: "non raggiunto"}

// RegisteredServices lists the scheda's services for the registry.
func (f *Form) RegisteredServices() []program.RegisteredService {
	out := make([]program.RegisteredService, len(f.Services))
	for i, s := range f.Services {
		typ := ServiceTypes[s.Type]
		if typ == "" {
			typ = s.Type
		}
		r := program.RegisteredService{ID: s.ID, Name: s.Name, Type: typ, Address: s.Address, Operator: s.Operator, Places: s.Places,
			Status: statusNames[s.Status], Reason: s.Reason}
		switch s.Status {
		case Ceased:
			r.Act, r.ActDate = s.CeasedAct, s.CeasedOn
		default:
			r.Act, r.ActDate = s.AuthorisationAct, s.AuthorisedOn
		}
		if s.Status == Active && s.AverageAttendance.Set {
			r.AverageAttendance = s.AverageAttendance.String()
			if s.AveragingPeriod != nil {
				r.From, r.To = s.AveragingPeriod.From, s.AveragingPeriod.To
			}
		}
		out[i] = r
	}
	return out
}
