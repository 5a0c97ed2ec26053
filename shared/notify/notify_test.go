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

// The receipt is composed into an outbox message keyed by the change
// (application and version); the local mail sink names its file by that
// key, so delivering it twice leaves one e-mail.
func TestOutboxHoldsTheReceipt(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2025, 7, 31, 9, 59, 59, 0, time.UTC)
	sub := submission.Submission{ID: "sub_x", CallID: "call_1", Version: 3, Org: "comune:015146", Protocol: &submission.Protocol{Number: "LOM-2025-0000042", At: at}}
	m := Mailer{}.Receipt(sub, call.Call{Title: "Nidi Gratis Plus"}, "protocollo@pec.comune.milano.it")
	if m.ID != "sub_x-v3-receipt" || m.To != "protocollo@pec.comune.milano.it" || m.CallID != "call_1" || m.SubmissionID != "sub_x" {
		t.Fatalf("receipt message: %+v", m)
	}
	sink := Courier{Sender: Outbox{Dir: dir, Clock: clock.NewManual(at), Log: slog.New(slog.DiscardHandler)}}
	for range 2 {
		if err := sink.Deliver(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("two deliveries of one message: files %v, want one", files)
	}
	b, _ := os.ReadFile(files[0])
	for _, want := range []string{"To: protocollo@pec.comune.milano.it", IdempotencyHeader + ": sub_x-v3-receipt", "LOM-2025-0000042", "31/07/2025 alle 11:59:59 (ora di Roma)", "Nidi Gratis Plus"} {
		if !strings.Contains(string(b), want) {
			t.Fatalf("receipt lacks %q:\n%s", want, b)
		}
	}
}

func TestAnIntegrationNoticeNeedsTheRegionsOffice(t *testing.T) {
	at := time.Date(2025, 7, 31, 9, 59, 59, 0, time.UTC)
	sub := submission.Submission{ID: "sub_x", Region: "PIE", Version: 5, Protocol: &submission.Protocol{Number: "PIE-2025-0000001", At: at},
		Integrations: []submission.Integration{{Protocol: submission.Protocol{Number: "PIE-2025-0000009", At: at}}}}
	if _, ok := (Mailer{}).IntegrationNotice(sub, call.Call{}); ok {
		t.Fatal("a Region without an office address has no notice")
	}
	m, ok := Mailer{Offices: ParseOffices("PIE=uffici@regione.example.it")}.IntegrationNotice(sub, call.Call{})
	if !ok || m.To != "uffici@regione.example.it" || m.ID != "sub_x-v5-office" || !strings.Contains(m.Subject, "PIE-2025-0000009") {
		t.Fatalf("notice %+v", m)
	}
}
