package call

import (
	"strings"
	"testing"
	"time"

	"sportello/shared/clock"
	"sportello/shared/problem"
)

func lombardy() Call {
	c, err := New("lom", "LOM", Spec{Program: "lombardia-ngp-2025", Title: "Nidi Gratis Plus", Windows: []WindowSpec{
		{ID: "w1", OpensAt: rfc(clock.InRome(2025, 7, 1, 12, 0)), ClosesAt: rfc(clock.InRome(2025, 7, 31, 12, 0))},
		{ID: "w2", OpensAt: rfc(clock.InRome(2025, 8, 26, 12, 0)), ClosesAt: rfc(clock.InRome(2025, 9, 10, 12, 0))},
	}}, "officer", time.Now())
	if err != nil {
		panic(err)
	}
	return c
}

func TestWindowIsHalfOpen(t *testing.T) {
	noon := clock.InRome(2026, 5, 18, 12, 0)
	w := Window{OpensAt: clock.InRome(2026, 4, 27, 12, 0), ClosesAt: noon}
	tests := []struct {
		name string
		at   time.Time
		want State
	}{
		{"one millisecond before opening is scheduled", w.OpensAt.Add(-time.Millisecond), Scheduled},
		{"the opening instant is open", w.OpensAt, Open},
		{"11:59:59.999 on the closing day is open", noon.Add(-time.Millisecond), Open},
		{"12:00:00.000 on the closing day is closed", noon, Closed},
		{"the closing noon is 10:00Z in summer time", time.Date(2026, 5, 18, 9, 59, 59, 999e6, time.UTC), Open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.State(tt.at); got != tt.want {
				t.Fatalf("got %s want %s", got, tt.want)
			}
		})
	}
}

func TestCallStateAcrossTwoWindows(t *testing.T) {
	c := lombardy()
	tests := []struct {
		name string
		at   time.Time
		want State
	}{
		{"before the first window is scheduled", clock.InRome(2025, 6, 30, 12, 0), Scheduled},
		{"inside the first window is open", clock.InRome(2025, 7, 15, 9, 0), Open},
		{"between the windows is scheduled", clock.InRome(2025, 8, 10, 9, 0), Scheduled},
		{"inside the second window is open", clock.InRome(2025, 9, 10, 11, 59), Open},
		{"after the last window is closed", clock.InRome(2025, 9, 10, 12, 0), Closed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.State(tt.at); got != tt.want {
				t.Fatalf("got %s want %s", got, tt.want)
			}
		})
	}
}

func TestCheckFiling(t *testing.T) {
	c := lombardy()
	tests := []struct {
		name string
		at   time.Time
		code string
	}{
		{"filed 1 ms before the first close is accepted", clock.InRome(2025, 7, 31, 12, 0).Add(-time.Millisecond), ""},
		{"filed at the first close is between windows: the first window closed", clock.InRome(2025, 7, 31, 12, 0), problem.CodeWindowClosed},
		{"filed before opening is not open", clock.InRome(2025, 7, 1, 11, 59), problem.CodeWindowNotOpen},
		{"filed 1 ms after the last close is closed", clock.InRome(2025, 9, 10, 12, 0).Add(time.Millisecond), problem.CodeWindowClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.CheckFiling(tt.at)
			if got := codeOrEmpty(err); got != tt.code {
				t.Fatalf("got %q (%v) want %q", got, err, tt.code)
			}
		})
	}
}

func codeOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return problem.CodeOf(err)
}

func TestProtocolPrefixUsesRomeYear(t *testing.T) {
	// Opening at 00:30 Rome on 1 January is still 31 December in UTC.
	c, err := New("x", "FVG", Spec{Program: "p", Title: "t", Windows: []WindowSpec{
		{OpensAt: rfc(time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)), ClosesAt: rfc(clock.InRome(2026, 2, 1, 12, 0))},
	}}, "o", time.Now())
	if err != nil || c.ProtocolPrefix != "FVG-2026" {
		t.Fatalf("got %q %v", c.ProtocolPrefix, err)
	}
}

func TestNewRejectsBadWindows(t *testing.T) {
	_, err := New("x", "PIE", Spec{Program: "p", Title: "t", Windows: []WindowSpec{
		{ID: "a", OpensAt: rfc(clock.InRome(2026, 5, 1, 12, 0)), ClosesAt: rfc(clock.InRome(2026, 4, 1, 12, 0))},
		{ID: "a", OpensAt: rfc(clock.InRome(2026, 4, 15, 12, 0)), ClosesAt: rfc(clock.InRome(2026, 6, 1, 12, 0))},
	}}, "o", time.Now())
	p, ok := problem.As(err)
	if !ok || len(p.Fields) < 2 {
		t.Fatalf("want field errors, got %v", err)
	}
}

func TestExtend(t *testing.T) {
	c := lombardy()
	now := clock.InRome(2025, 7, 20, 10, 0)
	// A deadline moved from summer time into winter time keeps its Rome wall clock.
	winter := clock.InRome(2025, 11, 30, 12, 0)
	c2 := c
	c2.Windows = c.Windows[:1]
	moved, old, err := c2.Extend("w1", winter, now)
	if err != nil {
		t.Fatal(err)
	}
	if old.ClosesAt.UTC().Hour() != 10 || moved.Windows[0].ClosesAt.UTC().Format(time.RFC3339) != "2025-11-30T11:00:00Z" {
		t.Fatalf("old %v new %v", old.ClosesAt.UTC(), moved.Windows[0].ClosesAt.UTC())
	}
	if c2.Windows[0].ClosesAt.Equal(winter) {
		t.Fatal("Extend must not modify the original call")
	}
	tests := []struct {
		name     string
		window   string
		closesAt time.Time
		now      time.Time
		code     string
	}{
		{"a closed window cannot be extended", "w1", clock.InRome(2025, 8, 1, 12, 0), clock.InRome(2025, 7, 31, 12, 0), problem.CodeConflict},
		{"a deadline in the past is refused", "w1", clock.InRome(2025, 7, 19, 12, 0), now, problem.CodeValidation},
		{"overlapping the next window is refused", "w1", clock.InRome(2025, 8, 27, 12, 0), now, problem.CodeValidation},
		{"an unknown window is not found", "w9", winter, now, problem.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.Extend(tt.window, tt.closesAt, tt.now)
			if got := codeOrEmpty(err); got != tt.code {
				t.Fatalf("got %q want %q", got, tt.code)
			}
		})
	}
}

func rfc(t time.Time) string { return t.Format(time.RFC3339) }

func TestNewRequiresOffsets(t *testing.T) {
	_, err := New("x", "PIE", Spec{Program: "p", Title: "t", Windows: []WindowSpec{
		{OpensAt: "2026-04-27T12:00:00", ClosesAt: ""},
	}}, "o", time.Now())
	p, _ := problem.As(err)
	if p == nil || len(p.Fields) != 2 || p.Fields[0].Field != "windows[0].opensAt" || p.Fields[1].Code != problem.FieldRequired {
		t.Fatalf("got %+v", p)
	}
}

// A deadline the act gives as a day only is stored as 00:00 Rome of the
// next day and shown as the act wrote it.
func TestDateOnlyDeadlineIsShownAsTheActWroteIt(t *testing.T) {
	c, err := New("c", "FVG", Spec{Program: "p", Title: "t", Windows: []WindowSpec{{OpensAt: "2025-06-16T00:00:00+02:00", ClosesOn: "2025-07-21"}}}, "o", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.InRome(2025, 7, 22, 0, 0); !c.Last().ClosesAt.Equal(want) {
		t.Fatalf("closes at %v, want %v", c.Last().ClosesAt, want)
	}
	if got := c.Last().Deadline(); got != "entro il 21/07/2025" {
		t.Fatalf("deadline %q", got)
	}
	err = c.CheckFiling(clock.InRome(2025, 7, 22, 0, 0))
	if p, _ := problem.As(err); p == nil || !strings.Contains(p.Detail, "era entro il 21/07/2025;") || strings.Contains(p.Detail, "scaduto il 22/07/2025") {
		t.Fatalf("late filing: %v", err)
	}
	if c.CheckFiling(clock.InRome(2025, 7, 21, 23, 59)) != nil {
		t.Fatal("21/07 23:59 is in time")
	}
	// Extended to another midnight it stays date-only; to an hour it is an instant.
	next, _, err := c.Extend("w1", clock.InRome(2025, 7, 29, 0, 0), clock.InRome(2025, 7, 1, 0, 0))
	if err != nil || next.Last().Deadline() != "entro il 28/07/2025" {
		t.Fatalf("extended: %v %q", err, next.Last().Deadline())
	}
	next, _, _ = c.Extend("w1", clock.InRome(2025, 7, 29, 12, 0), clock.InRome(2025, 7, 1, 0, 0))
	if next.Last().Deadline() != "entro il 29/07/2025 alle 12:00:00 (ora di Roma)" {
		t.Fatalf("extended to noon: %q", next.Last().Deadline())
	}
	// Both forms at once are refused.
	if _, err := New("c", "FVG", Spec{Program: "p", Title: "t", Windows: []WindowSpec{{OpensAt: "2025-06-16T00:00:00+02:00", ClosesAt: "2025-07-22T00:00:00+02:00", ClosesOn: "2025-07-21"}}}, "o", time.Now()); err == nil {
		t.Fatal("closesAt and closesOn together accepted")
	}
}
