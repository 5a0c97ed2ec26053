package s3gate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

const (
	region = "eu-south-1"
	bucket = "docs"
)

var creds = aws.Credentials{AccessKeyID: "LOCALKEY", SecretAccessKey: "LOCALSECRET", Source: "test"}

type created struct {
	bucket, key string
	size        int64
}

type fixture struct {
	gate    *Gate
	client  *s3.Client
	presign *s3.PresignClient
	created chan created
}

// setup runs the gate in front of an in-memory gofakes3, and real SDK
// clients against it.
func setup(t *testing.T, backend http.Handler) *fixture {
	t.Helper()
	f := &fixture{created: make(chan created, 16)}
	if backend == nil {
		backend = gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true), gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	}
	f.gate = &Gate{Backend: backend, Credentials: creds, Region: region,
		OnObjectCreated: func(b, k string, size int64) { f.created <- created{b, k, size} }}
	srv := httptest.NewServer(f.gate)
	t.Cleanup(srv.Close)
	f.client = s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.StaticCredentialsProvider{Value: creds}})
	f.presign = s3.NewPresignClient(f.client)
	return f
}

func b64sha256(b []byte) string {
	s := sha256.Sum256(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// presignPut signs a PUT bound to the body's length, type and SHA-256, as
// the uploads API does, and returns the URL and the headers the client
// must send.
func (f *fixture) presignPut(t *testing.T, key, contentType string, body []byte) (string, http.Header) {
	t.Helper()
	req, err := f.presign.PresignPutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String(contentType),
		ContentLength: aws.Int64(int64(len(body))), ChecksumSHA256: aws.String(b64sha256(body)),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}, s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for k, v := range req.SignedHeader {
		if !strings.EqualFold(k, "Host") {
			h[http.CanonicalHeaderKey(k)] = v
		}
	}
	return req.URL, h
}

func (f *fixture) exists(t *testing.T, key string) bool {
	t.Helper()
	_, err := f.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	var nf *types.NotFound
	if err != nil && !errors.As(err, &nf) {
		t.Fatalf("head %s: %v", key, err)
	}
	return err == nil
}

// noEvent checks no ObjectCreated is pending.
func (f *fixture) noEvent(t *testing.T) {
	t.Helper()
	select {
	case e := <-f.created:
		t.Fatalf("unexpected ObjectCreated %+v", e)
	default:
	}
}

type s3Answer struct {
	status int
	code   string
}

// send makes a plain net/http request, as a browser or curl would.
func send(t *testing.T, method, url string, h http.Header, body []byte) s3Answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		if k == "Content-Length" {
			continue // net/http sets it from the body
		}
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Code string }
	raw, _ := io.ReadAll(resp.Body)
	_ = xml.Unmarshal(raw, &e) // a success has no error document: Code stays empty
	return s3Answer{resp.StatusCode, e.Code}
}

func TestPresignedPutSignsLengthTypeAndChecksum(t *testing.T) {
	f := setup(t, nil)
	body := []byte("%PDF-1.7 a small signed document\n%%EOF\n")
	url, h := f.presignPut(t, "documents/c/s/d", "application/pdf", body)
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("X-Amz-SignedHeaders"); got != "content-length;content-type;host;x-amz-checksum-sha256" {
		t.Fatalf("signed headers %q", got)
	}
	if got := fmt.Sprint(h.Get("Content-Length"), " ", h.Get("Content-Type"), " ", h.Get("X-Amz-Checksum-Sha256")); got !=
		fmt.Sprint(len(body), " application/pdf ", b64sha256(body)) {
		t.Fatalf("headers the client must send: %v", h)
	}
}

func TestPresignedPutIsStoredOnlyAsSigned(t *testing.T) {
	f := setup(t, nil)
	ctx := context.Background()
	body := []byte("%PDF-1.7 a small signed document\n%%EOF\n")
	url, h := f.presignPut(t, "documents/c/s/ok", "application/pdf", body)
	if a := send(t, http.MethodPut, url, h, body); a.status != http.StatusOK {
		t.Fatalf("the declared upload must pass: %+v", a)
	}
	select {
	case e := <-f.created:
		if e != (created{bucket, "documents/c/s/ok", int64(len(body))}) {
			t.Fatalf("ObjectCreated %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no ObjectCreated after a stored PUT")
	}
	out, err := f.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("documents/c/s/ok")})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, body) || aws.ToString(out.ContentType) != "application/pdf" {
		t.Fatalf("stored %q as %s", got, aws.ToString(out.ContentType))
	}

	other := bytes.ToUpper(body) // same length, other bytes
	set := func(k, v string) func(http.Header) { return func(h http.Header) { h.Set(k, v) } }
	tests := []struct {
		name    string
		method  string
		body    []byte
		headers func(http.Header)
		url     func(string) string
		later   time.Duration
		want    s3Answer
	}{
		{"a longer body than signed is refused", "", append(append([]byte{}, body...), 'x'), nil, nil, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a shorter body than signed is refused", "", body[1:], nil, nil, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"another content type than signed is refused", "", body, set("Content-Type", "application/octet-stream"), nil, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a missing content type is refused", "", body, func(h http.Header) { h.Del("Content-Type") }, nil, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a body with another SHA-256 is refused", "", other, nil, nil, 0, s3Answer{400, "BadDigest"}},
		{"a checksum header other than signed is refused", "", other, set("X-Amz-Checksum-Sha256", b64sha256(other)), nil, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a missing checksum header is refused", "", body, func(h http.Header) { h.Del("X-Amz-Checksum-Sha256") }, nil, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a URL used after its expiry is refused", "", body, nil, nil, 16 * time.Minute, s3Answer{403, "AccessDenied"}},
		{"a tampered signature is refused", "", body, nil, func(u string) string { return strings.Replace(u, "X-Amz-Signature=", "X-Amz-Signature=0", 1) }, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a URL moved to another key is refused", "", body, nil, func(u string) string { return strings.Replace(u, "/documents/c/s/", "/documents/c/x/", 1) }, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a longer validity written into the URL is refused", "", body, nil, func(u string) string { return strings.Replace(u, "X-Amz-Expires=900", "X-Amz-Expires=9000", 1) }, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a PUT URL used for a GET is refused", http.MethodGet, nil, nil, nil, 0, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a request without a signature is refused", "", body, nil, func(u string) string { before, _, _ := strings.Cut(u, "?"); return before }, 0, s3Answer{403, "AccessDenied"}},
		{"an unsigned x-amz-copy-source is refused, as S3 does", "", body, set("X-Amz-Copy-Source", "/docs/documents/c/s/ok"), nil, 0, s3Answer{403, "HeadersNotSigned"}},
		{"any unsigned x-amz-* header is refused", "", body, set("X-Amz-Meta-Note", "x"), nil, 0, s3Answer{403, "HeadersNotSigned"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("documents/c/s/refused-%d", i)
			u, h := f.presignPut(t, key, "application/pdf", body)
			if tt.headers != nil {
				tt.headers(h)
			}
			if tt.url != nil {
				u = tt.url(u)
			}
			if tt.later > 0 {
				f.gate.Now = func() time.Time { return time.Now().Add(tt.later) }
				defer func() { f.gate.Now = nil }()
			}
			method := tt.method
			if method == "" {
				method = http.MethodPut
			}
			if a := send(t, method, u, h, tt.body); a != tt.want {
				t.Fatalf("got %+v, want %+v", a, tt.want)
			}
			f.gate.Now = nil
			if f.exists(t, key) || f.exists(t, strings.Replace(key, "/c/s/", "/c/x/", 1)) {
				t.Fatal("a refused upload must not exist")
			}
			f.noEvent(t)
		})
	}
}

// signed makes a header-signed request as the SDK would, possibly lying
// about its payload hash or signing with another secret.
func signed(t *testing.T, url string, body []byte, payloadHash string, secret string, at time.Time, extra http.Header) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	for k, v := range extra {
		req.Header[k] = v
	}
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	c := creds
	c.SecretAccessKey = secret
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), c, req, payloadHash, "s3", region, at); err != nil {
		t.Fatal(err)
	}
	return req
}

func do(t *testing.T, req *http.Request) s3Answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct{ Code string }
	raw, _ := io.ReadAll(resp.Body)
	_ = xml.Unmarshal(raw, &e) // a success has no error document: Code stays empty
	return s3Answer{resp.StatusCode, e.Code}
}

func TestHeaderSignedRequests(t *testing.T) {
	f := setup(t, nil)
	ctx := context.Background()
	// The SDK's own calls, signed in the Authorization header, pass;
	// every checksum algorithm S3 offers is computed by the SDK and
	// checked by the gate.
	if _, err := f.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("exports")}); err != nil {
		t.Fatalf("CreateBucket through the gate: %v", err)
	}
	for _, alg := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c,
		types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256, types.ChecksumAlgorithmCrc64nvme} {
		key := "exports/riparto-" + string(alg) + ".csv"
		body := []byte("comune;quota\n001001;123,45\n")
		_, err := f.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body),
			ContentType: aws.String("text/csv"), ChecksumAlgorithm: alg})
		if err != nil {
			t.Fatalf("SDK PutObject with checksum %q: %v", alg, err)
		}
		if e := <-f.created; e.key != key || e.size != int64(len(body)) {
			t.Fatalf("ObjectCreated %+v", e)
		}
	}

	url := f.client.Options().BaseEndpoint
	body := []byte("comune;quota\n001001;123,45\n")
	crc := crc32.ChecksumIEEE([]byte("other"))
	wrongCRC := base64.StdEncoding.EncodeToString([]byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	tests := []struct {
		name string
		req  func(u string) *http.Request
		want s3Answer
	}{
		{"a body other than its signed payload hash is refused", func(u string) *http.Request {
			return signed(t, u, body, strings.Repeat("0", 64), creds.SecretAccessKey, time.Now(), nil)
		}, s3Answer{400, "XAmzContentSHA256Mismatch"}},
		{"a signature with another secret is refused", func(u string) *http.Request {
			return signed(t, u, body, bodyHash, "another secret", time.Now(), nil)
		}, s3Answer{403, "SignatureDoesNotMatch"}},
		{"a signature 16 minutes old is refused", func(u string) *http.Request {
			return signed(t, u, body, bodyHash, creds.SecretAccessKey, time.Now().Add(-16*time.Minute), nil)
		}, s3Answer{403, "RequestTimeTooSkewed"}},
		{"a CRC32 other than the body's is refused", func(u string) *http.Request {
			return signed(t, u, body, bodyHash, creds.SecretAccessKey, time.Now(), http.Header{"X-Amz-Checksum-Crc32": {wrongCRC}})
		}, s3Answer{400, "BadDigest"}},
		{"a CRC64NVME other than the body's is refused", func(u string) *http.Request {
			return signed(t, u, body, bodyHash, creds.SecretAccessKey, time.Now(), http.Header{"X-Amz-Checksum-Crc64nvme": {"rosUhgp5mIg="}})
		}, s3Answer{400, "BadDigest"}},
		{"an aws-chunked body is refused as not emulated", func(u string) *http.Request {
			return signed(t, u, body, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", creds.SecretAccessKey, time.Now(), nil)
		}, s3Answer{501, "NotImplemented"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("exports/refused-%d.csv", i)
			if a := do(t, tt.req(*url+"/"+bucket+"/"+key)); a != tt.want {
				t.Fatalf("got %+v, want %+v", a, tt.want)
			}
			if f.exists(t, key) {
				t.Fatal("a refused upload must not exist")
			}
			f.noEvent(t)
		})
	}
	// And the same request, honest, passes: the refusals above are the
	// lie, not the shape of the request.
	key := "exports/honest.csv"
	if a := do(t, signed(t, *url+"/"+bucket+"/"+key, body, bodyHash, creds.SecretAccessKey, time.Now(), nil)); a.status != 200 {
		t.Fatalf("honest request: %+v", a)
	}
	<-f.created
}

// The SDK reports a gate refusal as S3's own error code.
func TestSDKSeesS3ErrorCodes(t *testing.T) {
	f := setup(t, nil)
	f.gate.Credentials.SecretAccessKey = "rotated"
	_, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("x")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "SignatureDoesNotMatch" {
		t.Fatalf("want SignatureDoesNotMatch, got %v", err)
	}
}

var patternBlock = func() []byte {
	b := make([]byte, 251*260)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}()

// pattern is n deterministic bytes, never held whole.
type pattern struct{ n, pos int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.pos >= p.n {
		return 0, io.EOF
	}
	k := min(int64(len(b)), p.n-p.pos)
	n := 0
	for int64(n) < k {
		n += copy(b[n:k], patternBlock[(p.pos+int64(n))%251:])
	}
	p.pos += k
	return int(k), nil
}

// A 48 MB pre-signed upload goes through the gate with memory flat: the
// body is spooled to disk and hashed on the way.
func TestLargeUploadKeepsMemoryFlat(t *testing.T) {
	const size = 48 << 20
	var stored int64
	discard := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stored, _ = io.Copy(io.Discard, r.Body)
	})
	f := setup(t, discard)
	h := sha256.New()
	_, _ = io.Copy(h, &pattern{n: size}) // a hash never fails to write
	req, err := f.presign.PresignPutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String("documents/c/s/large"), ContentType: aws.String("application/pdf"),
		ContentLength: aws.Int64(size), ChecksumSHA256: aws.String(base64.StdEncoding.EncodeToString(h.Sum(nil))),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	})
	if err != nil {
		t.Fatal(err)
	}
	put, _ := http.NewRequest(http.MethodPut, req.URL, &pattern{n: size})
	put.ContentLength = size
	for k, v := range req.SignedHeader {
		if !strings.EqualFold(k, "Host") && !strings.EqualFold(k, "Content-Length") {
			put.Header[http.CanonicalHeaderKey(k)] = v
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	a := do(t, put)
	runtime.ReadMemStats(&after)
	if a.status != 200 || stored != size {
		t.Fatalf("got %+v, stored %d", a, stored)
	}
	<-f.created
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d-byte upload allocated %d bytes", size, alloc)
	if alloc > size/16 {
		t.Fatalf("a %d-byte upload allocated %d bytes: the body is held in memory", size, alloc)
	}
}

// The bucket's CORS rule, as the stack sets it: a preflight from an
// allowed origin for PUT or GET with the upload headers is answered; any
// other origin or method is refused; an allowed origin's PUT carries
// Access-Control-Allow-Origin, so the page can read its answer.
func TestCORSAnswersOnlyTheAllowedOrigins(t *testing.T) {
	f := setup(t, nil)
	f.gate.AllowOrigin("http://127.0.0.1:8080")
	base := *f.client.Options().BaseEndpoint
	type answer struct {
		StatusCode int
		Header     http.Header
	}
	preflight := func(origin, method string) answer {
		req, _ := http.NewRequest(http.MethodOptions, base+"/"+bucket+"/documents/x", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-amz-checksum-sha256")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return answer{resp.StatusCode, resp.Header}
	}
	if r := preflight("http://127.0.0.1:8080", "PUT"); r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8080" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "x-amz-checksum-sha256") || r.Header.Get("Access-Control-Allow-Methods") != "PUT, GET" {
		t.Errorf("allowed preflight: %d %v", r.StatusCode, r.Header)
	}
	for _, c := range []struct{ origin, method string }{{"https://evil.example", "PUT"}, {"http://127.0.0.1:8080", "DELETE"}} {
		if r := preflight(c.origin, c.method); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("%s %s: %d %v", c.origin, c.method, r.StatusCode, r.Header)
		}
	}
	body := []byte("%PDF-1.7 test")
	url, headers := f.presignPut(t, "documents/cors", "application/pdf", body)
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	req.Header = headers.Clone()
	req.Header.Set("Origin", "http://127.0.0.1:8080")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8080" {
		t.Errorf("PUT from the page: %d %v", resp.StatusCode, resp.Header)
	}
}
