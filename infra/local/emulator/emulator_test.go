package emulator

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestS3KeepsObjectsAcrossRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := StartS3("127.0.0.1:0", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("docs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("docs"), Key: aws.String("a/b"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := StartS3("127.0.0.1:0", dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	out, err := s2.Client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("docs"), Key: aws.String("a/b")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	if string(b) != "hello" {
		t.Fatalf("got %q", b)
	}
}
