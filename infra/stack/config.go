package stack

import (
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// Config is one stage's configuration, read from CDK context (cdk.json or
// `cdk … -c key=value`).
type Config struct {
	Stage          string   // dev | prod
	AllowedOrigins []string // browser origins: CORS of the API and of the documents bucket
	SenderAddress  string   // From: of the filing receipts
	// SenderIdentity is the SES identity ARN receipts are sent through.
	// Empty means the domain identity of SenderAddress in the stack's own
	// account and region.
	SenderIdentity string
	AlarmEmail     string // optional: subscribed to the alarm topic
	AssetRoot      string // where `make build` puts <fn>/bootstrap
	// Reserved is each function's reserved concurrency; a function absent
	// from it reserves none (dev: none at all).
	Reserved map[string]int
	// ConcurrencyQuota is the account's Lambda "Concurrent executions"
	// quota in the target region; the reservations must leave Lambda's 100
	// unreserved executions beside them.
	ConcurrencyQuota int
	// Sign-in (Cognito hosted UI, authorization code + PKCE): where
	// Cognito may send the browser back after sign-in and sign-out.
	CallbackURLs, LogoutURLs []string
	// AuthDomainPrefix is the hosted UI's domain prefix
	// (<prefix>.auth.<region>.amazoncognito.com); empty: no hosted domain.
	AuthDomainPrefix string
	// Federation: the SAML metadata URL of the SPID/CIE gateway (the
	// Region's identity proxy) and the provider's name in the pool; empty:
	// no federation, users sign in with e-mail and password + TOTP.
	FederationMetadataURL, FederationName string
}

// Context keys the app reads.
const (
	CtxStage          = "stage"
	CtxAllowedOrigins = "allowedOrigins"
	CtxSenderAddress  = "senderAddress"
	CtxSenderIdentity = "senderIdentity"
	CtxAlarmEmail     = "alarmEmail"
	CtxAssetRoot      = "assetRoot"
	CtxReserved       = "reservedConcurrency" // "none", or "fn=N,fn=N"
	CtxQuota          = "concurrencyQuota"    // the account's Lambda concurrency quota
	CtxCallbackURLs   = "callbackUrls"        // comma-separated; default <origin>/auth/callback for each origin
	CtxLogoutURLs     = "logoutUrls"          // comma-separated; default <origin>/ for each origin
	CtxAuthDomain     = "authDomainPrefix"    // Cognito hosted UI domain prefix
	CtxFederationURL  = "federationMetadataUrl"
	CtxFederationName = "federationName" // default SPID-CIE
)

// Lambda keeps this many executions unreserved in every account.
const unreservedMin = 100

// defaultQuota is Lambda's default concurrency quota for an established
// account; new accounts may start at 10 (docs/deploy.md).
const defaultQuota = 1000

// Dev defaults. Prod has none: a production stack must name its real
// origins and sender, never inherit a placeholder.
const (
	devOrigins = "http://localhost:8080"
	devSender  = "noreply@sportello.example.it"
)

// ConfigFromContext reads the configuration from the app's context.
func ConfigFromContext(app awscdk.App) (Config, error) {
	return ParseConfig(func(k string) string { return contextString(app.Node().TryGetContext(jsii.String(k))) })
}

// contextString reads a context value: a string (-c key=value), or in
// cdk.json a list of strings, joined with commas.
func contextString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ",")
	}
	return ""
}

// ParseConfig validates the context values get returns ("" when unset).
func ParseConfig(get func(key string) string) (Config, error) {
	val := func(k string) string { return strings.TrimSpace(get(k)) }
	cfg := Config{Stage: val(CtxStage), SenderAddress: val(CtxSenderAddress), SenderIdentity: val(CtxSenderIdentity),
		AlarmEmail: val(CtxAlarmEmail), AssetRoot: val(CtxAssetRoot)}
	if cfg.Stage == "" {
		cfg.Stage = "dev"
	}
	if cfg.Stage != "dev" && cfg.Stage != "prod" {
		return Config{}, fmt.Errorf("context %s must be dev or prod, not %q", CtxStage, cfg.Stage)
	}
	prod := cfg.Stage == "prod"
	origins := val(CtxAllowedOrigins)
	if origins == "" && !prod {
		origins = devOrigins
	}
	if cfg.SenderAddress == "" && !prod {
		cfg.SenderAddress = devSender
	}
	if cfg.AssetRoot == "" {
		cfg.AssetRoot = "build"
	}
	var errs []error
	var err error
	if cfg.AllowedOrigins, err = ParseOrigins(origins, prod); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxAllowedOrigins, err))
	}
	if err := checkAddress(cfg.SenderAddress); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxSenderAddress, err))
	}
	if cfg.SenderIdentity != "" && !sesIdentityARN.MatchString(cfg.SenderIdentity) {
		errs = append(errs, fmt.Errorf("context %s: %q is not an SES identity ARN (arn:aws:ses:<region>:<account>:identity/<domain or address>)", CtxSenderIdentity, cfg.SenderIdentity))
	}
	if cfg.AlarmEmail != "" {
		if err := checkAddress(cfg.AlarmEmail); err != nil {
			errs = append(errs, fmt.Errorf("context %s: %w", CtxAlarmEmail, err))
		}
	}
	if cfg.Reserved, err = parseReserved(val(CtxReserved), prod); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxReserved, err))
	}
	cfg.ConcurrencyQuota = defaultQuota
	if q := val(CtxQuota); q != "" {
		if cfg.ConcurrencyQuota, err = strconv.Atoi(q); err != nil || cfg.ConcurrencyQuota < 10 {
			errs = append(errs, fmt.Errorf("context %s: %q is not a Lambda concurrency quota (a whole number, at least 10)", CtxQuota, q))
		}
	}
	if total := cfg.ReservedTotal(); total > 0 && total+unreservedMin > cfg.ConcurrencyQuota {
		errs = append(errs, fmt.Errorf("context %s: the functions reserve %d concurrent executions, which needs a Lambda concurrency quota of at least %d (Lambda keeps %d unreserved) but %s is %d: ask Service Quotas for an increase, or pass -c %s=none",
			CtxReserved, total, total+unreservedMin, unreservedMin, CtxQuota, cfg.ConcurrencyQuota, CtxReserved))
	}
	if cfg.CallbackURLs, err = parseURLs(val(CtxCallbackURLs), cfg.AllowedOrigins, "/auth/callback", prod); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxCallbackURLs, err))
	}
	if cfg.LogoutURLs, err = parseURLs(val(CtxLogoutURLs), cfg.AllowedOrigins, "/", prod); err != nil {
		errs = append(errs, fmt.Errorf("context %s: %w", CtxLogoutURLs, err))
	}
	cfg.AuthDomainPrefix = val(CtxAuthDomain)
	if d := cfg.AuthDomainPrefix; d != "" && !domainPrefix.MatchString(d) {
		errs = append(errs, fmt.Errorf("context %s: %q is not a Cognito domain prefix (lower-case letters, digits and hyphens, 1 to 63, not containing aws, amazon or cognito)", CtxAuthDomain, d))
	}
	cfg.FederationMetadataURL, cfg.FederationName = val(CtxFederationURL), val(CtxFederationName)
	if cfg.FederationName == "" {
		cfg.FederationName = "SPID-CIE"
	}
	if u := cfg.FederationMetadataURL; u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" {
			errs = append(errs, fmt.Errorf("context %s: %q is not an https URL of SAML metadata", CtxFederationURL, u))
		}
	}
	if !providerName.MatchString(cfg.FederationName) {
		errs = append(errs, fmt.Errorf("context %s: %q is not a provider name (3 to 32 letters, digits, - or _)", CtxFederationName, cfg.FederationName))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("stage %s: %w", cfg.Stage, err)
	}
	return cfg, nil
}

// ReservedTotal is the sum of the reservations.
func (c Config) ReservedTotal() int {
	n := 0
	for _, r := range c.Reserved {
		n += r
	}
	return n
}

// parseReserved reads "none" or "fn=N,fn=N"; empty means the stage's
// default: ProdReserved in prod, none in dev.
func parseReserved(s string, prod bool) (map[string]int, error) {
	switch {
	case s == "" && prod:
		return maps.Clone(ProdReserved), nil
	case s == "" || s == "none":
		return nil, nil
	}
	out := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		fn, n, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return nil, fmt.Errorf("%q is not fn=N", part)
		}
		if _, known := Specs[fn]; !known {
			return nil, fmt.Errorf("%q is not a function of the stack", fn)
		}
		if _, dup := out[fn]; dup {
			return nil, fmt.Errorf("%s is given twice", fn)
		}
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > 10000 {
			return nil, fmt.Errorf("%s=%s: a reservation is a whole number from 1 to 10000 (leave the function out to reserve none)", fn, n)
		}
		out[fn] = v
	}
	return out, nil
}

var (
	domainPrefix = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	providerName = regexp.MustCompile(`^[A-Za-z0-9_-]{3,32}$`)
)

// parseURLs reads sign-in return URLs: https (http only for a loopback
// host outside prod), no fragment, at most 100 (Cognito's limit). Empty
// means one per allowed origin with the given path.
func parseURLs(list string, origins []string, path string, prod bool) ([]string, error) {
	if list == "" {
		out := make([]string, len(origins))
		for i, o := range origins {
			out[i] = strings.TrimSuffix(o, "/") + path
		}
		return out, nil
	}
	var out []string
	for _, raw := range strings.Split(list, ",") {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		switch {
		case err != nil || u.Host == "" || u.Fragment != "" || u.User != nil:
			return nil, fmt.Errorf("%q is not an absolute URL without fragment", s)
		case u.Scheme == "https":
		case u.Scheme == "http" && !prod && loopback(u.Hostname()):
		default:
			return nil, fmt.Errorf("%q must use https (http only for localhost outside prod)", s)
		}
		out = append(out, s)
	}
	if len(out) == 0 || len(out) > 100 {
		return nil, fmt.Errorf("%d URLs given: 1 to 100", len(out))
	}
	return out, nil
}

var sesIdentityARN = regexp.MustCompile(`^arn:aws[a-z-]*:ses:[a-z0-9-]+:[0-9]{12}:identity/[^\s/*]+$`)

// ParseOrigins reads a comma-separated list of browser origins
// (scheme://host[:port], nothing else). A wildcard would open CORS to every
// site, so it is refused; plain http is accepted only for a loopback host
// and never in prod.
func ParseOrigins(list string, prod bool) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, raw := range strings.Split(list, ",") {
		o := strings.TrimSpace(raw)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || u.Opaque != "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(o, "*?# ") || u.Hostname() == "" {
			return nil, fmt.Errorf("%q is not an origin (scheme://host[:port])", o)
		}
		if port := u.Port(); strings.HasSuffix(u.Host, ":") || (port != "" && !validPort(port)) {
			return nil, fmt.Errorf("origin %q has an invalid port", o)
		}
		scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		switch {
		case scheme == "https":
		case scheme == "http" && !prod && loopback(u.Hostname()):
		default:
			return nil, fmt.Errorf("origin %q must use https (http only for localhost outside prod)", o)
		}
		norm := scheme + "://" + host
		if !seen[norm] {
			seen[norm] = true
			out = append(out, norm)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no origin given: pass -c allowedOrigins=https://…")
	}
	return out, nil
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n <= 65535 && p[0] != '0'
}

func loopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// checkAddress accepts a bare address with a dotted domain.
func checkAddress(s string) error {
	if s == "" {
		return errors.New("an e-mail address is required")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("%q is not a bare e-mail address", s)
	}
	if _, domain, _ := strings.Cut(s, "@"); !strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return fmt.Errorf("%q has no domain SES can verify", s)
	}
	return nil
}

// senderDomain is the domain of a checked address.
func senderDomain(address string) string {
	_, d, _ := strings.Cut(address, "@")
	return strings.ToLower(d)
}
