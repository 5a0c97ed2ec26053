package web

import (
	"context"
	"io/fs"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sportello/shared/apigw"
	"sportello/shared/problem"
)

func get(t *testing.T, cfg Config, key, asset string) (*apigw.Response, error) {
	t.Helper()
	hs, err := Handlers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return hs[key](context.Background(), &apigw.Request{Method: "GET", Params: map[string]string{"asset": asset}})
}

// Every file the page or a module names (href, src, import, url()) is one
// the web function serves, so a page cannot ship pointing at nothing.
func TestEveryReferencedFileIsServed(t *testing.T) {
	ref := regexp.MustCompile(`(?:href|src)="/web/([^"]+)"|from '\./([^']+)'|import '\./([^']+)'|url\("/web/([^"]+)"\)|import\('\./([^']+)'\)`)
	served := Files()
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			name := strings.Join(m[1:], "")
			if !slices.Contains(served, name) {
				t.Errorf("%s names %s, which is not served", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range served {
		if strings.Contains(name, "/") || strings.Contains(name, "axe") {
			t.Errorf("served %s: one flat name per file, and the test-only axe-core never", name)
		}
	}
}

// The page, its files and its settings carry the strict policy; an unknown
// name is 404; the settings say how to sign in.
func TestPolicyAndSettings(t *testing.T) {
	cfg := Config{SignIn: "cognito", AuthBase: "https://sportello.auth.eu-south-1.amazoncognito.com", ClientID: "abc",
		Connect: []string{"https://docs.s3.eu-south-1.amazonaws.com", "https://sportello.auth.eu-south-1.amazoncognito.com"}}
	resp, err := get(t, cfg, "GET /", "")
	if err != nil || resp.Status != http.StatusOK || !strings.Contains(string(resp.Body), `<html lang="it">`) {
		t.Fatalf("page: %v %v", resp, err)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "style-src 'self';", "frame-ancestors 'none'", "form-action 'none'", "base-uri 'none'",
		"connect-src 'self' https://docs.s3.eu-south-1.amazonaws.com https://sportello.auth.eu-south-1.amazoncognito.com;"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || resp.Header.Get("Strict-Transport-Security") == "" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers %v", resp.Header)
	}
	resp, err = get(t, cfg, "GET /web/{asset}", "config.json")
	if err != nil || string(resp.Body) != `{"authBase":"https://sportello.auth.eu-south-1.amazoncognito.com","clientId":"abc","regions":null,"signIn":"cognito"}` {
		t.Errorf("settings %s %v", resp.Body, err)
	}
	resp, err = get(t, cfg, "GET /web/{asset}", "titillium-web-400.woff2")
	if err != nil || !resp.Binary || resp.Header.Get("Content-Type") != "font/woff2" {
		t.Errorf("font: %v %v", resp, err)
	}
	for _, name := range []string{"index.html", "axe.min.js", "../web.go", "web.go"} {
		if _, err := get(t, cfg, "GET /web/{asset}", name); problem.CodeOf(err) != problem.CodeNotFound {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
}

// A connect origin that would widen the policy is refused at startup.
func TestConnectOriginsAreOrigins(t *testing.T) {
	for _, bad := range []string{"*", "https://*.amazonaws.com", "https://a.example 'unsafe-inline'", "https://a.example/path", "ftp://a.example", "a.example"} {
		if _, err := Handlers(Config{SignIn: "dev", Connect: []string{bad}}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := Handlers(Config{SignIn: "implicit"}); err == nil {
		t.Error("an unknown sign-in accepted")
	}
}

// The pages name Regions only from the catalog the function was given:
// none is written into a page, so a new Region's program changes no page.
func TestRegionsComeFromTheConfigNotThePages(t *testing.T) {
	cfg := Config{SignIn: "dev", Regions: map[string]string{"XYZ": "Prova"}}
	resp, err := get(t, cfg, "GET /web/{asset}", "config.json")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(resp.Body), `"regions":{"XYZ":"Prova"}`) {
		t.Errorf("config.json does not carry the regions: %s", resp.Body)
	}
	err = fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(path)
		if err != nil {
			return err
		}
		// Codes only: a program's own public page (Lombardy's calculator)
		// and the demo organisations may say where they are.
		for _, code := range []string{"'LOM'", "'PIE'", "'FVG'", "LOM:", "PIE:", "FVG:", "Regione Autonoma"} {
			if strings.Contains(string(b), code) {
				t.Errorf("%s names a Region (%s): take it from config.regions", path, code)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
