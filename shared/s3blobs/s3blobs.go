// Package s3blobs is the S3 adapter: pre-signed uploads that S3 itself
// holds to the declared length, type and SHA-256, pre-signed downloads,
// and streamed reads for verification.
package s3blobs

import (
	"sportello/shared/document"

	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Blobs is one bucket.
type Blobs struct {
	Client *s3.Client
	Bucket string
}

// Upload is a pre-signed PUT (the domain's type).
type Upload = document.Upload

// PresignPut signs a PUT of key that S3 accepts only with this length,
// content type and SHA-256 checksum (all three are signed headers; S3
// verifies the checksum against the body and refuses a mismatch).
func (b *Blobs) PresignPut(ctx context.Context, key, contentType string, size int64, sha256Hex string, ttl time.Duration) (Upload, error) {
	raw, err := hex.DecodeString(sha256Hex)
	if err != nil || len(raw) != 32 {
		return Upload{}, fmt.Errorf("presign %s: bad sha256", key)
	}
	sum := base64.StdEncoding.EncodeToString(raw)
	req, err := s3.NewPresignClient(b.Client).PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: &b.Bucket, Key: &key, ContentType: &contentType, ContentLength: aws.Int64(size),
		ChecksumSHA256: &sum, ChecksumAlgorithm: types.ChecksumAlgorithmSha256,
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return Upload{}, fmt.Errorf("presign put %s: %w", key, err)
	}
	headers := map[string]string{}
	for k, v := range req.SignedHeader {
		if http.CanonicalHeaderKey(k) == "Host" {
			continue
		}
		if len(v) > 0 {
			headers[http.CanonicalHeaderKey(k)] = v[0]
		}
	}
	// Make the contract explicit even where the signer folded a header in.
	headers["Content-Type"] = contentType
	headers["Content-Length"] = fmt.Sprint(size)
	headers["X-Amz-Checksum-Sha256"] = sum
	return Upload{URL: req.URL, Method: req.Method, Headers: headers, ExpiresAt: time.Now().Add(ttl)}, nil
}

// PresignGet signs a download that names the file as the applicant did.
func (b *Blobs) PresignGet(ctx context.Context, key, filename string, ttl time.Duration) (string, time.Time, error) {
	disp := fmt.Sprintf("attachment; filename*=UTF-8''%s", strings.ReplaceAll(url.QueryEscape(filename), "+", "%20"))
	req, err := s3.NewPresignClient(b.Client).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &b.Bucket, Key: &key, ResponseContentDisposition: &disp,
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("presign get %s: %w", key, err)
	}
	return req.URL, time.Now().Add(ttl), nil
}

// Open streams an object.
func (b *Blobs) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	out, err := b.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.Bucket, Key: &key})
	if err != nil {
		return nil, 0, fmt.Errorf("get %s: %w", key, err)
	}
	return out.Body, aws.ToInt64(out.ContentLength), nil
}

// Put writes an object the server made (exports).
func (b *Blobs) Put(ctx context.Context, key, contentType string, body []byte) error {
	_, err := b.Client.PutObject(ctx, &s3.PutObjectInput{Bucket: &b.Bucket, Key: &key, ContentType: &contentType,
		Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// EnsureBucket creates the bucket (local runtime and tests only).
func (b *Blobs) EnsureBucket(ctx context.Context) error {
	_, err := b.Client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &b.Bucket})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("create bucket %s: %w", b.Bucket, err)
	}
	return nil
}
