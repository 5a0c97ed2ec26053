package s3blobs

import (
	"bytes"
	"errors"
	"io"
	"net/url"
	"strings"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func urlEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func asAny(err error, targets ...any) bool {
	for _, t := range targets {
		if errors.As(err, t) {
			return true
		}
	}
	return false
}
