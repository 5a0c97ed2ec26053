package stack

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

func context(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name    string
		ctx     func(string) string
		want    Config
		wantErr string
	}{
		{name: "no context is a dev stack on localhost with the placeholder sender",
			ctx:  context(),
			want: Config{Stage: "dev", AllowedOrigins: []string{"http://localhost:8080"}, SenderAddress: "noreply@sportello.example.it", AssetRoot: "build"}},
		{name: "prod takes its origins, sender, identity and alarm address from context",
			ctx: context(CtxStage, "prod", CtxAllowedOrigins, " https://Sportello.Regione.example.it , https://backoffice.regione.example.it:8443 ",
				CtxSenderAddress, "noreply@regione.example.it", CtxSenderIdentity, "arn:aws:ses:eu-south-1:123456789012:identity/regione.example.it",
				CtxAlarmEmail, "oncall@regione.example.it", CtxAssetRoot, "/tmp/assets"),
			want: Config{Stage: "prod", AllowedOrigins: []string{"https://sportello.regione.example.it", "https://backoffice.regione.example.it:8443"},
				SenderAddress: "noreply@regione.example.it", SenderIdentity: "arn:aws:ses:eu-south-1:123456789012:identity/regione.example.it",
				AlarmEmail: "oncall@regione.example.it", AssetRoot: "/tmp/assets", Reserved: ProdReserved}},
		{name: "prod without origins is refused: no placeholder reaches production",
			ctx: context(CtxStage, "prod", CtxSenderAddress, "noreply@regione.example.it"), wantErr: "allowedOrigins: no origin given"},
		{name: "prod without sender is refused",
			ctx: context(CtxStage, "prod", CtxAllowedOrigins, "https://sportello.regione.example.it"), wantErr: "senderAddress: an e-mail address is required"},
		{name: "an unknown stage is refused", ctx: context(CtxStage, "staging"), wantErr: "must be dev or prod"},
		{name: "a wildcard origin is refused", ctx: context(CtxAllowedOrigins, "*"), wantErr: "not an origin"},
		{name: "plain http is refused in prod even for localhost",
			ctx:     context(CtxStage, "prod", CtxAllowedOrigins, "http://localhost:8080", CtxSenderAddress, "a@b.it"),
			wantErr: "must use https"},
		{name: "plain http to a real host is refused in dev", ctx: context(CtxAllowedOrigins, "http://sportello.example.it"), wantErr: "must use https"},
		{name: "an origin with an empty port is refused", ctx: context(CtxAllowedOrigins, "https://sportello.example.it:"), wantErr: "invalid port"},
		{name: "an origin with an impossible port is refused", ctx: context(CtxAllowedOrigins, "https://sportello.example.it:99999"), wantErr: "invalid port"},
		{name: "an origin with a path is refused", ctx: context(CtxAllowedOrigins, "https://sportello.example.it/app"), wantErr: "not an origin"},
		{name: "a sender with a display name is refused", ctx: context(CtxSenderAddress, "Sportello <noreply@example.it>"), wantErr: "not a bare e-mail address"},
		{name: "a sender without a dotted domain is refused", ctx: context(CtxSenderAddress, "noreply@localhost"), wantErr: "no domain SES can verify"},
		{name: "a sender identity that is not an SES identity ARN is refused",
			ctx: context(CtxSenderIdentity, "arn:aws:ses:eu-south-1:123456789012:identity/*"), wantErr: "not an SES identity ARN"},
		{name: "dev reserves no concurrency: a new account's quota of 10 can deploy it",
			ctx:  context(),
			want: Config{Stage: "dev", AllowedOrigins: []string{"http://localhost:8080"}, SenderAddress: "noreply@sportello.example.it", AssetRoot: "build"}},
		{name: "prod reserves 312 by default, within the default quota of 1000",
			ctx: context(CtxStage, "prod", CtxAllowedOrigins, "https://s.regione.example.it", CtxSenderAddress, "noreply@regione.example.it"),
			want: Config{Stage: "prod", AllowedOrigins: []string{"https://s.regione.example.it"}, SenderAddress: "noreply@regione.example.it",
				AssetRoot: "build", Reserved: ProdReserved}},
		{name: "prod on an account with a quota of 411 is refused before synth: 312 reserved + 100 unreserved = 412",
			ctx:     context(CtxStage, "prod", CtxAllowedOrigins, "https://s.regione.example.it", CtxSenderAddress, "noreply@regione.example.it", CtxQuota, "411"),
			wantErr: "needs a Lambda concurrency quota of at least 412"},
		{name: "prod on an account with a quota of exactly 412 is accepted",
			ctx: context(CtxStage, "prod", CtxAllowedOrigins, "https://s.regione.example.it", CtxSenderAddress, "noreply@regione.example.it", CtxQuota, "412"),
			want: Config{Stage: "prod", AllowedOrigins: []string{"https://s.regione.example.it"}, SenderAddress: "noreply@regione.example.it",
				AssetRoot: "build", Reserved: ProdReserved}},
		{name: "reservations from context replace the stage's default",
			ctx: context(CtxReserved, "submissions=50, windows=1", CtxQuota, "200"),
			want: Config{Stage: "dev", AllowedOrigins: []string{"http://localhost:8080"}, SenderAddress: "noreply@sportello.example.it", AssetRoot: "build",
				Reserved: map[string]int{"submissions": 50, "windows": 1}}},
		{name: "prod may reserve none", ctx: context(CtxStage, "prod", CtxAllowedOrigins, "https://s.regione.example.it", CtxSenderAddress, "noreply@regione.example.it", CtxReserved, "none", CtxQuota, "10"),
			want: Config{Stage: "prod", AllowedOrigins: []string{"https://s.regione.example.it"}, SenderAddress: "noreply@regione.example.it", AssetRoot: "build"}},
		{name: "a reservation for an unknown function is refused", ctx: context(CtxReserved, "billing=5"), wantErr: "not a function of the stack"},
		{name: "a reservation of zero is refused (leave the function out)", ctx: context(CtxReserved, "calls=0"), wantErr: "whole number from 1 to 10000"},
		{name: "a quota that is not a number is refused", ctx: context(CtxQuota, "lots"), wantErr: "not a Lambda concurrency quota"},
		{name: "every error is reported at once",
			ctx: context(CtxStage, "prod"), wantErr: "allowedOrigins: no origin given: pass -c allowedOrigins=https://…\ncontext senderAddress"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig(c.ctx)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Stage != c.want.Stage || !slices.Equal(got.AllowedOrigins, c.want.AllowedOrigins) || got.SenderAddress != c.want.SenderAddress ||
				got.SenderIdentity != c.want.SenderIdentity || got.AlarmEmail != c.want.AlarmEmail || got.AssetRoot != c.want.AssetRoot ||
				!maps.Equal(got.Reserved, c.want.Reserved) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestContextValuesAreStringsOrListsOfStrings(t *testing.T) {
	cases := map[string]struct {
		in   any
		want string
	}{
		"a -c value is taken as is":           {"https://a.it,https://b.it", "https://a.it,https://b.it"},
		"a cdk.json list is joined by commas": {[]any{"https://a.it", "https://b.it"}, "https://a.it,https://b.it"},
		"an unset key is empty":               {nil, ""},
		"a number is not a value":             {float64(3), ""},
	}
	for name, c := range cases {
		if got := contextString(c.in); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}

func TestSenderDomainIsTheIdentitySESVerifies(t *testing.T) {
	if d := senderDomain("noreply@Regione.Example.IT"); d != "regione.example.it" {
		t.Errorf("domain %q", d)
	}
}

// FuzzParseOrigins: whatever the context holds, an accepted origin is a
// bare https (or, outside prod, loopback http) origin, never a wildcard.
func FuzzParseOrigins(f *testing.F) {
	for _, s := range []string{"https://a.example.it", "http://localhost:8080,https://b.it", "*", "https://*.example.it",
		"https://a.it/path", "https://user@a.it", "HTTPS://A.IT:443", ",,", "http://[::1]:3000", "https://a.it?x=1", "javascript:alert(1)"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, list string, prod bool) {
		origins, err := ParseOrigins(list, prod)
		if err != nil {
			return
		}
		if len(origins) == 0 {
			t.Fatal("accepted an empty list")
		}
		for _, o := range origins {
			scheme, rest, ok := strings.Cut(o, "://")
			if !ok || rest == "" || strings.ContainsAny(rest, "/*?#@ ") || strings.HasSuffix(rest, ":") {
				t.Fatalf("accepted %q as an origin", o)
			}
			if scheme != "https" && (scheme != "http" || prod) {
				t.Fatalf("accepted %q (prod %v)", o, prod)
			}
			again, err := ParseOrigins(o, prod)
			if err != nil || len(again) != 1 || again[0] != o {
				t.Fatalf("%q does not parse back to itself: %v %v", o, again, err)
			}
		}
	})
}

func TestSignInURLsAndFederationFromContext(t *testing.T) {
	prod := func(kv ...string) func(string) string {
		return context(append([]string{CtxStage, "prod", CtxAllowedOrigins, "https://s.regione.example.it", CtxSenderAddress, "noreply@regione.example.it"}, kv...)...)
	}
	cases := []struct {
		name      string
		ctx       func(string) string
		callbacks []string
		wantErr   string
	}{
		{name: "by default each origin's /auth/callback", ctx: prod(), callbacks: []string{"https://s.regione.example.it/auth/callback"}},
		{name: "given ones replace the default", ctx: prod(CtxCallbackURLs, "https://s.regione.example.it/login, https://b.regione.example.it/login"),
			callbacks: []string{"https://s.regione.example.it/login", "https://b.regione.example.it/login"}},
		{name: "plain http is refused in prod", ctx: prod(CtxCallbackURLs, "http://localhost:8080/cb"), wantErr: "must use https"},
		{name: "a fragment is refused", ctx: prod(CtxCallbackURLs, "https://s.regione.example.it/#cb"), wantErr: "without fragment"},
		{name: "federation metadata must be https", ctx: prod(CtxFederationURL, "http://idp.example.it/md"), wantErr: "not an https URL"},
		{name: "a domain prefix with upper case is refused", ctx: prod(CtxAuthDomain, "Sportello"), wantErr: "not a Cognito domain prefix"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseConfig(c.ctx)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.CallbackURLs, c.callbacks) {
				t.Errorf("callbacks %v, want %v", got.CallbackURLs, c.callbacks)
			}
		})
	}
}
