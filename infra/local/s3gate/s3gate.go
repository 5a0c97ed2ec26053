// Package s3gate sits in front of the local S3 (gofakes3, which checks no
// signature) and refuses what real S3 refuses, so that the local runtime
// cannot accept an upload that AWS would turn down:
//
//   - a request without a valid SigV4 signature, pre-signed (query) or in
//     the Authorization header (the SDK's own calls): 403
//     SignatureDoesNotMatch, recomputed with the SDK's signer over the
//     received method, path, query and signed headers. A Content-Length or
//     Content-Type other than the signed one changes the signature, so it
//     is refused the same way, as S3 does;
//   - an expired pre-signed URL (403 AccessDenied "Request has expired") or
//     a header signature older or newer than 15 minutes (403
//     RequestTimeTooSkewed);
//   - an x-amz-* header the signature does not cover (403
//     HeadersNotSigned), e.g. an x-amz-copy-source added to a pre-signed PUT;
//   - a body whose x-amz-checksum-sha256 (or -sha1, -crc32, -crc32c,
//     -crc64nvme) differs from the body (400 BadDigest), or whose
//     x-amz-content-sha256 differs (400 XAmzContentSHA256Mismatch).
//
// The body is spooled to a temporary file while it is hashed, checked,
// and only then handed to the backend, so that a refused object never
// exists (as in S3) and memory stays flat for 50 MB uploads.
//
// It is part of the local runtime only, never deployed.
package s3gate

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	// OnObjectCreated is called after a PUT the backend stored (not for a
	// multipart part), as S3 emits ObjectCreated; size is the body's.
	// It runs before the client has its answer and must not block: start
	// the work in a goroutine.
	OnObjectCreated func(bucket, key string, size int64)
	Log             *slog.Logger
	// origins are the browser origins of the bucket's CORS rule (the
	// stack's: PUT and GET with the upload headers), set with AllowOrigin.
	origins sync.Map
}

// corsHeaders are the request headers the bucket's CORS rule allows (as
// infra/stack configures the documents bucket).
const corsHeaders = "content-type, content-length, x-amz-checksum-sha256, x-amz-sdk-checksum-algorithm"

// AllowOrigin adds a browser origin to the bucket's CORS rule: the web
// pages upload straight to S3 with the pre-signed PUT, as in the cloud.
func (g *Gate) AllowOrigin(origin string) { g.origins.Store(origin, true) }

// cors answers a preflight (done: true), or returns the writer the
// request's answer goes through: with the CORS headers of an allowed
// origin, and without those the backend would add on its own (gofakes3
// answers every origin; S3 only those of the bucket's rule).
func (g *Gate) cors(w http.ResponseWriter, r *http.Request) (http.ResponseWriter, bool) {
	origin := r.Header.Get("Origin")
	_, allowed := g.origins.Load(origin)
	allowed = allowed && origin != ""
	if r.Method != http.MethodOptions {
		if origin == "" {
			return w, false
		}
		return &corsWriter{ResponseWriter: w, origin: origin, allowed: allowed}, false
	}
	if m := r.Header.Get("Access-Control-Request-Method"); !allowed || (m != http.MethodPut && m != http.MethodGet) {
		g.refuse(w, r, &s3Error{http.StatusForbidden, "AccessForbidden", "CORSResponse: This CORS request is not allowed."})
		return w, true
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Vary", "Origin")
	h.Set("Access-Control-Allow-Methods", "PUT, GET")
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", "3000")
	w.WriteHeader(http.StatusOK)
	return w, true
}

// corsWriter sets the CORS headers of the bucket's rule on the answer.
type corsWriter struct {
	http.ResponseWriter
	origin      string
	allowed     bool
	wroteHeader bool
}

func (c *corsWriter) WriteHeader(status int) {
	if !c.wroteHeader {
		c.wroteHeader = true
		h := c.Header()
		for k := range h {
			if strings.HasPrefix(k, "Access-Control-") {
				h.Del(k)
			}
		}
		if c.allowed {
			h.Set("Access-Control-Allow-Origin", c.origin)
			h.Set("Access-Control-Expose-Headers", "ETag")
			h.Add("Vary", "Origin")
		}
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *corsWriter) Write(b []byte) (int, error) {
	if !c.wroteHeader {
		c.WriteHeader(http.StatusOK)
	}
	return c.ResponseWriter.Write(b)
}

const (
	amzDate = "20060102T150405Z"
	// maxSkew is S3's tolerance for header-signed requests.
	maxSkew = 15 * time.Minute
	// maxPresignExpiry is S3's longest pre-signed validity (7 days).
	maxPresignExpiry = 7 * 24 * 3600
)

func (g *Gate) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w, done := g.cors(w, r)
	if done {
		return
	}
	if cw, ok := w.(*corsWriter); ok {
		// An answer with no body and no explicit status (gofakes3's PUT)
		// still gets the rule's headers.
		defer func() {
			if !cw.wroteHeader {
				cw.WriteHeader(http.StatusOK)
			}
		}()
	}
	var err *s3Error
	switch {
	case r.URL.Query().Has("X-Amz-Signature"):
		err = g.checkPresigned(r)
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		err = g.checkHeader(r)
	default:
		err = &s3Error{http.StatusForbidden, "AccessDenied", "Anonymous access is not allowed"}
	}
	if err == nil && strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		// aws-chunked bodies carry their own framing and trailing
		// checksums: not emulated, so refused loudly rather than stored
		// wrong. The project's clients send plain bodies.
		err = &s3Error{http.StatusNotImplemented, "NotImplemented", "aws-chunked payloads are not supported by the local S3 gate"}
	}
	if err != nil {
		g.refuse(w, r, err)
		return
	}
	if r.Method != http.MethodPut {
		g.Backend.ServeHTTP(w, r)
		return
	}
	g.put(w, r)
}

func (g *Gate) refuse(w http.ResponseWriter, r *http.Request, e *s3Error) {
	if g.Log != nil {
		// Paths hold ids only (documents/<call>/<submission>/<document>).
		g.Log.Info("s3 request refused", "method", r.Method, "path", r.URL.Path, "code", e.code)
	}
	e.write(w)
}

// checksumHeaders are the body checksums S3 verifies, with their hashes.
var checksumHeaders = []struct {
	header string
	hash   func() hash.Hash
}{
	{"X-Amz-Checksum-Sha256", sha256.New},
	{"X-Amz-Checksum-Sha1", sha1.New},
	{"X-Amz-Checksum-Crc32", func() hash.Hash { return crc32.NewIEEE() }},
	{"X-Amz-Checksum-Crc32c", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
	{"X-Amz-Checksum-Crc64nvme", func() hash.Hash { return crc64.New(crc64NVME) }},
}

// crc64NVME is CRC-64/NVME (polynomial 0xad93d23594c93659, reflected).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// put checks the body against its declared checksums before the object
// exists, spooling to disk so memory stays flat whatever the size.
func (g *Gate) put(w http.ResponseWriter, r *http.Request) {
	tmp, ferr := os.CreateTemp("", "s3gate-*")
	if ferr != nil {
		g.refuse(w, r, &s3Error{http.StatusInternalServerError, "InternalError", "cannot spool the body"})
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	type check struct {
		header, want string
		h            hash.Hash
	}
	var checks []check
	writers := []io.Writer{tmp}
	for _, c := range checksumHeaders {
		if want := r.Header.Get(c.header); want != "" {
			ch := check{c.header, want, c.hash()}
			checks = append(checks, ch)
			writers = append(writers, ch.h)
		}
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	var payloadHash hash.Hash
	if payload != "" && payload != "UNSIGNED-PAYLOAD" {
		payloadHash = sha256.New()
		writers = append(writers, payloadHash)
	}
	n, cerr := io.Copy(io.MultiWriter(writers...), r.Body)
	switch {
	case cerr != nil:
		g.refuse(w, r, &s3Error{http.StatusBadRequest, "IncompleteBody", "The request body terminated unexpectedly"})
		return
	case r.ContentLength >= 0 && n != r.ContentLength:
		g.refuse(w, r, &s3Error{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"})
		return
	case payloadHash != nil && hex.EncodeToString(payloadHash.Sum(nil)) != payload:
		g.refuse(w, r, &s3Error{http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."})
		return
	}
	for _, c := range checks {
		if base64.StdEncoding.EncodeToString(c.h.Sum(nil)) != c.want {
			g.refuse(w, r, &s3Error{http.StatusBadRequest, "BadDigest", "The " + strings.TrimPrefix(strings.ToUpper(c.header), "X-AMZ-CHECKSUM-") +
				" you specified did not match the calculated checksum."})
			return
		}
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		g.refuse(w, r, &s3Error{http.StatusInternalServerError, "InternalError", "cannot read the spooled body"})
		return
	}
	r.Body = tmp
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	g.Backend.ServeHTTP(rec, r)
	bucket, key := splitPath(r.URL.Path)
	if rec.status == http.StatusOK && g.OnObjectCreated != nil && key != "" && !r.URL.Query().Has("partNumber") {
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
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// checkPresigned recomputes a query signature over the received request
// with the SDK's presigner, at the signing time the URL states.
func (g *Gate) checkPresigned(r *http.Request) *s3Error {
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		return &s3Error{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""}
	}
	signedAt, err := time.Parse(amzDate, q.Get("X-Amz-Date"))
	expires, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
	switch {
	case err != nil || err2 != nil || expires <= 0:
		return &s3Error{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Date and X-Amz-Expires must be well formed"}
	case expires > maxPresignExpiry:
		return &s3Error{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800"}
	case g.now().After(signedAt.Add(time.Duration(expires) * time.Second)):
		return &s3Error{http.StatusForbidden, "AccessDenied", "Request has expired"}
	case !strings.HasPrefix(q.Get("X-Amz-Credential"), g.Credentials.AccessKeyID+"/"):
		return &s3Error{http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
	}
	given := q.Get("X-Amz-Signature")
	signedHeaders := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	// The presigner adds these itself; everything else in the query
	// (X-Amz-Expires, x-id, X-Amz-Sdk-Checksum-Algorithm…) is signed as
	// received.
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"} {
		q.Del(k)
	}
	u := *r.URL
	u.RawQuery = q.Encode()
	u.Scheme, u.Host = "http", r.Host
	req := signable(r, &u, signedHeaders)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signed, _, serr := signer.PresignHTTP(context.Background(), g.Credentials, req, "UNSIGNED-PAYLOAD", "s3", g.Region, signedAt)
	if serr != nil {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature could not be recomputed."}
	}
	su, perr := url.Parse(signed)
	if perr != nil || su.Query().Get("X-Amz-Signature") != given {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return unsignedAmzHeaders(r, signedHeaders)
}

// unsignedAmzHeaders refuses, as S3 does, a request carrying an x-amz-*
// header its signature does not cover: an unsigned x-amz-copy-source on a
// pre-signed PUT would otherwise turn an upload into a copy of any object.
func unsignedAmzHeaders(r *http.Request, signedHeaders []string) *s3Error {
	signed := map[string]bool{}
	for _, h := range signedHeaders {
		signed[strings.ToLower(strings.TrimSpace(h))] = true
	}
	var unsigned []string
	for name := range r.Header {
		if n := strings.ToLower(name); strings.HasPrefix(n, "x-amz-") && !signed[n] {
			unsigned = append(unsigned, n)
		}
	}
	if len(unsigned) == 0 {
		return nil
	}
	sort.Strings(unsigned)
	return &s3Error{http.StatusForbidden, "HeadersNotSigned", "There were headers present in the request which were not signed: " + strings.Join(unsigned, ", ")}
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
	if err != nil || g.now().Sub(signedAt).Abs() > maxSkew {
		return &s3Error{http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."}
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return &s3Error{http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"}
	}
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	req := signable(r, &u, strings.Split(parts["SignedHeaders"], ";"))
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), g.Credentials, req, payload, "s3", g.Region, signedAt); err != nil {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature could not be recomputed."}
	}
	_, sig, _ := strings.Cut(req.Header.Get("Authorization"), "Signature=")
	if sig == "" || sig != parts["Signature"] {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return unsignedAmzHeaders(r, strings.Split(parts["SignedHeaders"], ";"))
}

// signable copies the method, URL and only the signed headers, as
// received: a header the client changed changes the signature.
func signable(r *http.Request, u *url.URL, signedHeaders []string) *http.Request {
	req, _ := http.NewRequest(r.Method, u.String(), nil)
	req.URL.RawPath = u.RawPath
	req.Host = r.Host
	for _, h := range signedHeaders {
		switch h {
		case "host", "":
		case "content-length":
			req.ContentLength = r.ContentLength
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
