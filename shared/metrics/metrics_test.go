package metrics

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestCountWritesOneEmbeddedMetricFormatLine(t *testing.T) {
	var buf bytes.Buffer
	Enable(&buf)
	defer Enable(nil)
	now = func() time.Time { return time.UnixMilli(1779098400000) }
	defer func() { now = time.Now }()
	Count(Refusals, "Code", "window_closed")
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	want := `{"Code":"window_closed","Refusals":1,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["Code"]],"Metrics":[{"Name":"Refusals","Unit":"Count"}],"Namespace":"Sportello"}],"Timestamp":1779098400000}}`
	if b, _ := json.Marshal(got); string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestNothingIsWrittenUntilEnabled(t *testing.T) {
	Enable(nil)
	Count(Filings) // must not panic or write anywhere
	var buf bytes.Buffer
	Enable(&buf)
	defer Enable(nil)
	Count(Filings)
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Fatalf("%q", buf.String())
	}
}
