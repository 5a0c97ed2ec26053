package notify

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/submission"
)

func TestOutboxHoldsTheReceipt(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2025, 7, 31, 9, 59, 59, 0, time.UTC)
	sub := submission.Submission{ID: "sub_x", Org: "comune:015146", Protocol: &submission.Protocol{Number: "LOM-2025-0000042", At: at}}
	f := Mailer{Sender: Outbox{Dir: dir, Clock: clock.NewManual(at), Log: slog.New(slog.DiscardHandler)}}
	if err := f.Filed(context.Background(), sub, call.Call{Title: "Nidi Gratis Plus"}, "protocollo@pec.comune.milano.it"); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	b, _ := os.ReadFile(files[0])
	for _, want := range []string{"To: protocollo@pec.comune.milano.it", "LOM-2025-0000042", "31/07/2025 alle 11:59:59 (ora di Roma)", "Nidi Gratis Plus"} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("receipt lacks %q:\n%s", want, b)
		}
	}
}
