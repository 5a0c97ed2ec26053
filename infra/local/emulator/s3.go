package emulator

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/spf13/afero"
)

// S3 is a running embedded S3.
type S3 struct {
	URL     string
	Backend http.Handler // gofakes3 itself, without any front
	srv     *http.Server
}

// StartS3 listens on addr. With dir set, objects are files under dir/s3
// (streamed, so a 50 MB upload does not sit in memory) and survive a
// restart. front, if not nil, wraps gofakes3 (the local runtime puts a
// SigV4-verifying gate there, because gofakes3 checks no signature).
func StartS3(addr, dir string, front func(http.Handler) http.Handler) (*S3, error) {
	var backend gofakes3.Backend
	if dir == "" {
		backend = s3mem.New()
	} else {
		root := filepath.Join(dir, "s3")
		if err := os.MkdirAll(root, 0o700); err != nil {
			return nil, fmt.Errorf("s3 data dir: %w", err)
		}
		fs, err := s3afero.NewBasePathFs(afero.NewOsFs(), root, 0)
		if err != nil {
			return nil, fmt.Errorf("s3 fs: %w", err)
		}
		b, err := s3afero.MultiBucket(fs)
		if err != nil {
			return nil, fmt.Errorf("s3 backend: %w", err)
		}
		backend = b
	}
	fake := gofakes3.New(backend, gofakes3.WithAutoBucket(true), gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	h := http.Handler(fake)
	if front != nil {
		h = front(fake)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("s3 listen: %w", err)
	}
	s := &S3{URL: "http://" + ln.Addr().String(), Backend: fake, srv: &http.Server{Handler: h}}
	go s.srv.Serve(ln) //nolint:errcheck // ends with Close
	return s, nil
}

// Client returns a real SDK client (path-style addressing) for this emulator.
func (s *S3) Client() *s3.Client {
	return s3.New(s3.Options{
		Region: Region, Credentials: Credentials, BaseEndpoint: aws.String(s.URL), UsePathStyle: true,
		HTTPClient: sharedHTTP,
	})
}

// Close stops the server.
func (s *S3) Close() error { return s.srv.Close() }
