package stack

import (
	"slices"
	"strings"
	"testing"
)

func TestCognitoSignInIsCodeWithPKCEBackToTheStageOnly(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		_, client := s.only(t, "AWS::Cognito::UserPoolClient")
		p := props(client)
		if got := strs(p["AllowedOAuthFlows"]); !slices.Equal(got, []string{"code"}) || p["AllowedOAuthFlowsUserPoolClient"] != true {
			t.Errorf("%s OAuth flows %v: authorization code only (no implicit, no client credentials)", st, got)
		}
		if p["GenerateSecret"] != false {
			t.Errorf("%s: a browser client must have no secret (PKCE protects the code)", st)
		}
		scopes := strs(p["AllowedOAuthScopes"])
		slices.Sort(scopes)
		if !slices.Equal(scopes, []string{"email", "openid", "profile"}) {
			t.Errorf("%s scopes %v: OpenID scopes only, never aws.cognito.signin.user.admin", st, scopes)
		}
		callbacks, logouts := strs(p["CallbackURLs"]), strs(p["LogoutURLs"])
		if !slices.Equal(callbacks, s.cfg.CallbackURLs) || !slices.Equal(logouts, s.cfg.LogoutURLs) || len(callbacks) != len(s.cfg.AllowedOrigins) {
			t.Errorf("%s callbacks %v logouts %v, want %v %v", st, callbacks, logouts, s.cfg.CallbackURLs, s.cfg.LogoutURLs)
		}
		for _, u := range append(callbacks, logouts...) {
			if strings.Contains(u, "example.com") || !strings.HasPrefix(u, "https://") {
				t.Errorf("%s: return URL %s is not one of the stage's pages", st, u)
			}
		}
		providers := strs(p["SupportedIdentityProviders"])
		idps := s.resources("AWS::Cognito::UserPoolIdentityProvider")
		switch st {
		case "dev":
			if !slices.Equal(providers, []string{"COGNITO"}) || len(idps) != 0 {
				t.Errorf("dev providers %v, %d federated: none configured", providers, len(idps))
			}
		case "prod":
			if !slices.Equal(providers, []string{"COGNITO", "SPID-CIE"}) || len(idps) != 1 {
				t.Errorf("prod providers %v, %d federated: SPID-CIE from context", providers, len(idps))
			}
			for _, idp := range idps {
				ip := props(idp)
				if ip["ProviderType"] != "SAML" || ip["ProviderName"] != "SPID-CIE" ||
					ip["ProviderDetails"].(map[string]any)["MetadataURL"] != testFederationMetadata {
					t.Errorf("prod federation %s", jsonOf(ip))
				}
			}
			if len(s.resources("AWS::Cognito::UserPoolDomain")) != 1 {
				t.Errorf("prod: no hosted sign-in domain although authDomainPrefix is set")
			}
		}
	}
}

func TestCognitoMailsInItalianThroughSESWithPasswordHistoryAndKeepOriginal(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		_, pool := s.only(t, "AWS::Cognito::UserPool")
		p := props(pool)
		email := p["EmailConfiguration"].(map[string]any)
		if email["EmailSendingAccount"] != "DEVELOPER" || !strings.Contains(jsonOf(email["SourceArn"]), "identity/regione.example.it") ||
			!strings.Contains(email["From"].(string), s.cfg.SenderAddress) {
			t.Errorf("%s: pool e-mail %s, want SES (DEVELOPER) from %s", st, jsonOf(email), s.cfg.SenderAddress)
		}
		invite := p["AdminCreateUserConfig"].(map[string]any)["InviteMessageTemplate"].(map[string]any)
		if invite["EmailSubject"] != InvitationSubject || !strings.Contains(invite["EmailMessage"].(string), "{username}") ||
			!strings.Contains(invite["EmailMessage"].(string), "{####}") || !strings.Contains(invite["EmailMessage"].(string), "Password temporanea") {
			t.Errorf("%s invitation %s", st, jsonOf(invite))
		}
		verify := p["VerificationMessageTemplate"].(map[string]any)
		if verify["EmailSubject"] != VerificationSubject || verify["DefaultEmailOption"] != "CONFIRM_WITH_CODE" || !strings.Contains(verify["EmailMessage"].(string), "{####}") {
			t.Errorf("%s verification %s", st, jsonOf(verify))
		}
		policy := p["Policies"].(map[string]any)["PasswordPolicy"].(map[string]any)
		if policy["PasswordHistorySize"] != float64(5) {
			t.Errorf("%s password history %v", st, policy["PasswordHistorySize"])
		}
		keep := jsonOf(p["UserAttributeUpdateSettings"])
		if keep != `{"AttributesRequireVerificationBeforeUpdate":["email"]}` {
			t.Errorf("%s e-mail change: %s, want keepOriginal on email", st, keep)
		}
	}
}

// The web function tells the pages the stage's app client and hosted UI
// (code + PKCE in the browser) and the documents bucket's origin, which its
// Content-Security-Policy lets the pre-signed uploads reach.
func TestWebFunctionKnowsTheClientTheHostedUIAndTheBucket(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		clientID, _ := s.only(t, "AWS::Cognito::UserPoolClient")
		var bucketID string
		for id, b := range s.resources("AWS::S3::Bucket") {
			if _, cors := props(b)["CorsConfiguration"]; cors {
				bucketID = id
			}
		}
		_, fn := s.function(t, "web")
		vars := props(fn)["Environment"].(map[string]any)["Variables"].(map[string]any)
		if got := jsonOf(vars["SPORTELLO_WEB_CLIENT_ID"]); got != jsonOf(ref(clientID)) {
			t.Errorf("%s: client id %s", st, got)
		}
		if got := jsonOf(vars["SPORTELLO_WEB_CONNECT"]); !strings.Contains(got, bucketID) || !strings.Contains(got, "RegionalDomainName") {
			t.Errorf("%s: connect %s, want the documents bucket's regional origin", st, got)
		}
		base := jsonOf(vars["SPORTELLO_WEB_AUTH_BASE"])
		if (s.cfg.AuthDomainPrefix == "") != (base == `""`) {
			t.Errorf("%s: auth base %s with domain prefix %q", st, base, s.cfg.AuthDomainPrefix)
		}
	}
}
