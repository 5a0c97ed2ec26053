// Package s3gate sits in front of the local S3 (gofakes3, which checks no
// signature) and refuses what real S3 refuses: requests without a valid
// SigV4 signature (pre-signed query or Authorization header), expired
// pre-signed URLs, headers that differ from the signed ones (length, type,
// checksum), and bodies whose SHA-256 differs from the signed
// x-amz-checksum-sha256. It is part of the local runtime only.
package s3gate

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Gate is the verifying front.
type Gate struct {
	Backend     http.Handler
	Credentials aws.Credentials
	Region      string
	// Now is real time by default: pre-signed URLs expire by the wall
	// clock, as in S3, whatever instant the business clock was started at.
	Now func() time.Time
	// OnObjectCreated is called after a successful PUT, before the client
	// has its answer, as S3 emits ObjectCreated; it must not block (start
	// the work in a goroutine).
	OnObjectCreated func(bucket, key string, size int64)
	Log             *slog.Logger
}

const amzDate = "20060102T150405Z"

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err *s3Error
	switch {
	case r.URL.Query().Get("X-Amz-Signature") != "":
		err = g.checkPresigned(r)
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		err = g.checkHeader(r)
	default:
		err = &s3Error{http.StatusForbidden, "AccessDenied", "Anonymous access is not allowed"}
	}
	if err != nil {
		err.write(w)
		return
	}
	if r.Method != http.MethodPut {
		g.Backend.ServeHTTP(w, r)
		return
	}
	g.put(w, r)
}

// put checks the body against a signed checksum before the object exists,
// spooling to disk so memory stays flat whatever the size.
func (g *Gate) put(w http.ResponseWriter, r *http.Request) {
	tmp, ferr := os.CreateTemp("", "s3gate-*")
	if ferr != nil {
		(&s3Error{http.StatusInternalServerError, "InternalError", "spool"}).write(w)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, cerr := io.Copy(io.MultiWriter(tmp, h), r.Body)
	if cerr != nil {
		(&s3Error{http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly"}).write(w)
		return
	}
	if r.ContentLength >= 0 && n != r.ContentLength {
		(&s3Error{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"}).write(w)
		return
	}
	if want := r.Header.Get("X-Amz-Checksum-Sha256"); want != "" && want != base64.StdEncoding.EncodeToString(h.Sum(nil)) {
		(&s3Error{http.StatusBadRequest, "BadDigest", "The SHA256 you specified did not match the calculated checksum."}).write(w)
		return
	}
	if _, err := tmp.Seek(0, 0); err != nil {
		(&s3Error{http.StatusInternalServerError, "InternalError", "spool"}).write(w)
		return
	}
	r.Body = tmp
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	g.Backend.ServeHTTP(rec, r)
	bucket, key := splitPath(r.URL.Path)
	if rec.status == http.StatusOK && g.OnObjectCreated != nil && key != "" && r.URL.Query().Get("partNumber") == "" {
		g.OnObjectCreated(bucket, key, n)
	}
}

func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// checkPresigned recomputes a query signature over the received request.
func (g *Gate) checkPresigned(r *http.Request) *s3Error {
	q := r.URL.Query()
	signedAt, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	expires, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || err2 != nil || expires <= 0 || expires > 7*24*3600 {
		return &s3Error{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires are required"}
	}
	if g.now().After(signedAt.Add(time.Duration(expires) * time.Second)) {
		return &s3Error{http.StatusForbidden, "AccessDenied", "Request has expired"}
	}
	if !strings.HasPrefix(q.Get("X-Amz-Credential"), g.Credentials.AccessKeyID+"/") {
		return &s3Error{http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
	}
	given := q.Get("X-Amz-Signature")
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		q.Del(k)
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	u.Scheme, u.Host = "http", r.Host
	req := g.signable(r, &u, strings.Split(r.URL.Query().Get("X-Amz-SignedHeaders"), ";"))
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signed, _, serr := signer.PresignHTTP(context.Background(), g.Credentials, req, "UNSIGNED-PAYLOAD", "s3", g.Region, signedAt)
	if serr != nil {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "cannot recompute signature"}
	}
	su, _ := url.Parse(signed)
	if su == nil || su.Query().Get("X-Amz-Signature") != given {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}
	}
	return nil
}

// checkHeader recomputes an Authorization header signature.
func (g *Gate) checkHeader(r *http.Request) *s3Error {
	auth := strings.TrimPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ")
	parts := map[string]string{}
	for _, p := range strings.Split(auth, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[k] = v
	}
	if !strings.HasPrefix(parts["Credential"], g.Credentials.AccessKeyID+"/") {
		return &s3Error{http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
	}
	signedAt, err := time.Parse(amzDate, r.Header.Get("X-Amz-Date"))
	if err != nil || g.now().Sub(signedAt).Abs() > 15*time.Minute {
		return &s3Error{http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."}
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	req := g.signable(r, &u, strings.Split(parts["SignedHeaders"], ";"))
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), g.Credentials, req, r.Header.Get("X-Amz-Content-Sha256"), "s3", g.Region, signedAt); err != nil {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "cannot recompute signature"}
	}
	_, sig, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	if sig == "" || sig != parts["Signature"] {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}
	}
	return nil
}

// signable copies the method, URL and only the signed headers.
func (g *Gate) signable(r *http.Request, u *url.URL, signedHeaders []string) *http.Request {
	req, _ := http.NewRequest(r.Method, u.String(), nil)
	req.Host = r.Host
	for _, h := range signedHeaders {
		switch h {
		case "host", "":
		case "content-length":
			req.ContentLength, _ = strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64)
			if r.ContentLength >= 0 {
				req.ContentLength = r.ContentLength
			}
		default:
			for _, v := range r.Header.Values(h) {
				req.Header.Add(h, v)
			}
		}
	}
	return req
}

type s3Error struct {
	status        int
	code, message string
}

func (e *s3Error) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	b, _ := xml.Marshal(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: e.code, Message: e.message})
	fmt.Fprintf(w, "%s%s", xml.Header, b)
}
