// Package access is the one authorisation policy of calls and
// applications: the services ask it, no handler decides on its own.
//
// The rules (README "Visibility"):
//   - calls are public acts: every authenticated applicant sees every call;
//     an officer sees only the calls of the region;
//   - another region's call, and an application of another org or of
//     another region, answers 404: an id reveals nothing about what exists;
//   - only officers manage calls (create, proroga, registries, riparto,
//     audit trail, review) and only in their region;
//   - only the org itself drafts, edits, files and uploads for its
//     application.
package access

import (
	"sportello/shared/auth"
	"sportello/shared/problem"
)

// Answers shared by every service, so that "not found" reads the same
// whatever the reason.
var (
	ErrCallNotFound        = problem.New(problem.CodeNotFound, "Bando non trovato.")
	ErrApplicationNotFound = problem.New(problem.CodeNotFound, "Domanda non trovata.")
	ErrDocumentNotFound    = problem.New(problem.CodeNotFound, "Documento non trovato.")
	errOfficersOnly        = problem.New(problem.CodeForbidden, "Operazione riservata ai funzionari regionali.")
)

// SeesCall reports whether p may see a call of region (listings filter
// with it).
func SeesCall(p *auth.Principal, region string) bool {
	return !p.IsOfficer() || p.Region == region
}

// SeeCall lets p read a call of region: another region's call is not
// found.
func SeeCall(p *auth.Principal, region string) error {
	if !SeesCall(p, region) {
		return ErrCallNotFound
	}
	return nil
}

// Officer lets only officers through (creating a call, before its region
// is known).
func Officer(p *auth.Principal) error {
	if !p.IsOfficer() {
		return errOfficersOnly
	}
	return nil
}

// ManageCall lets an officer of region act on one of its calls: an
// applicant is forbidden, an officer of another region does not find it.
func ManageCall(p *auth.Principal, region string) error {
	if err := Officer(p); err != nil {
		return err
	}
	return SeeCall(p, region)
}

// SeeApplication lets p read an application of org in region: the org's
// own users and the region's officers; anyone else does not find it.
func SeeApplication(p *auth.Principal, org, region string) error {
	if p.ActsFor(org) || p.OfficerOf(region) {
		return nil
	}
	return ErrApplicationNotFound
}

// SeeDocument is SeeApplication for a document (its own not-found answer).
func SeeDocument(p *auth.Principal, org, region string) error {
	if SeeApplication(p, org, region) != nil {
		return ErrDocumentNotFound
	}
	return nil
}

// ActFor lets only the org's own users change its application; detail
// says what was refused ("Solo l'ente può modificare la propria domanda.").
func ActFor(p *auth.Principal, org, detail string) error {
	if !p.ActsFor(org) {
		return problem.New(problem.CodeForbidden, "%s", detail)
	}
	return nil
}

// Review lets only the region's officers decide on an application of
// region.
func Review(p *auth.Principal, region, detail string) error {
	if !p.OfficerOf(region) {
		return problem.New(problem.CodeForbidden, "%s", detail)
	}
	return nil
}
