// Package auth holds who is calling (a Principal built from verified JWT
// claims) and what they may touch. In the cloud the API Gateway JWT
// authorizer verifies tokens and hands the claims to the functions; the local
// runtime verifies its own tokens with Keys.Verify, the same checks, and
// hands on the same claims.
package auth

import (
	"encoding/json"
	"strings"

	"sportello/shared/problem"
)

// Roles.
const (
	RoleApplicant = "applicant"
	RoleOfficer   = "officer"
)

// Regions are the Regions a deployment serves, code → name: those of its
// programs (program.Programs.Regions), never a list of its own. An
// officer's region claim must be one of them.
type Regions map[string]string

// Principal is the authenticated caller.
type Principal struct {
	Subject string
	Role    string
	Orgs    []string // applicant: "comune:<ISTAT>", "gestore:<CF>"
	Region  string   // officer: a Region code of the catalog, e.g. PIE
}

// IsOfficer reports whether p is an officer.
func (p Principal) IsOfficer() bool { return p.Role == RoleOfficer }

// ActsFor reports whether an applicant may act for org.
func (p Principal) ActsFor(org string) bool {
	if p.Role != RoleApplicant {
		return false
	}
	for _, o := range p.Orgs {
		if o == org {
			return true
		}
	}
	return false
}

// OfficerOf reports whether p is an officer of region.
func (p Principal) OfficerOf(region string) bool { return p.Role == RoleOfficer && p.Region == region }

// FromClaims builds a Principal from the string claims API Gateway passes
// on (requestContext.authorizer.jwt.claims). Cognito custom attributes come
// as "custom:role" etc.; arrays come flattened as "[a b]". Both spellings
// are accepted. Anything inconsistent is unauthorized; an officer of a
// Region not among regions is forbidden.
func FromClaims(claims map[string]string, regions Regions) (Principal, error) {
	get := func(k string) string {
		if v, ok := claims[k]; ok {
			return strings.TrimSpace(v)
		}
		return strings.TrimSpace(claims["custom:"+k])
	}
	p := Principal{Subject: get("sub"), Role: get("role"), Region: get("region"), Orgs: ParseOrgs(get("orgs"))}
	if p.Subject == "" {
		return Principal{}, problem.New(problem.CodeUnauthorized, "Credenziali mancanti o non valide.")
	}
	switch p.Role {
	case RoleApplicant:
		if len(p.Orgs) == 0 {
			return Principal{}, problem.New(problem.CodeForbidden, "L'utenza non è abilitata ad alcun ente.")
		}
		p.Region = ""
	case RoleOfficer:
		if _, ok := regions[p.Region]; !ok {
			return Principal{}, problem.New(problem.CodeForbidden, "L'utenza regionale non indica una Regione valida.")
		}
		p.Orgs = nil
	default:
		return Principal{}, problem.New(problem.CodeForbidden, "Ruolo non riconosciuto.")
	}
	return p, nil
}

// ParseOrgs reads an orgs claim in any of the shapes it arrives in: a JSON
// array, API Gateway's flattened "[a b]", or a space/comma separated list.
// Entries that are not well-formed org ids are dropped.
func ParseOrgs(s string) []string {
	s = strings.TrimSpace(s)
	var list []string
	if strings.HasPrefix(s, "[\"") {
		if json.Unmarshal([]byte(s), &list) != nil {
			return nil
		}
	} else {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		list = strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
	}
	out := list[:0]
	for _, o := range list {
		if ValidOrg(o) {
			out = append(out, o)
		}
	}
	return out
}

// ValidOrg checks the shape of an org id: "comune:" + 6 digits, or
// "gestore:" + 11 digits or 16 alphanumerics (codice fiscale / P. IVA).
func ValidOrg(o string) bool {
	kind, id, ok := strings.Cut(o, ":")
	if !ok {
		return false
	}
	switch kind {
	case "comune":
		return len(id) == 6 && allIn(id, "0123456789")
	case "gestore":
		return (len(id) == 11 && allIn(id, "0123456789")) ||
			(len(id) == 16 && allIn(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
	}
	return false
}

func allIn(s, set string) bool {
	for _, r := range s {
		if !strings.ContainsRune(set, r) {
			return false
		}
	}
	return true
}
