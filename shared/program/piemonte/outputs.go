package piemonte

import "fmt"

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
