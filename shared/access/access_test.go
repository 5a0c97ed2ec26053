package access

import (
	"testing"

	"sportello/shared/auth"
	"sportello/shared/problem"
)

func TestPolicy(t *testing.T) {
	applicant := &auth.Principal{Subject: "u", Role: auth.RoleApplicant, Orgs: []string{"comune:001272"}}
	piemonte := &auth.Principal{Subject: "o", Role: auth.RoleOfficer, Region: "PIE"}
	lombardia := &auth.Principal{Subject: "o", Role: auth.RoleOfficer, Region: "LOM"}
	cases := []struct {
		name string
		err  error
		want string // "" allowed
	}{
		{"an applicant sees every call (calls are public acts)", SeeCall(applicant, "LOM"), ""},
		{"an officer sees the region's calls", SeeCall(piemonte, "PIE"), ""},
		{"another region's call answers 404 to an officer", SeeCall(lombardia, "PIE"), problem.CodeNotFound},
		{"an applicant may not manage a call", ManageCall(applicant, "PIE"), problem.CodeForbidden},
		{"an officer manages the region's calls", ManageCall(piemonte, "PIE"), ""},
		{"another region's officer does not find the call to manage", ManageCall(lombardia, "PIE"), problem.CodeNotFound},
		{"the org sees its application", SeeApplication(applicant, "comune:001272", "PIE"), ""},
		{"another org's application answers 404", SeeApplication(applicant, "comune:001273", "PIE"), problem.CodeNotFound},
		{"the region's officer sees an application", SeeApplication(piemonte, "comune:001272", "PIE"), ""},
		{"another region's application answers 404 to an officer", SeeApplication(lombardia, "comune:001272", "PIE"), problem.CodeNotFound},
		{"another region's document answers 404", SeeDocument(lombardia, "comune:001272", "PIE"), problem.CodeNotFound},
		{"only the org changes its application", ActFor(piemonte, "comune:001272", "no"), problem.CodeForbidden},
		{"the org acts for itself", ActFor(applicant, "comune:001272", "no"), ""},
		{"only the region's officers review", Review(lombardia, "PIE", "no"), problem.CodeForbidden},
		{"the region's officer reviews", Review(piemonte, "PIE", "no"), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ""
			if c.err != nil {
				got = problem.CodeOf(c.err)
			}
			if got != c.want {
				t.Fatalf("got %q (%v), want %q", got, c.err, c.want)
			}
		})
	}
}
