// Command uploadrss uploads a 1 MB and then a 50 MB document through the
// local runtime (pre-signed PUT → SigV4 gate → file-backed S3 →
// verification) and prints the process's peak resident memory after each,
// side by side: the upload path streams, so the peak should not grow with
// the file.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	samples "sportello/events"
	"sportello/infra/apiclient"
	"sportello/infra/local/server"
	"sportello/shared/auth"
	"sportello/shared/clock"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "uploadrss:", err)
		os.Exit(1)
	}
}

// peakRSS reads VmHWM (peak resident set) in MB.
func peakRSS() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func file(dir string, size int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("scan-%d.pdf", size))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.WriteString("%PDF-1.7\n"); err != nil {
		return "", err
	}
	if err := f.Truncate(size - 6); err != nil {
		return "", err
	}
	if _, err := f.Seek(size-6, 0); err != nil {
		return "", err
	}
	_, err = f.WriteString("%%EOF\n")
	return path, err
}

func run() error {
	dir, err := os.MkdirTemp("", "uploadrss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rt, err := server.Start(context.Background(), server.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "state"),
		Clock: clock.StartAt(clock.InRome(2025, 7, 20, 10, 0)), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer rt.Close()
	c, err := apiclient.New(rt.URL, nil)
	if err != nil {
		return err
	}
	ex, _ := samples.FS.ReadFile("submissions/lombardia-milano.json")
	var e struct {
		Org  string          `json:"org"`
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(ex, &e) //nolint:errcheck // an embedded example the tests decode strictly
	tok := rt.Token(auth.Principal{Subject: "clerk", Role: auth.RoleApplicant, Orgs: []string{e.Org}})
	sub, err := c.Draft(context.Background(), server.LombardiaCall, tok, e.Org, e.Data)
	if err != nil {
		return err
	}
	id := sub.Id
	fmt.Println("Upload memory: peak resident set of the whole local runtime (API, S3 gate, S3, documents function) after each upload")
	var peaks []float64
	for _, size := range []int64{1 << 20, 50 << 20} {
		path, err := file(dir, size)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		_, err = c.Upload(context.Background(), id, tok, "delibera_giunta", "", filepath.Base(path), "application/pdf", f, size)
		f.Close()
		if err != nil {
			return err
		}
		rt.WaitDocuments()
		peaks = append(peaks, peakRSS())
		fmt.Printf("%6.0f MB upload: peak RSS %6.1f MB\n", float64(size)/(1<<20), peaks[len(peaks)-1])
	}
	fmt.Printf("ratio peak(50 MB)/peak(1 MB) = %.2f; growth %.1f MB for 49 MB more file\n", peaks[1]/peaks[0], peaks[1]-peaks[0])
	return nil
}
