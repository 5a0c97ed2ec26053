package clock

import (
	"testing"
	"time"
)

func TestRomeOffsets(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		utc  string
	}{
		{"noon of 30 November 2025 is winter time, 11:00Z", InRome(2025, 11, 30, 12, 0), "2025-11-30T11:00:00Z"},
		{"noon of 18 May 2026 is summer time, 10:00Z", InRome(2026, 5, 18, 12, 0), "2026-05-18T10:00:00Z"},
		{"midnight opening 22 July 2025 is 21 July 22:00Z", InRome(2025, 7, 22, 0, 0), "2025-07-21T22:00:00Z"},
		{"noon of 1 October 2024 is summer time", InRome(2024, 10, 1, 12, 0), "2024-10-01T10:00:00Z"},
		{"noon of 31 January 2025 is winter time", InRome(2025, 1, 31, 12, 0), "2025-01-31T11:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.at.UTC().Format(time.RFC3339); got != tt.utc {
				t.Fatalf("got %s want %s", got, tt.utc)
			}
		})
	}
}

func TestStartedRunsFromStart(t *testing.T) {
	start := InRome(2026, 5, 18, 11, 59)
	c := StartAt(start)
	if d := c.Now().Sub(start); d < 0 || d > time.Second {
		t.Fatalf("clock drifted %v", d)
	}
}

func TestFormatRome(t *testing.T) {
	if got := FormatRome(time.Date(2026, 5, 18, 10, 0, 0, 0, time.UTC)); got != "18/05/2026 alle 12:00:00 (ora di Roma)" {
		t.Fatal(got)
	}
}

func TestParseInstant(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"summer offset is accepted", "2026-05-18T12:00:00+02:00", true},
		{"UTC Z is accepted", "2026-05-18T10:00:00Z", true},
		{"milliseconds are accepted", "2026-05-18T11:59:59.999+02:00", true},
		{"a local time without offset is refused", "2026-05-18T12:00:00", false},
		{"a date alone is refused", "2026-05-18", false},
		{"an Italian date is refused", "18/05/2026 12:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseInstant(tt.in); (err == nil) != tt.ok {
				t.Fatalf("ParseInstant(%q) err=%v", tt.in, err)
			}
		})
	}
}

func FuzzParseInstant(f *testing.F) {
	for _, s := range []string{"2026-05-18T12:00:00+02:00", "2026-05-18T12:00:00", "", "9999-99-99T99:99:99Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		at, err := ParseInstant(s)
		if err == nil {
			if _, err := ParseInstant(at.Format(time.RFC3339Nano)); err != nil {
				t.Fatalf("%q parsed but its rendering does not", s)
			}
		}
	})
}
