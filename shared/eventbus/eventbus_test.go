package eventbus

import "testing"

func TestDecodeFunds(t *testing.T) {
	ev := `{"version":"0","id":"x","detail-type":"FundsAnnounced","source":"sportello","detail":{"callId":"c","allocationId":"a"}}`
	if f, err := DecodeFunds([]byte(ev)); err != nil || f.CallID != "c" || f.AllocationID != "a" {
		t.Fatalf("%+v %v", f, err)
	}
	if _, err := DecodeFunds([]byte(`{"callId":"c","allocationId":"a"}`)); err != nil {
		t.Fatal("direct invoke must work")
	}
	for _, bad := range []string{`{"detail-type":"Other","source":"sportello","detail":{}}`, `{"callId":"c"}`, `[`} {
		if _, err := DecodeFunds([]byte(bad)); err == nil {
			t.Fatalf("accepted %s", bad)
		}
	}
}

func FuzzDecodeFunds(f *testing.F) {
	f.Add([]byte(`{"detail-type":"FundsAnnounced","source":"sportello","detail":{"callId":"c","allocationId":"a"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fu, err := DecodeFunds(b); err == nil && (fu.CallID == "" || fu.AllocationID == "") {
			t.Fatal("empty ids accepted")
		}
	})
}
