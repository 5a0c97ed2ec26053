package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sportello/shared/problem"
)

// Issuer and audience of locally issued tokens; the production authorizer
// is configured with the Cognito pool's instead.
const (
	LocalIssuer   = "sportello-local"
	LocalAudience = "sportello-api"
)

// Keys signs and verifies ES256 tokens for the local runtime, checking what
// the API Gateway JWT authorizer checks: signature, algorithm, issuer,
// audience, expiry and not-before.
type Keys struct {
	key      *ecdsa.PrivateKey
	issuer   string
	audience string
	now      func() time.Time
}

// NewKeys wraps a private key; GenerateKey makes one.
func NewKeys(key *ecdsa.PrivateKey, now func() time.Time) *Keys {
	return &Keys{key: key, issuer: LocalIssuer, audience: LocalAudience, now: now}
}

// WithClaims returns keys that sign with another issuer and audience (the
// security tests forge such tokens to prove they are refused).
func (k *Keys) WithClaims(issuer, audience string, now func() time.Time) *Keys {
	return &Keys{key: k.key, issuer: issuer, audience: audience, now: now}
}

// GenerateKey makes a new P-256 key.
func GenerateKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// MarshalKey and ParseKey keep the local key on disk so tokens survive a restart.
func MarshalKey(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// ParseKey reads a PEM EC private key.
func ParseKey(b []byte) (*ecdsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	return x509.ParseECPrivateKey(blk.Bytes)
}

type claims struct {
	Role   string   `json:"role"`
	Orgs   []string `json:"orgs,omitempty"`
	Region string   `json:"region,omitempty"`
	jwt.RegisteredClaims
}

// Issue signs a token for p valid for ttl.
func (k *Keys) Issue(p Principal, ttl time.Duration) (string, error) {
	now := k.now()
	c := claims{Role: p.Role, Orgs: p.Orgs, Region: p.Region, RegisteredClaims: jwt.RegisteredClaims{
		Subject: p.Subject, Issuer: k.issuer, Audience: jwt.ClaimStrings{k.audience},
		IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodES256, c).SignedString(k.key)
}

// Verify checks a bearer token and returns the claims as API Gateway would
// pass them on: strings, with arrays flattened as "[a b]".
func (k *Keys) Verify(token string) (map[string]string, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		return &k.key.PublicKey, nil
	},
		jwt.WithValidMethods([]string{"ES256"}),
		jwt.WithIssuer(k.issuer),
		jwt.WithAudience(k.audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(k.now),
		jwt.WithLeeway(5*time.Second),
	)
	if err != nil {
		return nil, fmt.Errorf("verify token: %w", errUnauthorized)
	}
	out := map[string]string{"sub": c.Subject, "role": c.Role, "iss": c.Issuer}
	if len(c.Orgs) > 0 {
		out["orgs"] = "[" + strings.Join(c.Orgs, " ") + "]"
	}
	if c.Region != "" {
		out["region"] = c.Region
	}
	return out, nil
}

var errUnauthorized = problem.New(problem.CodeUnauthorized, "Token mancante, scaduto o non valido.")
