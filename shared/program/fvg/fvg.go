// Package fvg is the Regione Friuli Venezia Giulia "Contributo
// straordinario contenimento rette a.e. 2024/2025": operators (gestori) of
// accredited nidi started by SCIA apply, one application per facility, for
// a one-off contribution that holds down family fees.
package fvg

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// ID of the program.
const ID = "fvg-rette-2024"

// Rules of the seed.
var (
	// MaxIncreasePermille: 7.6 % = 6.5 % + ISTAT FOI of July 2024 (1.1 %),
	// in thousandths so that the check is integer arithmetic.
	MaxIncreasePermille int64 = 76
	// OperatorCutoff: "gestori per almeno quattro mesi entro la data del 28/02/2025".
	OperatorCutoff = program.MustDate("2025-02-28")
	// LatestOperatorSince is the last start date that gives four months by
	// the cutoff: 28/10/2024 (see OperatorLongEnough).
	LatestOperatorSince = program.MustDate("2024-10-28")
	// YearStart and YearEnd bound the educational year 2024/25 as the
	// regulation counts it, 01/09/2024–31/08/2025: twelve months.
	YearStart = program.MustDate("2024-09-01")
	YearEnd   = program.MustDate("2025-08-31")
	// PerChildCap: at most €2,000 per child per year (not for inner areas).
	PerChildCap = money.Euros(2000)
	// ReferenceCapPercent: at most 70 % of the average contribution per
	// child of 2024/25 from the ordinary fee-containment fund.
	ReferenceCapPercent int64 = 70
	// InnerAreaUplift: "+1 punto percentuale" read as weight × 101/100.
	InnerAreaUplift = big.NewRat(101, 100)
)

// Call parameters an officer sets on the call.
const (
	// Param is the average contribution per child granted for 2024/25 by
	// the ordinary fee-containment fund (money string, required for the
	// riparto): the cap is 70 % of it per child.
	Param = "referenceContributionPerChild"
	// ParamInnerAreas optionally lists the ISTAT codes of the Comuni of the
	// regional inner areas (comma or space separated), as in the regional
	// act in force. When set it decides inner-area status; otherwise the
	// operator's declaration counts and the officer checks it.
	ParamInnerAreas = "innerAreaComuni"
)

// Filer roles (seed, "Chi può accedere al portale").
const (
	LegalRepresentative = "legal_representative"
	Proxy               = "proxy"    // procura, or for public operators the atto di nomina
	Delegate            = "delegate" // delega under art. 3 c. 1 lett. b D.P.Reg. 097/2020
)

// Legal natures of operators.
var legalNatures = map[string]string{"public": "pubblico", "private": "privato", "third_sector": "privato sociale"}

// Document kinds.
const (
	DocTariffPlan2024   = "tariff_plan_2024"
	DocTariffPlan2025   = "tariff_plan_2025"
	DocTariffDetail     = "tariff_detail"
	DocStampDuty        = "stamp_duty_receipt"
	DocProcura          = "procura"
	DocAppointmentAct   = "appointment_act"
	DocDelega           = "delega"
	DocIdentityDocument = "id_document"
)

// TariffColumns are the columns the tariff detail must have in the header
// row of its first sheet (docverify finds the row among the first ten,
// ignoring case, spacing and Unicode composition).
var TariffColumns = []string{"Servizio", "Modalità di frequenza", "Retta mensile 2024/25", "Retta mensile 2025/26"}

// Program implements program.Program.
type Program struct{}

// New returns the program.
func New() Program { return Program{} }

// ID is the program id.
func (Program) ID() string { return ID }

// Region is Friuli Venezia Giulia's.
func (Program) Region() program.Region { return Region }

// Region is Friuli Venezia Giulia.
var Region = program.Region{Code: "FVG", Name: "Friuli Venezia Giulia", ISTAT: "06"}

// ApplicantKinds: operators.
func (Program) ApplicantKinds() []string { return []string{program.KindGestore} }

var (
	pdfOrP7M = []string{"application/pdf", "application/pkcs7-mime"}
	xlsx     = []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
)

// DocumentKinds of the call. None must carry a digital signature: the
// forms count as signed by whoever logged in (seed), and a procura or
// delega may be signed by hand provided an ID document comes with it,
// which RequiredDocuments always asks for.
func (Program) DocumentKinds() []program.DocumentKind {
	return []program.DocumentKind{
		{Kind: DocTariffPlan2024, Title: "Piano tariffario 2024/2025 (PDF come approvato)", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocTariffPlan2025, Title: "Piano tariffario 2025/2026 (PDF come approvato)", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocTariffDetail, Title: "Dettaglio delle tariffe (Excel .xlsx)", ContentTypes: xlsx, MaxBytes: 20 << 20, Columns: TariffColumns},
		{Kind: DocStampDuty, Title: "Ricevuta quietanzata del pagamento dell'imposta di bollo", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocProcura, Title: "Procura sottoscritta dal legale rappresentante", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocAppointmentAct, Title: "Atto di nomina a responsabile dell'ufficio competente", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocDelega, Title: "Delega del soggetto titolare di SCIA e accreditamento", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
		{Kind: DocIdentityDocument, Title: "Documento d'identità (legale rappresentante o delegante)", ContentTypes: pdfOrP7M, MaxBytes: 50 << 20},
	}
}

// Operator is the gestore that applies and is the beneficiary.
type Operator struct {
	Name                string `json:"name"`
	FiscalCode          string `json:"fiscalCode"`  // codice fiscale or partita IVA; the filing org is gestore:<this>
	LegalNature         string `json:"legalNature"` // public | private | third_sector
	LegalRepresentative string `json:"legalRepresentative"`
	Email               string `json:"email"` // receipts go here
}

// Delegator is the holder of the SCIA and the accreditation who delegated
// the operator to apply and receive the contribution (filer role delegate).
type Delegator struct {
	Name       string `json:"name"`
	FiscalCode string `json:"fiscalCode"`
}

// Facility is the nido.
type Facility struct {
	Code             string       `json:"code"` // regional code of the nido: one application per code
	Name             string       `json:"name"`
	ComuneISTAT      string       `json:"comune"`
	Address          string       `json:"address"`
	StartedBySCIA    program.Date `json:"startedBySCIA"`
	Accredited       bool         `json:"accredited"`       // accreditation valid on the filing day
	AccreditationAct string       `json:"accreditationAct"` // reference of the accreditation act
}

// FeeLine is one more tariff of the plan whose increase is checked.
type FeeLine struct {
	Description string       `json:"description"` // e.g. "part time, residenti"
	Fee2024     *money.Cents `json:"fee2024"`
	Fee2025     *money.Cents `json:"fee2025"`
}

// Form is one application.
type Form struct {
	Operator                  Operator     `json:"operator"`
	FilerRole                 string       `json:"filerRole"`
	Delegator                 *Delegator   `json:"delegator"`
	Facility                  Facility     `json:"facility"`
	SezionePrimavera          bool         `json:"sezionePrimavera"`
	BanOrRevokedAccreditation bool         `json:"banOrRevokedAccreditation"`
	ContinuesNextYear         bool         `json:"continuesNextYear"`
	TariffPlansCommunicated   bool         `json:"tariffPlansCommunicated"`
	ComuneRunOrRegulated      bool         `json:"comuneRunOrRegulated"`
	MonthlyFee2024            *money.Cents `json:"monthlyFee2024"`        // full-time monthly fee 2024/25 (not Comune-run)
	MonthlyFee2025            *money.Cents `json:"monthlyFee2025"`        // the same fee for 2025/26
	HighestMonthlyFee2024     *money.Cents `json:"highestMonthlyFee2024"` // Comune-run or regulated: highest monthly fee 2024/25
	HighestMonthlyFee2025     *money.Cents `json:"highestMonthlyFee2025"` // and 2025/26
	OtherFees                 []FeeLine    `json:"otherFees"`             // further tariffs (not Comune-run), each checked
	OperatorSince             program.Date `json:"operatorSince"`
	Children20241001          *int         `json:"childrenOn20241001"`
	Children20250131          *int         `json:"childrenOn20250131"`
	MonthsOfOperation         int          `json:"monthsOfOperation"` // months of actual operation in 2024/25
	InnerArea                 bool         `json:"innerArea"`
	Expenses2024              *money.Cents `json:"expenses2024"`
	Income2024                *money.Cents `json:"income2024"`
	StampDutyExempt           bool         `json:"stampDutyExempt"`
	StampDutyExemptionBasis   string       `json:"stampDutyExemptionBasis"` // the legal basis, when exempt
}

// Decode reads the application strictly.
func (Program) Decode(raw json.RawMessage) (program.Form, error) {
	var f Form
	if err := program.Strict(raw, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// IncreaseWithinLimit is rule 3 in exact integers: fee2025 ≤ fee2024 ×
// 1.076, i.e. fee2025 × 1000 ≤ fee2024 × 1076 (no rounding anywhere).
func IncreaseWithinLimit(fee2024, fee2025 money.Cents) bool {
	return int64(fee2025)*1000 <= int64(fee2024)*(1000+MaxIncreasePermille)
}

// MaxFee2025 is the highest 2025/26 fee rule 3 allows, rounded down to the
// cent (for messages: IncreaseWithinLimit is the rule).
func MaxFee2025(fee2024 money.Cents) money.Cents {
	return fee2024.MulDivFloor(1000+MaxIncreasePermille, 1000)
}

// OperatorLongEnough is rule 4a: operator for at least four months by
// 28/02/2025. Four calendar months from the start date must not end after
// the cutoff: since + 4 months ≤ 28/02/2025, with month arithmetic that
// does not clamp (29/10/2024 + 4 months is 1 March, not 28 February), so
// the last qualifying start is 28/10/2024.
func OperatorLongEnough(since program.Date) bool {
	return !since.AddDate(0, 4, 0).After(OperatorCutoff.Time)
}

// MaxMonthsOfOperation is how many whole months of 2024/25 an operator
// that started on since can have run the nido: the largest m with
// start + m months ≤ 01/09/2025, where start is the later of since and
// 01/09/2024. The months are counted as OperatorLongEnough counts them
// (no clamping at month ends): since 29/10/2024 it is 10 (29/08/2025; one
// more month would reach 29/09/2025).
func MaxMonthsOfOperation(since program.Date) int {
	start := since
	if start.Before(YearStart) {
		start = YearStart
	}
	end := YearEnd.AddDate(0, 0, 1)
	m := 0
	for m < 12 && !start.AddDate(0, m+1, 0).After(end) {
		m++
	}
	return m
}

// InnerAreaComuni reads the optional inner-area list parameter; ok is false
// when the call does not set it.
func InnerAreaComuni(params map[string]string) (set map[string]bool, ok bool, err error) {
	raw := strings.TrimSpace(params[ParamInnerAreas])
	if raw == "" {
		return nil, false, nil
	}
	set = map[string]bool{}
	for _, code := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\t' }) {
		if !program.ValidISTAT(code) {
			return nil, false, fmt.Errorf("parametro %s: codice ISTAT %q non valido", ParamInnerAreas, code)
		}
		set[code] = true
	}
	return set, true, nil
}

// Check returns every eligibility or completeness problem.
func (f *Form) Check(ctx program.Context) problem.Fields {
	var out problem.Fields
	today := program.Today(ctx.Now)
	f.checkOperator(&out, ctx)
	f.checkFacility(&out, ctx, today)

	// Exclusions and requirements 1-2.
	if f.SezionePrimavera {
		out.Add("sezionePrimavera", program.FieldNotEligible, "Le sezioni primavera sono escluse dal contributo.")
	}
	if f.BanOrRevokedAccreditation {
		out.Add("banOrRevokedAccreditation", program.FieldNotEligible, "Sono esclusi i gestori che nell'anno educativo hanno subito un divieto di prosecuzione dell'attività o la revoca dell'accreditamento.")
	}
	if !f.ContinuesNextYear {
		out.Add("continuesNextYear", program.FieldNotEligible, "Il servizio deve proseguire nell'anno educativo 2025/2026.")
	}
	if !f.TariffPlansCommunicated {
		out.Add("tariffPlansCommunicated", program.FieldNotEligible, "Senza la comunicazione dei piani tariffari 2024/2025 e 2025/2026 la domanda è archiviata.")
	}
	f.checkFees(&out)

	// Requirement 4: four months as operator, mean children ≥ 1.
	switch {
	case !f.OperatorSince.Set():
		out.Add("operatorSince", problem.FieldRequired, "Indicare la data da cui il soggetto gestisce il nido.")
	case f.OperatorSince.After(today):
		out.Add("operatorSince", problem.FieldInvalid, "La data non può essere futura.")
	case !OperatorLongEnough(f.OperatorSince):
		out.Add("operatorSince", program.FieldNotEligible, "Occorre essere gestori da almeno quattro mesi al %s, cioè dal %s o prima.", OperatorCutoff.Italian(), LatestOperatorSince.Italian())
	}
	c1ok := children(&out, "childrenOn20241001", f.Children20241001, "1° ottobre 2024")
	c2ok := children(&out, "childrenOn20250131", f.Children20250131, "31 gennaio 2025")
	if c1ok && c2ok && *f.Children20241001+*f.Children20250131 < 2 {
		out.Add("childrenOn20250131", program.FieldNotEligible, "La media dei bambini accolti al 1° ottobre 2024 e al 31 gennaio 2025 deve essere almeno 1 (somma almeno 2).")
	}
	switch {
	case f.MonthsOfOperation < 1 || f.MonthsOfOperation > 12:
		out.Add("monthsOfOperation", problem.FieldInvalid, "Indicare i mesi di effettivo funzionamento nell'anno educativo 2024/2025 (da 1 a 12).")
	case f.OperatorSince.Set() && f.MonthsOfOperation > MaxMonthsOfOperation(f.OperatorSince):
		out.Add("monthsOfOperation", problem.FieldInvalid, "Con il nido gestito dal %s i mesi di effettivo funzionamento nell'anno educativo 2024/2025 (01/09/2024–31/08/2025) sono al massimo %d, non %d.",
			f.OperatorSince.Italian(), MaxMonthsOfOperation(f.OperatorSince), f.MonthsOfOperation)
	}

	// Inner areas: the call's list, when set, decides.
	if list, ok, err := InnerAreaComuni(ctx.Params); err == nil && ok && program.ValidISTAT(f.Facility.ComuneISTAT) && list[f.Facility.ComuneISTAT] != f.InnerArea {
		if f.InnerArea {
			out.Add("innerArea", problem.FieldMismatch, "Il Comune del nido non è tra quelli delle aree interne indicati dal bando.")
		} else {
			out.Add("innerArea", problem.FieldMismatch, "Il Comune del nido è tra quelli delle aree interne indicati dal bando: dichiararlo.")
		}
	}

	amount(&out, "expenses2024", f.Expenses2024, "Indicare le spese di gestione del nido nell'anno educativo 2024/2025.")
	amount(&out, "income2024", f.Income2024, "Indicare le entrate di gestione del nido nell'anno educativo 2024/2025.")
	if f.StampDutyExempt {
		program.Text(&out, "stampDutyExemptionBasis", f.StampDutyExemptionBasis, 300)
	} else if f.StampDutyExemptionBasis != "" {
		out.Add("stampDutyExemptionBasis", problem.FieldNotAllowed, "Il riferimento normativo si indica solo in caso di esenzione dall'imposta di bollo.")
	}
	return out
}

func (f *Form) checkOperator(out *problem.Fields, ctx program.Context) {
	op := f.Operator
	program.Text(out, "operator.name", op.Name, 300)
	switch {
	case op.FiscalCode == "":
		out.Add("operator.fiscalCode", problem.FieldRequired, "Indicare il codice fiscale o la partita IVA del gestore.")
	case !program.ValidFiscalCode(op.FiscalCode):
		out.Add("operator.fiscalCode", problem.FieldInvalid, "Codice fiscale o partita IVA non valido.")
	case program.KindGestore+":"+op.FiscalCode != ctx.Org:
		out.Add("operator.fiscalCode", problem.FieldMismatch, "Il codice fiscale del gestore non corrisponde all'ente per cui si presenta la domanda.")
	}
	if _, ok := legalNatures[op.LegalNature]; !ok {
		out.Add("operator.legalNature", problem.FieldInvalid, "Natura giuridica del gestore: public, private o third_sector.")
	}
	program.Text(out, "operator.legalRepresentative", op.LegalRepresentative, 200)
	if !program.ValidEmail(op.Email) {
		out.Add("operator.email", problem.FieldInvalid, "Indicare un indirizzo e-mail (PEC) valido del gestore: vi arriverà la ricevuta.")
	}
	switch f.FilerRole {
	case LegalRepresentative, Proxy:
		if f.Delegator != nil {
			out.Add("delegator", problem.FieldNotAllowed, "Il soggetto delegante si indica solo per le domande presentate su delega.")
		}
	case Delegate:
		switch {
		case f.Delegator == nil:
			out.Add("delegator", problem.FieldRequired, "Indicare il soggetto titolare di SCIA e accreditamento che ha rilasciato la delega.")
		default:
			program.Text(out, "delegator.name", f.Delegator.Name, 300)
			switch {
			case !program.ValidFiscalCode(f.Delegator.FiscalCode):
				out.Add("delegator.fiscalCode", problem.FieldInvalid, "Codice fiscale o partita IVA del delegante non valido.")
			case f.Delegator.FiscalCode == op.FiscalCode:
				out.Add("delegator.fiscalCode", problem.FieldInvalid, "Il delegante è un soggetto diverso dal gestore delegato.")
			}
		}
	case "":
		out.Add("filerRole", problem.FieldRequired, "Indicare chi presenta la domanda: legal_representative, proxy (procura o atto di nomina) o delegate (delega).")
	default:
		out.Add("filerRole", problem.FieldInvalid, "Chi presenta: legal_representative, proxy (procura o atto di nomina) o delegate (delega).")
	}
}

func (f *Form) checkFacility(out *problem.Fields, ctx program.Context, today program.Date) {
	fac := f.Facility
	switch {
	case strings.TrimSpace(fac.Code) == "":
		out.Add("facility.code", problem.FieldRequired, "Indicare il codice del nido.")
	case len(fac.Code) > 40 || strings.ContainsAny(fac.Code, " \t"):
		out.Add("facility.code", problem.FieldInvalid, "Codice del nido: al massimo 40 caratteri, senza spazi.")
	}
	program.Text(out, "facility.name", fac.Name, 300)
	program.Text(out, "facility.address", fac.Address, 300)
	if c, ok := ctx.Registry.Comune(fac.ComuneISTAT); !ok || c.RegionCode != Region.ISTAT {
		out.Add("facility.comune", problem.FieldInvalid, "Indicare il codice ISTAT di un Comune del Friuli Venezia Giulia.")
	}
	switch {
	case !fac.StartedBySCIA.Set():
		out.Add("facility.startedBySCIA", problem.FieldRequired, "Indicare la data della SCIA di avvio del nido.")
	case fac.StartedBySCIA.After(today):
		out.Add("facility.startedBySCIA", problem.FieldInvalid, "La data della SCIA non può essere futura.")
	}
	if !fac.Accredited {
		out.Add("facility.accredited", program.FieldNotEligible, "Possono presentare domanda solo i gestori di nidi con accreditamento in corso di validità.")
	}
	program.Text(out, "facility.accreditationAct", fac.AccreditationAct, 300)
}

// checkFees is rule 3: the 2025/26 increase over 2024/25 within 7.6 %, on
// the highest monthly fee for services run or regulated by Comuni, on
// every declared tariff otherwise.
func (f *Form) checkFees(out *problem.Fields) {
	notAllowed := func(field string, set bool, why string) {
		if set {
			out.Add(field, problem.FieldNotAllowed, "%s", why)
		}
	}
	if f.ComuneRunOrRegulated {
		pair(out, "highestMonthlyFee2024", "highestMonthlyFee2025", f.HighestMonthlyFee2024, f.HighestMonthlyFee2025, "la retta mensile più alta applicata nel 2024/2025", "la retta mensile più alta del 2025/2026")
		why := "Per i servizi gestiti o regolati dai Comuni l'aumento si misura sulla retta mensile più alta: indicare highestMonthlyFee2024 e highestMonthlyFee2025."
		notAllowed("monthlyFee2024", f.MonthlyFee2024 != nil, why)
		notAllowed("monthlyFee2025", f.MonthlyFee2025 != nil, why)
		notAllowed("otherFees", len(f.OtherFees) > 0, why)
		return
	}
	pair(out, "monthlyFee2024", "monthlyFee2025", f.MonthlyFee2024, f.MonthlyFee2025, "la retta mensile 2024/2025 a tempo pieno", "la retta mensile 2025/2026 a tempo pieno")
	why := "La retta mensile più alta si indica solo per i servizi gestiti o regolati dai Comuni."
	notAllowed("highestMonthlyFee2024", f.HighestMonthlyFee2024 != nil, why)
	notAllowed("highestMonthlyFee2025", f.HighestMonthlyFee2025 != nil, why)
	for i, line := range f.OtherFees {
		p := fmt.Sprintf("otherFees[%d]", i)
		program.Text(out, p+".description", line.Description, 200)
		pair(out, p+".fee2024", p+".fee2025", line.Fee2024, line.Fee2025, "la retta 2024/2025", "la retta 2025/2026")
	}
}

func pair(out *problem.Fields, path24, path25 string, fee24, fee25 *money.Cents, label24, label25 string) {
	ok24 := fee24 != nil && *fee24 > 0
	if !ok24 {
		out.Add(path24, problem.FieldRequired, "Indicare %s (maggiore di zero).", label24)
	}
	if fee25 == nil || *fee25 < 0 {
		out.Add(path25, problem.FieldRequired, "Indicare %s.", label25)
		return
	}
	if ok24 && !IncreaseWithinLimit(*fee24, *fee25) {
		out.Add(path25, program.FieldIncreaseOverLimit, "L'aumento da %s a %s euro supera il 7,6%%: al massimo %s euro.", fee24, fee25, MaxFee2025(*fee24))
	}
}

func children(out *problem.Fields, path string, n *int, day string) bool {
	switch {
	case n == nil:
		out.Add(path, problem.FieldRequired, "Indicare i bambini accolti al %s.", day)
	case *n < 0:
		out.Add(path, problem.FieldInvalid, "Il numero di bambini non può essere negativo.")
	case *n > 999:
		out.Add(path, problem.FieldTooLarge, "Al massimo 999 bambini.")
	default:
		return true
	}
	return false
}

func amount(out *problem.Fields, path string, c *money.Cents, required string) {
	switch {
	case c == nil:
		out.Add(path, problem.FieldRequired, "%s", required)
	case *c < 0:
		out.Add(path, problem.FieldInvalid, "L'importo non può essere negativo.")
	}
}

// RequiredDocuments: both tariff plans and the tariff detail always (the
// application is archived without them); the stamp-duty receipt unless the
// operator declares an exemption; when a proxy files, the procura (for a
// public operator, the atto di nomina instead); when a delegate files, the
// delega. A procura or delega is valid with a qualified digital signature
// or signed by hand with a copy of the signer's identity document
// ("Firma della delega e della procura"): the ID document is required
// unless a digitally signed one was uploaded.
func (f *Form) RequiredDocuments(ctx program.Context) []program.DocumentNeed {
	needs := []program.DocumentNeed{
		{Kind: DocTariffPlan2024, Count: 1, Reason: "piano tariffario 2024/2025"},
		{Kind: DocTariffPlan2025, Count: 1, Reason: "piano tariffario 2025/2026"},
		{Kind: DocTariffDetail, Count: 1, Reason: "dettaglio delle tariffe in Excel"},
	}
	if !f.StampDutyExempt {
		needs = append(needs, program.DocumentNeed{Kind: DocStampDuty, Count: 1, Reason: "imposta di bollo (nessuna esenzione dichiarata)"})
	}
	switch {
	case f.FilerRole == Proxy && f.Operator.LegalNature == "public":
		needs = append(needs, program.DocumentNeed{Kind: DocAppointmentAct, Count: 1, Reason: "domanda presentata da persona diversa dal legale rappresentante di un ente pubblico"})
	case f.FilerRole == Proxy:
		needs = append(needs, program.DocumentNeed{Kind: DocProcura, Count: 1, Reason: "domanda presentata su procura"})
		if !ctx.SignedDigitally(DocProcura) {
			needs = append(needs, program.DocumentNeed{Kind: DocIdentityDocument, Count: 1, Reason: "procura senza firma digitale: firma autografa con copia del documento d'identità del legale rappresentante"})
		}
	case f.FilerRole == Delegate:
		needs = append(needs, program.DocumentNeed{Kind: DocDelega, Count: 1, Reason: "domanda presentata su delega"})
		if !ctx.SignedDigitally(DocDelega) {
			needs = append(needs, program.DocumentNeed{Kind: DocIdentityDocument, Count: 1, Reason: "delega senza firma digitale: firma autografa con copia del documento d'identità del delegante"})
		}
	}
	return needs
}

// Claims: one application per facility (seed: "una domanda per ognuna").
func (f *Form) Claims(string) []string { return []string{"facility:" + f.Facility.Code} }

// ClaimConflictCode: a second application for a facility is a duplicate.
func (f *Form) ClaimConflictCode() string { return problem.CodeDuplicate }

// Contact is the operator's e-mail.
func (f *Form) Contact() string { return f.Operator.Email }

// Summary names the facility (no personal data).
func (f *Form) Summary() string { return "Nido " + f.Facility.Code + " – " + f.Facility.Name }

// Flags are what the officer must verify by hand: a declared inner area
// (unless the call lists the inner-area Comuni, Check cannot) and a
// declared stamp-duty exemption.
func (f *Form) Flags() []string {
	var out []string
	if f.InnerArea {
		out = append(out, "inner_area_declared:"+f.Facility.ComuneISTAT)
	}
	if f.StampDutyExempt {
		out = append(out, "stamp_duty_exempt")
	}
	return out
}

// Allocation: weight = mean(children 01/10/2024, 31/01/2025) × months of
// operation, × 101/100 in inner areas (the "+1 percentage point"); cap =
// the lowest of €2,000 × mean children (not in inner areas), 70 % of the
// call's reference contribution per child × mean children, and expenses −
// income 2024/25 (zero when income covers expenses). Each cap is rounded
// down to the cent; on a tie the first in that order is named.
func (f *Form) Allocation(params map[string]string) (program.Allocation, error) {
	if f.Children20241001 == nil || f.Children20250131 == nil || f.Expenses2024 == nil || f.Income2024 == nil {
		return program.Allocation{}, fmt.Errorf("fvg allocation of facility %s: incomplete form", f.Facility.Code)
	}
	ref, err := money.ParseNonNegative(params[Param])
	if err != nil {
		return program.Allocation{}, fmt.Errorf("fvg allocation: call parameter %s: %w", Param, err)
	}
	inner := f.InnerArea
	if list, ok, err := InnerAreaComuni(params); err != nil {
		return program.Allocation{}, fmt.Errorf("fvg allocation: %w", err)
	} else if ok {
		inner = list[f.Facility.ComuneISTAT]
	}
	sum := int64(*f.Children20241001 + *f.Children20250131) // mean = sum/2, kept exact
	mean := big.NewRat(sum, 2)
	w := new(big.Rat).Mul(mean, big.NewRat(int64(f.MonthsOfOperation), 1))
	meanText := italian(trim(mean.FloatString(1)))
	expl := fmt.Sprintf("Media bambini (%d + %d) / 2 = %s × %d mesi di funzionamento", *f.Children20241001, *f.Children20250131,
		meanText, f.MonthsOfOperation)
	if inner {
		w.Mul(w, InnerAreaUplift)
		expl += " × 1,01 (area interna)"
	}
	expl += " = " + italian(trim(w.FloatString(4))) + "."

	type bound struct {
		amount money.Cents
		reason string
	}
	var bounds []bound
	if !inner {
		bounds = append(bounds, bound{PerChildCap.MulDivFloor(sum, 2), fmt.Sprintf("2.000 euro per bambino × media bambini %s", meanText)})
	}
	bounds = append(bounds, bound{ref.MulDivFloor(ReferenceCapPercent*sum, 200),
		fmt.Sprintf("70%% del contributo medio per bambino 2024/2025 (%s euro) × media bambini %s", ref, meanText)})
	net := *f.Expenses2024 - *f.Income2024
	bounds = append(bounds, bound{max(net, 0), fmt.Sprintf("spese − entrate 2024/2025 (%s − %s euro)", f.Expenses2024, f.Income2024)})
	best := bounds[0]
	for _, b := range bounds[1:] {
		if b.amount < best.amount {
			best = b
		}
	}
	c := best.amount
	return program.Allocation{Weight: w, Cap: &c, CapReason: best.reason, Explanation: expl}, nil
}

// trim drops trailing zeros of a decimal ("231.0000" → "231").
func trim(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func italian(s string) string { return strings.Replace(s, ".", ",", 1) }

// FacilityCodes is the one facility of the application.
func (f *Form) FacilityCodes() []string { return []string{f.Facility.Code} }
