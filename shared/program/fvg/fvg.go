// Package fvg is the Regione Friuli Venezia Giulia "Contributo
// straordinario contenimento rette a.e. 2024/2025": operators (gestori) of
// accredited nidi apply, one application per facility, for a one-off
// contribution that holds down family fees.
package fvg

import (
	"encoding/json"
	"fmt"
	"math/big"

	"sportello/shared/money"
	"sportello/shared/problem"
	"sportello/shared/program"
)

// ID of the program.
const ID = "fvg-rette-2024"

// Rules of the seed.
var (
	// MaxIncreasePermille: 7.6 % = 6.5 % + ISTAT FOI of July 2024 (1.1 %).
	MaxIncreasePermille int64 = 76
	// OperatorCutoff: "gestori per almeno quattro mesi entro la data del 28/02/2025".
	OperatorCutoff = program.MustDate("2025-02-28")
	// PerChildCap: at most €2,000 per child per year (not for inner areas).
	PerChildCap = money.Euros(2000)
)

// Param is the call parameter with the average contribution per child
// granted for 2024/25 by the ordinary fee-containment fund; the cap is 70 %
// of it per child.
const Param = "referenceContributionPerChild"

// Program implements program.Program.
type Program struct{}

// New returns the program.
func New() Program { return Program{} }

// ID is the program id.
func (Program) ID() string { return ID }

// Region is FVG.
func (Program) Region() string { return "FVG" }

// ApplicantKinds: operators.
func (Program) ApplicantKinds() []string { return []string{program.KindGestore} }

var (
	pdfOrSigned = []string{"application/pdf", "application/pkcs7-mime"}
	xlsx        = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// DocumentKinds of the call.
func (Program) DocumentKinds() []program.DocumentKind {
	return []program.DocumentKind{
		{Kind: "tariff_plan_2024", Title: "Piano tariffario 2024/2025 (PDF come approvato)", ContentTypes: pdfOrSigned, MaxBytes: 50 << 20},
		{Kind: "tariff_plan_2025", Title: "Piano tariffario 2025/2026 (PDF come approvato)", ContentTypes: pdfOrSigned, MaxBytes: 50 << 20},
		{Kind: "tariff_detail", Title: "Dettaglio delle tariffe (Excel)", ContentTypes: []string{xlsx}, MaxBytes: 20 << 20},
		{Kind: "stamp_duty_receipt", Title: "Ricevuta del pagamento dell'imposta di bollo", ContentTypes: pdfOrSigned, MaxBytes: 20 << 20},
		{Kind: "procura", Title: "Procura firmata dal legale rappresentante", ContentTypes: pdfOrSigned, MaxBytes: 20 << 20},
		{Kind: "delega", Title: "Delega del soggetto gestore", ContentTypes: pdfOrSigned, MaxBytes: 20 << 20},
		{Kind: "id_document", Title: "Documento di identità del delegante/rappresentante", ContentTypes: pdfOrSigned, MaxBytes: 20 << 20},
	}
}

// Operator is the gestore.
type Operator struct {
	Name                string `json:"name"`
	FiscalCode          string `json:"fiscalCode"`
	LegalNature         string `json:"legalNature"` // public | private | third_sector
	LegalRepresentative string `json:"legalRepresentative"`
	Email               string `json:"email"`
}

// Facility is the nido.
type Facility struct {
	Code          string       `json:"code"`
	Name          string       `json:"name"`
	ComuneISTAT   string       `json:"comune"`
	Address       string       `json:"address"`
	StartedBySCIA program.Date `json:"startedBySCIA"`
	Accredited    bool         `json:"accredited"`
}

// Form is one application.
type Form struct {
	Operator                  Operator     `json:"operator"`
	FilerRole                 string       `json:"filerRole"` // legal_representative | proxy | delegate
	Facility                  Facility     `json:"facility"`
	SezionePrimavera          bool         `json:"sezionePrimavera"`
	BanOrRevokedAccreditation bool         `json:"banOrRevokedAccreditation"`
	ContinuesNextYear         bool         `json:"continuesNextYear"`
	TariffPlansCommunicated   bool         `json:"tariffPlansCommunicated"`
	ComuneRunOrRegulated      bool         `json:"comuneRunOrRegulated"`
	MonthlyFee2024            *money.Cents `json:"monthlyFee2024"` // highest monthly fee when Comune-run or regulated
	MonthlyFee2025            *money.Cents `json:"monthlyFee2025"`
	OperatorSince             program.Date `json:"operatorSince"`
	Children20241001          *int         `json:"childrenOn20241001"`
	Children20250131          *int         `json:"childrenOn20250131"`
	MonthsOfOperation         int          `json:"monthsOfOperation"`
	InnerArea                 bool         `json:"innerArea"`
	Expenses2024              *money.Cents `json:"expenses2024"`
	Income2024                *money.Cents `json:"income2024"`
	StampDutyExempt           bool         `json:"stampDutyExempt"`
}

// Decode reads the application strictly.
func (Program) Decode(raw json.RawMessage) (program.Form, error) {
	var f Form
	if err := program.Strict(raw, &f); err != nil {
		return nil, err
	}
	return &f, nil
}

// IncreaseWithinLimit is rule 3 in exact integers: fee2025 ≤ fee2024 × 1.076.
func IncreaseWithinLimit(fee2024, fee2025 money.Cents) bool {
	return int64(fee2025)*1000 <= int64(fee2024)*(1000+MaxIncreasePermille)
}

// OperatorLongEnough is rule 4a: at least four months as operator by
// 28/02/2025, counted back by calendar months: operating on or before
// 28/10/2024.
func OperatorLongEnough(since program.Date) bool {
	return !since.After(OperatorCutoff.AddMonths(-4))
}

// Check returns every eligibility or completeness problem.
func (f *Form) Check(ctx program.Context) problem.Fields {
	var out problem.Fields
	program.Text(&out, "operator.name", f.Operator.Name, 300)
	if !program.ValidFiscalCode(f.Operator.FiscalCode) {
		out.Add("operator.fiscalCode", problem.FieldInvalid, "Codice fiscale o partita IVA non valido.")
	} else if "gestore:"+f.Operator.FiscalCode != ctx.Org {
		out.Add("operator.fiscalCode", problem.FieldMismatch, "Il codice fiscale del gestore non corrisponde all'ente per cui si presenta la domanda.")
	}
	switch f.Operator.LegalNature {
	case "public", "private", "third_sector":
	default:
		out.Add("operator.legalNature", problem.FieldInvalid, "Natura giuridica: public, private o third_sector.")
	}
	program.Text(&out, "operator.legalRepresentative", f.Operator.LegalRepresentative, 200)
	if !program.ValidEmail(f.Operator.Email) {
		out.Add("operator.email", problem.FieldInvalid, "Indicare un indirizzo e-mail (PEC) valido.")
	}
	switch f.FilerRole {
	case "legal_representative", "proxy", "delegate":
	default:
		out.Add("filerRole", problem.FieldInvalid, "Chi presenta: legal_representative, proxy (procura) o delegate (delega).")
	}
	program.Text(&out, "facility.code", f.Facility.Code, 40)
	program.Text(&out, "facility.name", f.Facility.Name, 300)
	program.Text(&out, "facility.address", f.Facility.Address, 300)
	if c, ok := ctx.Registry.Comune(f.Facility.ComuneISTAT); !ok || c.RegionCode != "06" {
		out.Add("facility.comune", problem.FieldInvalid, "Indicare il codice ISTAT di un Comune del Friuli Venezia Giulia.")
	}
	if f.Facility.StartedBySCIA.IsZero() {
		out.Add("facility.startedBySCIA", problem.FieldRequired, "Indicare la data della SCIA di avvio del nido.")
	}
	if !f.Facility.Accredited {
		out.Add("facility.accredited", "not_eligible", "Possono presentare domanda solo i gestori di nidi accreditati.")
	}
	if f.SezionePrimavera {
		out.Add("sezionePrimavera", "not_eligible", "Le sezioni primavera sono escluse dal contributo.")
	}
	if f.BanOrRevokedAccreditation {
		out.Add("banOrRevokedAccreditation", "not_eligible", "Sono esclusi i gestori con divieto di prosecuzione o revoca dell'accreditamento.")
	}
	if !f.ContinuesNextYear {
		out.Add("continuesNextYear", "not_eligible", "Il servizio deve proseguire nell'anno educativo 2025/2026.")
	}
	if !f.TariffPlansCommunicated {
		out.Add("tariffPlansCommunicated", "not_eligible", "Senza la comunicazione dei piani tariffari 2024/2025 e 2025/2026 la domanda è archiviata.")
	}
	fee24, fee25 := f.MonthlyFee2024, f.MonthlyFee2025
	label := "la retta mensile 2024/2025"
	if f.ComuneRunOrRegulated {
		label = "la retta mensile più alta applicata nel 2024/2025"
	}
	switch {
	case fee24 == nil || *fee24 <= 0:
		out.Add("monthlyFee2024", problem.FieldRequired, "Indicare %s.", label)
	case fee25 == nil || *fee25 < 0:
		out.Add("monthlyFee2025", problem.FieldRequired, "Indicare la retta mensile 2025/2026 corrispondente.")
	case !IncreaseWithinLimit(*fee24, *fee25):
		out.Add("monthlyFee2025", "increase_over_limit", "L'aumento da %s a %s euro supera il 7,6%% (massimo %s euro).",
			fee24, fee25, fee24.MulDivFloor(1000+MaxIncreasePermille, 1000))
	}
	if f.OperatorSince.IsZero() {
		out.Add("operatorSince", problem.FieldRequired, "Indicare la data da cui il soggetto gestisce il nido.")
	} else if !OperatorLongEnough(f.OperatorSince) {
		out.Add("operatorSince", "not_eligible", "Occorre essere gestori da almeno quattro mesi al 28/02/2025 (cioè dal 28/10/2024 o prima).")
	}
	c1, c2 := f.Children20241001, f.Children20250131
	if c1 == nil || *c1 < 0 {
		out.Add("childrenOn20241001", problem.FieldRequired, "Indicare i bambini accolti al 1° ottobre 2024.")
	}
	if c2 == nil || *c2 < 0 {
		out.Add("childrenOn20250131", problem.FieldRequired, "Indicare i bambini accolti al 31 gennaio 2025.")
	}
	if c1 != nil && c2 != nil && *c1 >= 0 && *c2 >= 0 && *c1+*c2 < 2 {
		out.Add("childrenOn20250131", "not_eligible", "La media dei bambini accolti al 1° ottobre 2024 e al 31 gennaio 2025 deve essere almeno 1.")
	}
	if f.MonthsOfOperation < 1 || f.MonthsOfOperation > 12 {
		out.Add("monthsOfOperation", problem.FieldInvalid, "Indicare i mesi di effettivo funzionamento nel 2024/2025 (da 1 a 12).")
	}
	if f.Expenses2024 == nil || *f.Expenses2024 < 0 {
		out.Add("expenses2024", problem.FieldRequired, "Indicare le spese di gestione del nido 2024/2025.")
	}
	if f.Income2024 == nil || *f.Income2024 < 0 {
		out.Add("income2024", problem.FieldRequired, "Indicare le entrate di gestione del nido 2024/2025.")
	}
	return out
}

// RequiredDocuments: both tariff plans and the tariff detail always; the
// stamp duty receipt unless exempt; a procura or delega with the ID
// document when someone other than the legal representative files.
func (f *Form) RequiredDocuments(program.Context) []program.DocumentNeed {
	needs := []program.DocumentNeed{
		{Kind: "tariff_plan_2024", Count: 1, Reason: "piano tariffario 2024/2025"},
		{Kind: "tariff_plan_2025", Count: 1, Reason: "piano tariffario 2025/2026"},
		{Kind: "tariff_detail", Count: 1, Reason: "dettaglio delle tariffe in Excel"},
	}
	if !f.StampDutyExempt {
		needs = append(needs, program.DocumentNeed{Kind: "stamp_duty_receipt", Count: 1, Reason: "imposta di bollo"})
	}
	switch f.FilerRole {
	case "proxy":
		needs = append(needs, program.DocumentNeed{Kind: "procura", Count: 1, Reason: "domanda presentata su procura"},
			program.DocumentNeed{Kind: "id_document", Count: 1, Reason: "documento del legale rappresentante"})
	case "delegate":
		needs = append(needs, program.DocumentNeed{Kind: "delega", Count: 1, Reason: "domanda presentata su delega"},
			program.DocumentNeed{Kind: "id_document", Count: 1, Reason: "documento del delegante"})
	}
	return needs
}

// Claims: one application per facility.
func (f *Form) Claims(string) []string { return []string{"facility:" + f.Facility.Code} }

// ClaimConflictCode: a second application for a facility is a duplicate.
func (f *Form) ClaimConflictCode() string { return problem.CodeDuplicate }

// Contact is the operator's e-mail.
func (f *Form) Contact() string { return f.Operator.Email }

// Summary names the facility.
func (f *Form) Summary() string { return "Nido " + f.Facility.Code + " – " + f.Facility.Name }

// Allocation: weight = mean(children 01/10/2024, 31/01/2025) × months of
// operation, × 1.01 in inner areas (the "+1 percentage point"); cap =
// the lowest of €2,000 × mean children (not in inner areas), 70 % of the
// call's reference contribution per child × mean children, and expenses −
// income (never below zero). Caps are rounded down to the cent.
func (f *Form) Allocation(params map[string]string) (program.Allocation, error) {
	if f.Children20241001 == nil || f.Children20250131 == nil || f.Expenses2024 == nil || f.Income2024 == nil {
		return program.Allocation{}, fmt.Errorf("fvg allocation: incomplete form")
	}
	ref, err := money.ParseNonNegative(params[Param])
	if err != nil {
		return program.Allocation{}, fmt.Errorf("fvg allocation: call parameter %s: %w", Param, err)
	}
	sumChildren := int64(*f.Children20241001 + *f.Children20250131) // mean = sum/2
	w := big.NewRat(sumChildren*int64(f.MonthsOfOperation), 2)
	expl := fmt.Sprintf("Media bambini (%d+%d)/2 = %s × %d mesi", *f.Children20241001, *f.Children20250131,
		big.NewRat(sumChildren, 2).FloatString(1), f.MonthsOfOperation)
	if f.InnerArea {
		w.Mul(w, big.NewRat(101, 100))
		expl += " × 1,01 (area interna)"
	}
	expl += " = " + w.FloatString(4) + "."

	type bound struct {
		amount money.Cents
		reason string
	}
	bounds := []bound{
		{ref.MulDivFloor(70*sumChildren, 200), fmt.Sprintf("70%% del contributo medio per bambino (%s) × media bambini", ref)},
	}
	if !f.InnerArea {
		bounds = append(bounds, bound{PerChildCap.MulDivFloor(sumChildren, 2), "2.000 euro per bambino × media bambini"})
	}
	net := *f.Expenses2024 - *f.Income2024
	bounds = append(bounds, bound{max(net, 0), "spese − entrate 2024/2025"})
	best := bounds[0]
	for _, b := range bounds[1:] {
		if b.amount < best.amount {
			best = b
		}
	}
	c := best.amount
	return program.Allocation{Weight: w, Cap: &c, CapReason: best.reason, Explanation: expl}, nil
}
