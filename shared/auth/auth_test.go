package auth

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sportello/shared/problem"
)

func TestParseOrgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"API Gateway flattens arrays with brackets and spaces", "[comune:001272 comune:015146]", "comune:001272,comune:015146"},
		{"a JSON array is accepted", `["gestore:01234567890"]`, "gestore:01234567890"},
		{"a comma list is accepted", "comune:001272,comune:015146", "comune:001272,comune:015146"},
		{"malformed entries are dropped", "[comune:12 comune:001272 admin]", "comune:001272"},
		{"empty gives none", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(ParseOrgs(tt.in), ","); got != tt.want {
				t.Fatalf("got %q want %q", got, tt.want)
			}
		})
	}
}

// regions stand for the catalog's (the program packages own them).
var regions = Regions{"LOM": "Lombardia"}

func TestFromClaims(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]string
		code   string
	}{
		{"an applicant with orgs is accepted", map[string]string{"sub": "u", "role": "applicant", "orgs": "[comune:001272]"}, ""},
		{"Cognito custom attributes are accepted", map[string]string{"sub": "u", "custom:role": "officer", "custom:region": "LOM"}, ""},
		{"no subject is unauthorized", map[string]string{"role": "officer", "region": "LOM"}, problem.CodeUnauthorized},
		{"an applicant without orgs is forbidden", map[string]string{"sub": "u", "role": "applicant"}, problem.CodeForbidden},
		{"an officer of an unknown region is forbidden", map[string]string{"sub": "u", "role": "officer", "region": "XXX"}, problem.CodeForbidden},
		{"an unknown role is forbidden", map[string]string{"sub": "u", "role": "admin"}, problem.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromClaims(tt.claims, regions)
			got := ""
			if err != nil {
				got = problem.CodeOf(err)
			}
			if got != tt.code {
				t.Fatalf("got %q want %q", got, tt.code)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	key, _ := GenerateKey()
	now := time.Date(2026, 5, 18, 10, 0, 0, 0, time.UTC)
	k := NewKeys(key, func() time.Time { return now })
	p := Principal{Subject: "clerk", Role: RoleApplicant, Orgs: []string{"comune:001272"}}
	good, err := k.Issue(p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := k.Verify(good)
	if err != nil || c["orgs"] != "[comune:001272]" {
		t.Fatalf("good token: %v %v", c, err)
	}
	back, err := FromClaims(c, regions)
	if err != nil || !back.ActsFor("comune:001272") {
		t.Fatalf("round trip: %+v %v", back, err)
	}

	other, _ := GenerateKey()
	forged, _ := NewKeys(other, k.now).Issue(p, time.Hour)
	expired, _ := NewKeys(key, func() time.Time { return now.Add(-2 * time.Hour) }).Issue(p, time.Hour)
	wrongIss := &Keys{key: key, issuer: "evil", audience: LocalAudience, now: k.now}
	badIss, _ := wrongIss.Issue(p, time.Hour)
	wrongAud := &Keys{key: key, issuer: LocalIssuer, audience: "other", now: k.now}
	badAud, _ := wrongAud.Issue(p, time.Hour)
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x", "role": "officer", "region": "LOM",
		"iss": LocalIssuer, "aud": LocalAudience, "exp": now.Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "001272", "001273", 1))) + "." + parts[2]

	for name, tok := range map[string]string{
		"a token signed by another key is refused": forged,
		"an expired token is refused":              expired,
		"a wrong issuer is refused":                badIss,
		"a wrong audience is refused":              badAud,
		"alg none is refused":                      none,
		"a tampered payload is refused":            tampered,
		"garbage is refused":                       "not.a.token",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := k.Verify(tok); problem.CodeOf(err) != problem.CodeUnauthorized {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func FuzzParseOrgs(f *testing.F) {
	for _, s := range []string{"[comune:001272 comune:015146]", `["gestore:01234567890"]`, "[", `["a"`, "comune:1,gestore:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, o := range ParseOrgs(s) {
			if !ValidOrg(o) {
				t.Fatalf("%q kept invalid org %q", s, o)
			}
		}
	})
}
