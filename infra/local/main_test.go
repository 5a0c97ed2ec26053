package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// What `make run` starts serves /v1/health well within 60 s of the
// command: here the clock starts before `go build`, as in `make run`.
func TestMakeRunServesHealthWithinAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	begin := time.Now()
	bin := filepath.Join(t.TempDir(), "sportello-local")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "SPORTELLO_DATA_DIR="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }() // killed by cancel: the exit status is expected to be an error
	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/v1/health"
	for time.Since(begin) < 60*time.Second {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				t.Logf("healthy %v after the command", time.Since(begin).Round(time.Millisecond))
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no healthy answer within 60 s")
}
