package rendiconto

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/nidigratis"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/program/lombardia"
)

// child makes a valid codice fiscale for the n-th test child (born 2023 or 2024).
func child(n int, born2024 bool) string {
	year := "23"
	if born2024 {
		year = "24"
	}
	return program.CompletePersonCode(fmt.Sprintf("BMB%s%sA%02dF205", string(rune('A'+n%26)), "XX"[:2]+year, 1+n%28))
}

var admitted = map[string]bool{"NIDO-MI-01": true, "NIDO-MI-02": true}

func line(n, month int) Line {
	return Line{Child: fmt.Sprintf("c%d", n), ChildCF: child(n, false), Facility: "NIDO-MI-01", Month: month,
		Fee: money.Euros(600), Band: BandFull, Evidence: "registro-2025/" + fmt.Sprint(n)}
}

func TestChildFixturesAreValidCodes(t *testing.T) {
	for n := range 30 {
		for _, b := range []bool{false, true} {
			if cf := child(n, b); !program.ValidPersonCode(cf) {
				t.Fatalf("child(%d,%v) = %q is not a valid code", n, b, cf)
			}
		}
	}
}

func TestAssessRules(t *testing.T) {
	period := Period{From: 1, To: 4}
	tests := []struct {
		name  string
		edit  func(*Line)
		field string
		code  string
	}{
		{"a fee already paid by the family is refused even if reimbursed later", func(l *Line) { l.PaidByFamily = true }, "lines[0].paidByFamily", CodePaidByFamily},
		{"a facility not admitted for the Comune is refused", func(l *Line) { l.Facility = "NIDO-BG-09" }, "lines[0].facility", CodeNotAdmitted},
		{"a month outside the period is refused", func(l *Line) { l.Month = 5 }, "lines[0].month", CodeOutsidePeriod},
		{"month 12 does not exist", func(l *Line) { l.Month = 12 }, "lines[0].month", problem.FieldInvalid},
		{"a fee not above the INPS bonus leaves nothing to claim", func(l *Line) { l.Fee = nidigratis.BonusMonthly }, "lines[0].fee", CodeNoExcess},
		{"a zero fee is refused", func(l *Line) { l.Fee = 0 }, "lines[0].fee", problem.FieldInvalid},
		{"an ISEE band outside the measure is refused", func(l *Line) { l.Band = "oltre_25000" }, "lines[0].iseeBand", problem.FieldInvalid},
		{"a wrong codice fiscale of the child is refused", func(l *Line) { l.ChildCF = "RSSMRA85T10A562T" }, "lines[0].childFiscalCode", problem.FieldInvalid},
		{"the pseudonymous id must be short and plain", func(l *Line) { l.Child = "Mario Rossi" }, "lines[0].child", problem.FieldInvalid},
		{"attendance evidence is required", func(l *Line) { l.Evidence = "" }, "lines[0].attendanceEvidence", problem.FieldRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := line(1, 2)
			tt.edit(&l)
			_, err := Assess(period, []Line{l}, admitted)
			p, ok := problem.As(err)
			if !ok {
				t.Fatalf("want a problem, got %v", err)
			}
			if len(p.Fields) != 1 || p.Fields[0].Field != tt.field || p.Fields[0].Code != tt.code {
				t.Fatalf("want exactly %s %s, got %+v", tt.field, tt.code, p.Fields)
			}
		})
	}
	t.Run("the same child and month twice is refused on the second line", func(t *testing.T) {
		_, err := Assess(period, []Line{line(1, 2), line(1, 2)}, admitted)
		p, _ := problem.As(err)
		if p == nil || len(p.Fields) != 1 || p.Fields[0].Field != "lines[1].month" || p.Fields[0].Code != CodeRepeated {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("codes are normalised: a facility in lower case is the admitted one", func(t *testing.T) {
		l := line(1, 2)
		l.Facility = " nido-mi-01 "
		as, err := Assess(period, []Line{l}, admitted)
		if err != nil || as[0].Facility != "NIDO-MI-01" {
			t.Fatalf("got %v %v", as, err)
		}
	})
}

func TestAssessUsesTheCalculator(t *testing.T) {
	tests := []struct {
		name   string
		fee    string
		band   Band
		born24 bool
		month  int
		region string
	}{
		{"ISEE up to 20000 gets the whole excess over 272.73", "600.00", BandFull, false, 1, "327.27"},
		{"the 11th month uses the 272.70 bonus", "600.00", BandFull, false, 11, "327.30"},
		{"born from 2024 uses the 327.27 bonus", "600.00", BandFull, true, 3, "272.73"},
		{"born from 2024, 11th month, 327.30", "600.00", BandFull, true, 11, "272.70"},
		{"ISEE 20000.01-25000 is capped at 100 a month", "600.00", BandPartial, false, 2, "100.00"},
		{"ISEE 20000.01-25000 below the cap gets the excess", "300.00", BandPartial, false, 2, "27.27"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := line(2, tt.month)
			l.Fee, _ = money.Parse(tt.fee)
			l.Band, l.BornFrom2024 = tt.band, tt.born24
			l.ChildCF = child(2, tt.born24)
			as, err := Assess(Period{From: 1, To: 11}, []Line{l}, admitted)
			if err != nil {
				t.Fatal(err)
			}
			if got := as[0].RegionShare.String(); got != tt.region {
				t.Fatalf("region share %s, want %s", got, tt.region)
			}
		})
	}
}

func TestAdvances(t *testing.T) {
	bases := []Basis{{Org: "comune:015146", Historical: money.Euros(1_000_000)}, {Org: "comune:016024", Historical: 333_333_33}, {Org: "comune:098031", Historical: 1}}
	t.Run("30 percent of each basis, rounded down so no advance exceeds it", func(t *testing.T) {
		adv, err := Advances(bases, 3000, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []money.Cents{300_000_00, 99_999_99, 0}
		for i, a := range adv {
			if a.Amount != want[i] {
				t.Errorf("%s: %s, want %s", a.Org, a.Amount, want[i])
			}
		}
	})
	t.Run("a fixed total is split in proportion, to the cent, within each 30 percent", func(t *testing.T) {
		total := money.Cents(100_000_01)
		adv, err := Advances(bases, 3000, &total)
		if err != nil {
			t.Fatal(err)
		}
		var sum money.Cents
		for _, a := range adv {
			sum += a.Amount
			if a.Amount > a.Historical.MulDivFloor(3000, 10000) {
				t.Errorf("%s above 30%%: %s", a.Org, a.Amount)
			}
		}
		if sum != total {
			t.Fatalf("advances sum to %s, want %s", sum, total)
		}
	})
	t.Run("more than 30 percent is refused", func(t *testing.T) {
		_, err := Advances(bases, 3001, nil)
		if p, _ := problem.As(err); p == nil || p.Fields[0].Field != "percentBasisPoints" {
			t.Fatalf("got %v", err)
		}
	})
}

func TestDueDate(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := clock.ParseInstant(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name        string
		transmitted string
		susp        []Suspension
		want        string // Rome date
		known       bool
	}{
		{"60 calendar days from the transmission day", "2026-01-15T10:00:00+01:00", nil, "2026-03-16", true},
		{"across the March DST change the day stays a Rome day", "2026-03-01T23:30:00+01:00", nil, "2026-04-30", true},
		{"a request transmitted at 00:30 Rome (23:30Z the day before) counts from the Rome day", "2026-10-24T00:30:00+02:00", nil, "2026-12-23", true},
		{"a clarification of 10 days moves the date by 10 days, across the October DST change", "2026-09-10T12:00:00+02:00",
			[]Suspension{{From: at("2026-10-20T09:00:00+02:00"), Until: at("2026-10-30T17:00:00+01:00")}}, "2026-11-19", true},
		{"while a clarification is open the due date is not known", "2026-09-10T12:00:00+02:00",
			[]Suspension{{From: at("2026-10-20T09:00:00+02:00")}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			due, ok := DueDate(at(tt.transmitted), tt.susp)
			if ok != tt.known {
				t.Fatalf("known = %v, want %v", ok, tt.known)
			}
			if ok && due.Format("2006-01-02") != tt.want {
				t.Fatalf("due %s, want %s", due.Format(time.RFC3339), tt.want)
			}
			if ok && (due.Location() != clock.Rome || due.Hour() != 0) {
				t.Fatalf("due is not a Rome midnight: %s", due)
			}
		})
	}
}

func TestClaimLifecycle(t *testing.T) {
	now := clock.InRome(2026, 1, 10, 9, 0)
	c, err := NewClaim("rc_1", "call", "sub", "comune:015146", Period{From: 1, To: 4},
		[]Line{line(1, 1), line(1, 2), line(2, 1)}, admitted, money.Euros(500), now)
	if err != nil {
		t.Fatal(err)
	}
	// 3 × 327.27 = 981.81 claimed; 500.00 of advance deducted.
	if c.Claimed != 981_81 || c.AdvanceOffset != 500_00 || c.Net != 481_81 {
		t.Fatalf("claimed %s offset %s net %s", c.Claimed, c.AdvanceOffset, c.Net)
	}
	if err := c.Approve(now, nil, 0); problem.CodeOf(err) != problem.CodeConflict {
		t.Fatalf("approving a draft: %v", err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Transmit("LOM-2026-0000007", now, false))
	must(c.AskClarification(now.AddDate(0, 0, 5), "Registro di gennaio?"))
	if _, ok := c.DueDate(); ok {
		t.Fatal("due date known while the clock is stopped")
	}
	must(c.Answer(now.AddDate(0, 0, 12), "Allegato il registro."))
	due, _ := c.DueDate()
	if want := clock.InRome(2026, 3, 18, 0, 0); !due.Equal(want) { // 10/01 + 60 + 7
		t.Fatalf("due %s want %s", due, want)
	}
	err = c.Approve(now, []Reduction{{Line: 2, Amount: 1_00_00, Code: "no-such"}}, money.Euros(500))
	if p, _ := problem.As(err); p == nil || p.Fields[0].Field != "reductions[0].code" {
		t.Fatalf("unknown reduction code: %v", err)
	}
	must(c.Approve(now, []Reduction{{Line: 2, Amount: 100_00, Code: "attendance_not_proven"}}, money.Euros(500)))
	if c.Approved != 381_81 {
		t.Fatalf("approved %s", c.Approved)
	}
	if err := c.Pay(Payment{Amount: 381_82, Reference: "M1"}); err == nil {
		t.Fatal("overpayment accepted")
	}
	must(c.Pay(Payment{Amount: 381_81, Reference: "M1", At: now}))
	if c.State != StatePaid {
		t.Fatalf("state %s", c.State)
	}
	if err := c.Recover(Recovery{Amount: 381_82, Code: "fee_not_due"}); err == nil {
		t.Fatal("recovery above paid accepted")
	}
	must(c.Recover(Recovery{Amount: 100_00, Code: "fee_not_due", At: now}))
}

func TestARequestBeyondTheBudgetIsFlaggedNotCut(t *testing.T) {
	b := BudgetOf(money.Euros(1000), []Advance{{Org: "org", Amount: money.Euros(300)}}, nil)
	if b.Available != money.Euros(700) || b.Exceeds(money.Euros(700)) || !b.Exceeds(money.Euros(700)+1) {
		t.Fatalf("budget %+v", b)
	}
	c, err := NewClaim("rc_1", "call", "sub", "org", Period{From: 1, To: 4}, []Line{line(1, 1)}, admitted, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Transmit("P", time.Time{}, true); err != nil || !c.OverBudget || c.Net != c.Claimed {
		t.Fatalf("flagged request: %+v %v", c, err)
	}
}

// TestPropertyApprovedNeverAboveClaimed draws random claims, reductions and
// payments: approved ≤ claimed, every line's region share equals the
// calculator's, and the budget always adds up.
func TestPropertyApprovedNeverAboveClaimed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for iter := range 300 {
		advance := money.Cents(rng.Int64N(2_000_00))
		var claims []Claim
		for k := range 1 + rng.IntN(3) {
			var lines []Line
			for n := range 1 + rng.IntN(12) {
				l := line(n, 1+rng.IntN(11))
				l.Fee = nidigratis.BonusMonthly2024 + 1 + money.Cents(rng.Int64N(900_00))
				l.BornFrom2024 = rng.IntN(2) == 0
				l.ChildCF = child(n+30*k, l.BornFrom2024)
				if rng.IntN(2) == 0 {
					l.Band = BandPartial
				}
				lines = append(lines, l)
			}
			c, err := NewClaim(fmt.Sprintf("rc_%d", k), "call", "sub", "org", Period{From: 1, To: 11}, lines, admitted,
				AdvanceLeft(advance, claims, ""), time.Time{})
			if err != nil {
				t.Fatalf("iteration %d: %v", iter, err)
			}
			for i, l := range c.Lines {
				isee, _ := l.Band.iseeOf()
				want := nidigratis.Compute(nidigratis.Input{Fee: l.Fee, ISEE: isee, BornFrom2024: l.BornFrom2024, Month: l.Month})
				if l.RegionShare != want.RegionShare || l.INPSBonus != want.INPSBonus {
					t.Fatalf("line %d: %+v, calculator %+v", i, l, want)
				}
			}
			if err := c.Transmit("P", time.Time{}, false); err != nil {
				t.Fatal(err)
			}
			var red []Reduction
			for i, l := range c.Lines {
				if rng.IntN(4) == 0 {
					red = append(red, Reduction{Line: i, Amount: 1 + money.Cents(rng.Int64N(int64(l.RegionShare))), Code: "fee_not_due"})
				}
			}
			if err := c.Approve(time.Time{}, red, AdvanceLeft(advance, claims, c.ID)); err != nil {
				t.Fatal(err)
			}
			if c.Approved > c.Claimed || c.Approved < 0 {
				t.Fatalf("approved %s claimed %s", c.Approved, c.Claimed)
			}
			if c.Approved > 0 && rng.IntN(2) == 0 {
				if err := c.Pay(Payment{Amount: c.Approved, Reference: "M"}); err != nil {
					t.Fatal(err)
				}
			}
			claims = append(claims, c)
		}
		adv := []Advance{{Org: "org", Amount: advance}}
		b := BudgetOf(lombardia.New().AnnualBudget(), adv, claims)
		var approved, offsets, paid money.Cents
		for _, c := range claims {
			_, rec := Sum(c.Lines)
			approved += rec
			offsets += c.AdvanceOffset
			paid += c.Paid()
		}
		if offsets > advance {
			t.Fatalf("offsets %s exceed the advance %s", offsets, advance)
		}
		if b.Available != b.Allocation-b.Advanced-b.Committed-b.Paid || b.Paid != paid {
			t.Fatalf("budget does not add up: %+v", b)
		}
		// Everything recognised is either offset by the advance, paid, or committed.
		if approved != offsets+b.Paid+b.Committed {
			t.Fatalf("recognised %s ≠ offsets %s + paid %s + committed %s", approved, offsets, b.Paid, b.Committed)
		}
	}
}
