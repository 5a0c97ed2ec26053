package s3gate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sportello/shared/emulator"
	"sportello/shared/s3blobs"
)

type fixture struct {
	blobs   *s3blobs.Blobs
	gate    *Gate
	created atomic.Int64
}

func setup(t *testing.T) *fixture {
	f := &fixture{}
	creds, _ := emulator.Credentials.Retrieve(context.Background())
	srv, err := emulator.StartS3("127.0.0.1:0", "", func(h http.Handler) http.Handler {
		f.gate = &Gate{Backend: h, Credentials: creds, Region: emulator.Region,
			OnObjectCreated: func(bucket, key string, size int64) { f.created.Add(1) }}
		return f.gate
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f.blobs = &s3blobs.Blobs{Client: srv.Client(), Bucket: "docs"}
	if err := f.blobs.EnsureBucket(context.Background()); err != nil {
		t.Fatalf("an SDK call signed in the header must pass: %v", err)
	}
	return f
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (f *fixture) exists(t *testing.T, key string) bool {
	_, err := f.blobs.Client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("docs"), Key: aws.String(key)})
	return err == nil
}

func put(t *testing.T, url string, headers map[string]string, body []byte) int {
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	for k, v := range headers {
		if k == "Content-Length" {
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestPresignedPutMatchesS3(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	body := []byte("%PDF-1.7 a small document\n%%EOF\n")
	up, err := f.blobs.PresignPut(ctx, "documents/c/s/ok", "application/pdf", int64(len(body)), sum(body), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code := put(t, up.URL, up.Headers, body); code != 200 {
		t.Fatalf("the declared upload must pass: %d", code)
	}
	rc, _, err := f.blobs.Open(ctx, "documents/c/s/ok")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, body) {
		t.Fatal("stored object differs")
	}
	time.Sleep(50 * time.Millisecond)
	if f.created.Load() != 1 {
		t.Fatal("ObjectCreated not emitted")
	}

	other := []byte("%PDF-1.7 another document!\n%%EOF\n")
	tests := []struct {
		name    string
		key     string
		body    []byte
		headers func(map[string]string)
		url     func(string) string
		now     time.Time
		want    int
	}{
		{"a longer body than signed is refused", "len", append(body, 'x'), nil, nil, time.Time{}, 403},
		{"another content type than signed is refused", "type", body, func(h map[string]string) { h["Content-Type"] = "application/octet-stream" }, nil, time.Time{}, 403},
		{"a body with another checksum is refused", "sum", other[:len(body)], nil, nil, time.Time{}, 400},
		{"a changed checksum header is refused", "sumhdr", other[:len(body)], func(h map[string]string) { h["X-Amz-Checksum-Sha256"] = "AAAA" }, nil, time.Time{}, 403},
		{"an expired URL is refused", "late", body, nil, nil, time.Now().Add(16 * time.Minute), 403},
		{"a tampered signature is refused", "sig", body, nil, func(u string) string { return strings.Replace(u, "X-Amz-Signature=", "X-Amz-Signature=0", 1) }, time.Time{}, 403},
		{"a request without signature is refused", "anon", body, nil, func(u string) string { return u[:strings.Index(u, "?")] }, time.Time{}, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "documents/c/s/" + tt.key
			up, _ := f.blobs.PresignPut(ctx, key, "application/pdf", int64(len(body)), sum(body), 15*time.Minute)
			h := map[string]string{}
			for k, v := range up.Headers {
				h[k] = v
			}
			if tt.headers != nil {
				tt.headers(h)
			}
			u := up.URL
			if tt.url != nil {
				u = tt.url(u)
			}
			f.gate.Now = nil
			if !tt.now.IsZero() {
				f.gate.Now = func() time.Time { return tt.now }
			}
			defer func() { f.gate.Now = nil }()
			if code := put(t, u, h, tt.body); code != tt.want {
				t.Fatalf("status %d want %d", code, tt.want)
			}
			f.gate.Now = nil
			if f.exists(t, key) {
				t.Fatal("the object must not exist")
			}
		})
	}
}
