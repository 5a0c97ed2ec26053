// Package rendiconto holds what happens to Lombardy's "Nidi Gratis Plus"
// money after a Comune is admitted (seed 004, DGR premises, Avviso C.4,
// C4.a, C4.b; for officers: docs/rendicontazione.md):
//
//   - an advance (anticipo) of at most 30 % of each Comune's contribution
//     estimated from the historical data of previous editions;
//   - periodic claims (rendicontazioni) filed by the Comune "in nome e per
//     conto delle famiglie": one line per child and month, with the whole
//     monthly fee; the excess over the INPS bonus and the Region's share
//     come from shared/nidigratis, the one calculator;
//   - the recognisable amount net of the advance, the officer's review
//     (clarifications that stop the 60-day clock, reductions with a coded
//     reason), payments and recovery orders;
//   - the call's budget, always exact.
//
// Everything is integer cents; nothing here knows about storage or HTTP.
package rendiconto

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"sportello/shared/clock"
	"sportello/shared/money"
	"sportello/shared/nidigratis"
	"sportello/shared/problem"
	"sportello/shared/program"
	"sportello/shared/riparto"
	"sportello/shared/submission"
)

// MaxAdvanceBP is the advance ceiling in basis points: "fino a un massimo
// del 30% del contributo erogabile".
const MaxAdvanceBP = 3000

// PaymentDays is the time the Region has to pay a liquidation request
// (C4.a: "Entro 60 giorni dalla presentazione della richiesta di
// liquidazione").
const PaymentDays = 60

// Codes of refused lines and of reductions: stable, shown to officers and
// Comuni.
const (
	CodePaidByFamily   = "paid_by_family" // C4.b: fees already paid by the family are never claimable
	CodeNoExcess       = "no_excess"      // the fee does not exceed the INPS bonus
	CodeNotAdmitted    = "facility_not_admitted"
	CodeOutsidePeriod  = "month_outside_period"
	CodeRepeated       = "child_month_repeated" // the same child and month twice
	CodeOverBudget     = "over_budget"          // flagged for the officer, never cut silently
	CodeReductionOther = "other"
)

// ReductionCodes are the reasons an officer may give for reducing a line.
var ReductionCodes = map[string]string{
	"attendance_not_proven": "Frequenza non documentata",
	"fee_not_due":           "Retta non dovuta secondo il regolamento comunale",
	"isee_band_wrong":       "Fascia ISEE non corrispondente",
	"paid_by_family":        "Retta già pagata dalla famiglia (C4.b)",
	"child_not_admitted":    "Bambino non ammesso alla Misura",
	CodeReductionOther:      "Altro (vedere le note)",
}

// Band is the child's ISEE minorenni band as the Comune declares it.
type Band string

// The bands the Region pays in (above 25,000.00 a child is not admitted).
const (
	BandFull    Band = "fino_20000"  // ISEE ≤ 20,000.00: the whole excess
	BandPartial Band = "20000_25000" // 20,000.01–25,000.00: at most 100.00 a month
)

// iseeOf is the ISEE that stands for a band in the calculator: the band's
// upper bound, which the calculator treats exactly as any ISEE in the band.
func (b Band) iseeOf() (money.Cents, bool) {
	switch b {
	case BandFull:
		return nidigratis.FullCoverMaxISEE, true
	case BandPartial:
		return nidigratis.PartCoverMaxISEE, true
	}
	return 0, false
}

// Line is one child-month the Comune claims.
type Line struct {
	Child        string      `json:"child"`           // pseudonymous id the Comune keeps
	ChildCF      string      `json:"childFiscalCode"` // the child's codice fiscale: encrypted at rest, never logged
	Facility     string      `json:"facility"`        // one of the Comune's admitted facilities
	Month        int         `json:"month"`           // 1 = September 2025 … 11 = July 2026
	Fee          money.Cents `json:"fee"`             // the whole monthly fee due, INPS part included
	Band         Band        `json:"iseeBand"`
	BornFrom2024 bool        `json:"bornFrom2024"`
	PaidByFamily bool        `json:"paidByFamily"`       // the family paid (part of) this fee
	Evidence     string      `json:"attendanceEvidence"` // reference to the attendance record
}

// Assessed is a line with the calculator's split and the officer's
// reduction, if any.
type Assessed struct {
	Line
	INPSBonus   money.Cents `json:"inpsBonus"`
	Excess      money.Cents `json:"excess"`
	RegionShare money.Cents `json:"regionShare"` // claimed: the calculator's region share
	Reduction   money.Cents `json:"reduction"`   // set by the officer at approval
	ReasonCode  string      `json:"reductionCode,omitempty"`
	ReasonNote  string      `json:"reductionNote,omitempty"`
}

// Recognised is what the Region recognises of the line.
func (a Assessed) Recognised() money.Cents { return a.RegionShare - a.Reduction }

var (
	childRe    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
	evidenceRe = regexp.MustCompile(`^[\p{L}\p{N} ./_#:-]{1,120}$`)
)

// MaxLines bounds one claim so that the claim and the uniqueness of each
// child-month are written in one DynamoDB transaction (at most 100 items:
// 95 child-months, the claim, its roster entry and its audit line): a
// Comune with more lines files several claims for the period (e.g. one
// per facility).
const MaxLines = 95

// Period is the span of months a claim covers, inclusive.
type Period struct {
	From int `json:"from"`
	To   int `json:"to"`
}

func (p Period) validate(f *problem.Fields) {
	if p.From < 1 || p.From > nidigratis.Months {
		f.Add("period.from", problem.FieldInvalid, "Il mese iniziale va da 1 (settembre 2025) a 11 (luglio 2026).")
	}
	if p.To < 1 || p.To > nidigratis.Months || p.To < p.From {
		f.Add("period.to", problem.FieldInvalid, "Il mese finale va da 1 a 11 e non precede il mese iniziale.")
	}
}

// MonthName names a month of the educational year in Italian.
func MonthName(m int) string {
	if m < 1 || m > nidigratis.Months {
		return fmt.Sprintf("mese %d", m)
	}
	names := [...]string{"settembre 2025", "ottobre 2025", "novembre 2025", "dicembre 2025", "gennaio 2026",
		"febbraio 2026", "marzo 2026", "aprile 2026", "maggio 2026", "giugno 2026", "luglio 2026"}
	return names[m-1]
}

// Assess validates the lines of a claim for period against the Comune's
// admitted facilities (normalised codes) and computes each line with the
// calculator. Every wrong line is named with its field path
// ("lines[3].paidByFamily"); a valid claim has at least one line.
func Assess(period Period, lines []Line, admitted map[string]bool) ([]Assessed, error) {
	var f problem.Fields
	period.validate(&f)
	switch {
	case len(lines) == 0:
		f.Add("lines", problem.FieldRequired, "Indicare almeno una riga (un bambino per un mese).")
	case len(lines) > MaxLines:
		f.Add("lines", problem.FieldInvalid, "Al massimo %d righe per rendicontazione: dividere il periodo.", MaxLines)
	}
	if err := f.Err(problem.CodeValidation, "Rendicontazione non valida."); err != nil {
		return nil, err
	}
	out := make([]Assessed, len(lines))
	seen := make(map[string]int, len(lines))
	for i, l := range lines {
		p := fmt.Sprintf("lines[%d].", i)
		l.ChildCF = submission.ClaimKey(l.ChildCF)
		l.Facility = submission.ClaimKey(l.Facility)
		if !childRe.MatchString(l.Child) {
			f.Add(p+"child", problem.FieldInvalid, "Identificativo del bambino (pseudonimo del Comune): lettere, cifre, - e _, al massimo 40.")
		}
		if !program.ValidPersonCode(l.ChildCF) {
			f.Add(p+"childFiscalCode", problem.FieldInvalid, "Codice fiscale del bambino non valido.")
		}
		if !admitted[l.Facility] {
			f.Add(p+"facility", CodeNotAdmitted, "La struttura non è tra quelle ammesse per il Comune.")
		}
		switch {
		case l.Month < 1 || l.Month > nidigratis.Months:
			f.Add(p+"month", problem.FieldInvalid, "Il mese va da 1 (settembre 2025) a 11 (luglio 2026).")
		case l.Month < period.From || l.Month > period.To:
			f.Add(p+"month", CodeOutsidePeriod, "Il mese (%s) è fuori dal periodo rendicontato.", MonthName(l.Month))
		}
		isee, okBand := l.Band.iseeOf()
		if !okBand {
			f.Add(p+"iseeBand", problem.FieldInvalid, "Fascia ISEE: %q (fino a 20.000,00) o %q (da 20.000,01 a 25.000,00).", BandFull, BandPartial)
		}
		if l.Fee <= 0 {
			f.Add(p+"fee", problem.FieldInvalid, "Indicare la retta mensile intera dovuta dalla famiglia, quota INPS compresa.")
		}
		if l.PaidByFamily {
			f.Add(p+"paidByFamily", CodePaidByFamily, "Le rette già pagate dalla famiglia non sono rendicontabili, neppure se poi rimborsate (Avviso C4.b).")
		}
		if !evidenceRe.MatchString(l.Evidence) {
			f.Add(p+"attendanceEvidence", problem.FieldRequired, "Indicare il riferimento al registro di frequenza (al massimo 120 caratteri).")
		}
		if l.ChildCF != "" && l.Month > 0 {
			key := l.ChildCF + "#" + fmt.Sprint(l.Month)
			if j, dup := seen[key]; dup {
				f.Add(p+"month", CodeRepeated, "Lo stesso bambino e mese è già alla riga %d.", j)
			}
			seen[key] = i
		}
		out[i].Line = l
		if okBand && l.Fee > 0 && l.Month >= 1 && l.Month <= nidigratis.Months {
			r := nidigratis.Compute(nidigratis.Input{Fee: l.Fee, ISEE: isee, BornFrom2024: l.BornFrom2024, Month: l.Month})
			if r.RegionShare == 0 {
				f.Add(p+"fee", CodeNoExcess, "La retta non supera il rimborso INPS (%s): nessuna quota a carico della Regione.", nidigratis.Bonus(l.BornFrom2024, l.Month))
			}
			out[i].INPSBonus, out[i].Excess, out[i].RegionShare = r.INPSBonus, r.Excess, r.RegionShare
		}
	}
	if err := f.Err(problem.CodeValidation, "Alcune righe della rendicontazione non sono ammissibili."); err != nil {
		return nil, err
	}
	return out, nil
}

// Sum is the total region share of lines, and the total recognised.
func Sum(lines []Assessed) (claimed, recognised money.Cents) {
	for _, l := range lines {
		claimed += l.RegionShare
		recognised += l.Recognised()
	}
	return claimed, recognised
}

// Basis is one Comune's historical basis for the advance.
type Basis struct {
	Org        string      `json:"org"`
	Historical money.Cents `json:"historical"` // the contribution estimated from previous editions
}

// Advance is one Comune's advance: a payment order.
type Advance struct {
	Org        string      `json:"org"`
	Historical money.Cents `json:"historical"`
	Amount     money.Cents `json:"amount"`
	BP         int         `json:"percentBasisPoints"`
	OrderedAt  time.Time   `json:"orderedAt,omitzero"` // when the officer ordered it: the export's date
}

// Advances computes each Comune's advance at bp basis points (≤ 30 %) of
// its historical basis, rounded down to the cent so that no advance ever
// exceeds the percentage. With a fixed total, the total is split in
// proportion to the bases with the riparto engine (largest remainder),
// each Comune capped at its percentage; what the caps leave is not paid.
func Advances(bases []Basis, bp int, total *money.Cents) ([]Advance, error) {
	var f problem.Fields
	if bp <= 0 || bp > MaxAdvanceBP {
		f.Add("percentBasisPoints", problem.FieldInvalid, "La percentuale dell'anticipo va da 0,01%% a 30%% (da 1 a 3000 punti base).")
	}
	if len(bases) == 0 {
		f.Add("bases", problem.FieldRequired, "Indicare la base storica di almeno un Comune.")
	}
	seen := map[string]bool{}
	for i, b := range bases {
		if b.Historical < 0 {
			f.Add(fmt.Sprintf("bases[%d].historical", i), problem.FieldInvalid, "La base storica non può essere negativa.")
		}
		if b.Org == "" || seen[b.Org] {
			f.Add(fmt.Sprintf("bases[%d].org", i), problem.FieldInvalid, "Comune mancante o ripetuto.")
		}
		seen[b.Org] = true
	}
	if total != nil && *total < 0 {
		f.Add("total", problem.FieldInvalid, "Il totale non può essere negativo.")
	}
	if err := f.Err(problem.CodeValidation, "Anticipi non calcolabili."); err != nil {
		return nil, err
	}
	out := make([]Advance, len(bases))
	for i, b := range bases {
		out[i] = Advance{Org: b.Org, Historical: b.Historical, Amount: b.Historical.MulDivFloor(int64(bp), 10000), BP: bp}
	}
	if total == nil {
		return out, nil
	}
	bs := make([]riparto.Beneficiary, len(bases))
	for i, b := range bases {
		limit := out[i].Amount
		bs[i] = riparto.Beneficiary{ID: b.Org, Weight: new(big.Rat).SetInt64(int64(b.Historical)), Cap: &limit,
			CapReason: fmt.Sprintf("%d,%02d%% della base storica", bp/100, bp%100)}
	}
	res, err := riparto.Allocate(*total, bs)
	if err != nil {
		return nil, fmt.Errorf("advances: %w", err)
	}
	byOrg := make(map[string]money.Cents, len(res.Lines))
	for _, l := range res.Lines {
		byOrg[l.ID] = l.Amount
	}
	for i := range out {
		out[i].Amount = byOrg[out[i].Org]
	}
	return out, nil
}

// State of a liquidation request.
type State string

// The life of a claim: drafted (computed, documents generated), then
// transmitted with the signed documents and a register number; the officer
// may ask for clarifications (the clock stops until the Comune answers),
// then approves (with reductions) and records the payment.
const (
	StateDraft         State = "draft"
	StateTransmitted   State = "transmitted"
	StateClarification State = "clarification"
	StateApproved      State = "approved"
	StatePaid          State = "paid"
)

// Suspension is a stop of the 60-day clock: from the officer's request for
// clarifications to the Comune's answer (open while Until is zero).
type Suspension struct {
	From   time.Time `json:"from"`
	Until  time.Time `json:"until,omitzero"`
	Note   string    `json:"note"`             // the officer's request
	Answer string    `json:"answer,omitempty"` // the Comune's reply
}

// DueDate is the last day (Rome) the Region may pay a request transmitted
// at: 60 calendar days from the transmission day, plus every calendar day
// the clock was stopped (from the day of the request for clarifications to
// the day of the answer). ok is false while a suspension is open: the due
// date is not known until the Comune answers. Days are counted on Rome's
// calendar, so a daylight-saving change moves nothing.
func DueDate(transmitted time.Time, suspensions []Suspension) (due time.Time, ok bool) {
	if transmitted.IsZero() {
		return time.Time{}, false
	}
	extra := 0
	for _, s := range suspensions {
		if s.Until.IsZero() {
			return time.Time{}, false
		}
		extra += romeDays(s.From, s.Until)
	}
	y, m, d := transmitted.In(clock.Rome).Date()
	return time.Date(y, m, d+PaymentDays+extra, 0, 0, 0, 0, clock.Rome), true
}

// romeDays counts the calendar days from a's Rome date to b's.
func romeDays(a, b time.Time) int {
	ay, am, ad := a.In(clock.Rome).Date()
	by, bm, bd := b.In(clock.Rome).Date()
	// Noon UTC on both dates: whole days apart whatever the offsets.
	da := time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// Claim is one rendicontazione and the liquidation request made from it.
type Claim struct {
	ID         string     `json:"id"`
	Call       string     `json:"callId"`
	Submission string     `json:"submissionId"` // the admitted application
	Org        string     `json:"org"`
	Contact    string     `json:"contact,omitempty"` // the Comune's address from its application (receipts)
	Period     Period     `json:"period"`
	Lines      []Assessed `json:"lines,omitempty"` // left out of listings
	State      State      `json:"state"`
	CreatedAt  time.Time  `json:"createdAt"`

	Claimed       money.Cents `json:"claimed"`       // Σ region shares
	AdvanceOffset money.Cents `json:"advanceOffset"` // the part of the advance deducted from this request
	Net           money.Cents `json:"net"`           // what the Region is asked to pay: claimed − offset
	OverBudget    bool        `json:"overBudget"`    // flagged at transmission: the officer decides

	Protocol      string       `json:"protocol,omitempty"` // register number of the transmission
	TransmittedAt time.Time    `json:"transmittedAt,omitzero"`
	Suspensions   []Suspension `json:"suspensions,omitempty"`

	Signed []SignedDoc `json:"signedDocuments,omitempty"`

	Approved   money.Cents `json:"approved"` // Σ recognised − offset, fixed at approval
	ApprovedAt time.Time   `json:"approvedAt,omitzero"`
	Payments   []Payment   `json:"payments,omitempty"`
	Recoveries []Recovery  `json:"recoveries,omitempty"`
	Version    int         `json:"version"`
}

// SignedDoc is a signed copy of a generated document, as received.
type SignedDoc struct {
	Kind    string    `json:"kind"`
	Key     string    `json:"-"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	Signers []string  `json:"signers"`
	At      time.Time `json:"at"`
}

// SignedDoc returns the signed copy of kind, or nil.
func (c *Claim) SignedDoc(kind string) *SignedDoc {
	for i := range c.Signed {
		if c.Signed[i].Kind == kind {
			return &c.Signed[i]
		}
	}
	return nil
}

// SetSigned records (or replaces, before transmission) a signed copy.
func (c *Claim) SetSigned(kind string, d SignedDoc) {
	d.Kind = kind
	if old := c.SignedDoc(kind); old != nil {
		*old = d
		return
	}
	c.Signed = append(c.Signed, d)
}

// Payment records money the Region paid on a request.
type Payment struct {
	Amount    money.Cents `json:"amount"`
	At        time.Time   `json:"at"`
	Reference string      `json:"reference"` // the payment order (mandato) number
}

// Recovery orders back an amount found undue after payment.
type Recovery struct {
	Amount money.Cents `json:"amount"`
	At     time.Time   `json:"at"`
	Code   string      `json:"code"`
	Note   string      `json:"note"`
}

// NewClaim assesses lines and computes the amounts, deducting from them
// what is left of the Comune's advance (advanceLeft).
func NewClaim(id, call, submission, org string, period Period, lines []Line, admitted map[string]bool, advanceLeft money.Cents, now time.Time) (Claim, error) {
	as, err := Assess(period, lines, admitted)
	if err != nil {
		return Claim{}, err
	}
	c := Claim{ID: id, Call: call, Submission: submission, Org: org, Period: period, Lines: as, State: StateDraft, CreatedAt: now}
	c.Claimed, _ = Sum(as)
	c.AdvanceOffset = min(max(advanceLeft, 0), c.Claimed)
	c.Net = c.Claimed - c.AdvanceOffset
	return c, nil
}

// DueDate of the claim's payment (see DueDate).
func (c Claim) DueDate() (time.Time, bool) { return DueDate(c.TransmittedAt, c.Suspensions) }

// Paid is the total paid on the claim.
func (c Claim) Paid() money.Cents {
	var s money.Cents
	for _, p := range c.Payments {
		s += p.Amount
	}
	return s
}

// Recovered is the total of the recovery orders.
func (c Claim) Recovered() money.Cents {
	var s money.Cents
	for _, r := range c.Recoveries {
		s += r.Amount
	}
	return s
}

// fieldErr is a validation problem about one field.
func fieldErr(field, msg string) error {
	f := problem.Fields{{Field: field, Code: problem.FieldInvalid, Message: msg}}
	return f.Err(problem.CodeValidation, msg)
}

func conflict(format string, args ...any) error {
	return problem.New(problem.CodeConflict, format, args...)
}

// Transmit registers the signed request: the number comes from the
// Region's register, the clock starts at the arrival instant.
func (c *Claim) Transmit(protocol string, at time.Time, overBudget bool) error {
	if c.State != StateDraft {
		return conflict("La richiesta di liquidazione è già stata trasmessa (%s).", c.Protocol)
	}
	c.State, c.Protocol, c.TransmittedAt, c.OverBudget = StateTransmitted, protocol, at, overBudget
	return nil
}

// AskClarification stops the clock until the Comune answers (C4.b:
// "con interruzione dei termini regolamentari").
func (c *Claim) AskClarification(at time.Time, note string) error {
	if c.State != StateTransmitted {
		return conflict("Si possono chiedere chiarimenti solo su una richiesta trasmessa e non ancora decisa.")
	}
	c.State = StateClarification
	c.Suspensions = append(c.Suspensions, Suspension{From: at, Note: note})
	return nil
}

// Answer is the Comune's reply to a request for clarifications: the clock
// restarts.
func (c *Claim) Answer(at time.Time, answer string) error {
	if c.State != StateClarification {
		return conflict("Non ci sono richieste di chiarimenti aperte.")
	}
	c.State = StateTransmitted
	last := &c.Suspensions[len(c.Suspensions)-1]
	last.Until, last.Answer = at, answer
	return nil
}

// Reduction lowers one line at approval, with a coded reason.
type Reduction struct {
	Line   int         `json:"line"`
	Amount money.Cents `json:"amount"`
	Code   string      `json:"code"`
	Note   string      `json:"note"`
}

// Approve fixes the recognised amount: each reduction at most its line's
// share; the advance is deducted again from the recognised total (never
// below zero), with advanceLeft being what is left of the advance before
// this request.
func (c *Claim) Approve(at time.Time, reductions []Reduction, advanceLeft money.Cents) error {
	if c.State != StateTransmitted {
		return conflict("Si può approvare solo una richiesta trasmessa senza chiarimenti in sospeso.")
	}
	var f problem.Fields
	seen := map[int]bool{}
	for i, r := range reductions {
		p := fmt.Sprintf("reductions[%d].", i)
		switch {
		case r.Line < 0 || r.Line >= len(c.Lines):
			f.Add(p+"line", problem.FieldInvalid, "Riga inesistente.")
			continue
		case seen[r.Line]:
			f.Add(p+"line", problem.FieldInvalid, "Riga già ridotta.")
		}
		seen[r.Line] = true
		if r.Amount <= 0 || r.Amount > c.Lines[r.Line].RegionShare {
			f.Add(p+"amount", problem.FieldInvalid, "La riduzione va da 0,01 a %s (la quota della riga).", c.Lines[r.Line].RegionShare)
		}
		if _, ok := ReductionCodes[r.Code]; !ok {
			f.Add(p+"code", problem.FieldInvalid, "Motivo della riduzione non previsto.")
		}
		if r.Code == CodeReductionOther && strings.TrimSpace(r.Note) == "" {
			f.Add(p+"note", problem.FieldRequired, "Con il motivo \"altro\" le note sono obbligatorie.")
		}
	}
	if err := f.Err(problem.CodeValidation, "Riduzioni non valide."); err != nil {
		return err
	}
	for _, r := range reductions {
		l := &c.Lines[r.Line]
		l.Reduction, l.ReasonCode, l.ReasonNote = r.Amount, r.Code, r.Note
	}
	_, recognised := Sum(c.Lines)
	c.AdvanceOffset = min(max(advanceLeft, 0), recognised)
	c.Approved = recognised - c.AdvanceOffset
	c.State, c.ApprovedAt = StateApproved, at
	if c.Approved == 0 {
		c.State = StatePaid // nothing to pay: the advance covered it
	}
	return nil
}

// Pay records a payment; the request is paid when the payments reach the
// approved amount, never beyond it.
func (c *Claim) Pay(p Payment) error {
	if c.State != StateApproved {
		return conflict("Si registrano pagamenti solo su richieste approvate e non ancora saldate.")
	}
	if p.Amount <= 0 || c.Paid()+p.Amount > c.Approved {
		return fieldErr("amount", fmt.Sprintf("Il pagamento supera l'importo approvato ancora da pagare (%s).", c.Approved-c.Paid()))
	}
	if strings.TrimSpace(p.Reference) == "" {
		return fieldErr("reference", "Indicare il numero del mandato di pagamento.")
	}
	c.Payments = append(c.Payments, p)
	if c.Paid() == c.Approved {
		c.State = StatePaid
	}
	return nil
}

// Recover orders back an amount found undue, at most what was paid and
// not already ordered back.
func (c *Claim) Recover(r Recovery) error {
	if r.Amount <= 0 || c.Recovered()+r.Amount > c.Paid() {
		return fieldErr("amount", fmt.Sprintf("Il recupero supera quanto pagato e non ancora recuperato (%s).", c.Paid()-c.Recovered()))
	}
	if _, ok := ReductionCodes[r.Code]; !ok {
		return fieldErr("code", "Motivo del recupero non previsto.")
	}
	c.Recoveries = append(c.Recoveries, r)
	return nil
}

// Budget of the call's annual allocation. Every figure is exact and
// Available = Allocation − Advanced − Committed − Paid.
type Budget struct {
	Allocation money.Cents `json:"allocation"`
	Advanced   money.Cents `json:"advanced"`  // advances ordered
	Requested  money.Cents `json:"requested"` // transmitted, not yet decided (net)
	Committed  money.Cents `json:"committed"` // approved, not yet paid
	Paid       money.Cents `json:"paid"`      // paid on requests (advances excluded)
	Recovered  money.Cents `json:"recovered"` // recovery orders issued
	Available  money.Cents `json:"available"`
}

// BudgetOf adds the figures up from the advances and the claims.
func BudgetOf(allocation money.Cents, advances []Advance, claims []Claim) Budget {
	b := Budget{Allocation: allocation}
	for _, a := range advances {
		b.Advanced += a.Amount
	}
	for _, c := range claims {
		switch c.State {
		case StateTransmitted, StateClarification:
			b.Requested += c.Net
		case StateApproved, StatePaid:
			b.Committed += c.Approved - c.Paid()
		}
		b.Paid += c.Paid()
		b.Recovered += c.Recovered()
	}
	b.Available = b.Allocation - b.Advanced - b.Committed - b.Paid
	return b
}

// Exceeds reports whether transmitting net would take the requests beyond
// what is available: the officer is told, nothing is cut.
func (b Budget) Exceeds(net money.Cents) bool { return b.Requested+net > b.Available }

// AdvanceLeft is what is left of a Comune's advance after the offsets of
// its other requests (those transmitted or decided, except skip).
func AdvanceLeft(advance money.Cents, claims []Claim, skip string) money.Cents {
	left := advance
	for _, c := range claims {
		if c.ID == skip || c.State == StateDraft {
			continue
		}
		left -= c.AdvanceOffset
	}
	return max(left, 0)
}

// SortLines orders lines by month, then child, the order of the generated
// documents.
func SortLines(ls []Assessed) {
	slices.SortStableFunc(ls, func(a, b Assessed) int {
		if a.Month != b.Month {
			return a.Month - b.Month
		}
		return strings.Compare(a.Child, b.Child)
	})
}
