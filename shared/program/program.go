// Package program is what the submission lifecycle needs to know about one
// call's form: how to read it, what blocks filing, which documents it needs,
// and who may not file twice. One sub-package per seed call implements it;
// the lifecycle itself (drafts, protocol, review) lives in package submission
// and never looks inside a form.
package program

import (
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"sportello/shared/money"
	"sportello/shared/problem"
)

// Applicant kinds, the prefix of an org ("comune:001272", "gestore:<CF>").
const (
	KindComune  = "comune"
	KindGestore = "gestore"
)

// Comune is one row of the ISTAT list.
type Comune struct {
	ISTAT      string // 6 digits
	Name       string
	RegionCode string // ISTAT region code (Region.ISTAT), e.g. "01"
	Province   string // plate code, e.g. "TO"
	Cadastral  string // codice catastale, 4 characters
}

// Registry answers the look-ups a form needs while it is checked: the
// ISTAT list of Comuni, and the reference lists officers imported into the
// call, by kind (those its program declares: Lister). The adapters
// (DynamoDB, or the local runtime's seeded data) implement it.
type Registry interface {
	// Comune finds a Comune by ISTAT code.
	Comune(istat string) (Comune, bool)
	// Rows are the rows of the call's list of kind filed under key, by
	// id; none when the list or the key has none.
	Rows(kind, key string) []Row
}

// Row is one row of a reference list as stored: its id (unique in its
// list), the key a form looks it up by, and its fields as JSON (the type
// the list's program reads them into, see Find).
type Row struct {
	Kind string
	ID   string
	Key  string
	JSON json.RawMessage
}

// NewRow stores v as a row of the list of kind.
func NewRow(kind, id, key string, v any) (Row, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Row{}, fmt.Errorf("%s row %s: %w", kind, id, err)
	}
	return Row{Kind: kind, ID: id, Key: key, JSON: b}, nil
}

// Find reads the rows of the list of kind filed under key as T (rows that
// do not read as T are skipped: a list is read by the program that
// declared it).
func Find[T any](r Registry, kind, key string) []T {
	var out []T
	for _, row := range r.Rows(kind, key) {
		var v T
		if json.Unmarshal(row.JSON, &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// ReferenceList is a list officers import into a call as CSV, declared by
// the program whose forms are checked against it.
type ReferenceList struct {
	// Kind names it: the import's ?kind=, the rows' Kind.
	Kind string
	// Read reads the CSV strictly: every row good, or a *problem.Error
	// naming every bad cell and nothing imported.
	Read func(io.Reader) ([]Row, error)
}

// Lister is implemented by programs whose forms are checked against
// reference lists the officers import (Piemonte's pre-loaded services,
// Lombardy's AFAM_UDOS facilities).
type Lister interface {
	ReferenceLists() []ReferenceList
}

// ListsOf is the reference lists of p (none unless it is a Lister).
func ListsOf(p Program) []ReferenceList {
	if l, ok := p.(Lister); ok {
		return l.ReferenceLists()
	}
	return nil
}

// Kinds of reference list of the existing programs, with the row types
// their readers (shared/registry) produce.
const (
	ListPreloaded  = "preloaded" // PreloadedService, by the Comune's ISTAT code (Piemonte)
	ListFacilities = "facility"  // Facility, by its AFAM_UDOS code (Lombardy)
	// ListAdhesions are the adhesions to the previous edition (Lombardy
	// 2024/25), one AdhesionLine per fee line, by the Comune's ISTAT code.
	ListAdhesions = "adhesion2024"
)

// AdhesionLine is one fee line of a Comune's adhesion to the previous
// edition of a call, as the Region approved it in that edition's review
// (Lombardy C.1: the Comuni that adhered to 2024/25 find their
// participation, facilities and fees pre-loaded). The Comune-level fields
// repeat on each of its lines.
type AdhesionLine struct {
	ComuneISTAT     string   `json:"comune"`
	ApplicationType string   `json:"applicationType"` // single | associated
	AssociationKind string   `json:"associationKind,omitempty"`
	Members         []string `json:"members,omitempty"` // ISTAT codes, the capofila implied
	Facility        string   `json:"facility"`          // AFAM_UDOS code
	Mode            string   `json:"mode"`
	ModeDescription string   `json:"modeDescription,omitempty"`
	ISEE20000       Fees     `json:"isee20000"`
	ISEE25000       Fees     `json:"isee25000"`
}

// Fees are a monthly fee's parts for one ISEE value, as approved.
type Fees struct {
	Total       money.Cents  `json:"total"`
	FamilyShare money.Cents  `json:"familyShare"`
	ComuneShare *money.Cents `json:"comuneShare,omitempty"`
}

// LineKey identifies a fee line within a Comune's adhesion: the facility
// and the attendance mode (with its description, blanks and case aside).
func LineKey(facility, mode, description string) string {
	return facility + "\x00" + mode + "\x00" + strings.ToLower(strings.TrimSpace(description))
}

// PreloadedService is a service the Region pre-loads for a Comune (Piemonte).
type PreloadedService struct {
	ID           string    `json:"id"`
	ComuneISTAT  string    `json:"comune"`
	Name         string    `json:"name"`
	Type         string    `json:"type"` // nido, micronido, sezione primavera, ...
	Address      string    `json:"address"`
	Operator     string    `json:"operator"`
	Places       int       `json:"places"`
	AuthorisedOn time.Time `json:"authorisedOn"`
	// AuthorisationAct is the reference of the latest authorisation act
	// the Region knows ("" when its import did not carry it).
	AuthorisationAct string `json:"authorisationAct,omitempty"`
}

// Facility is one row of the Lombardy AFAM_UDOS registry.
type Facility struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	ComuneISTAT string `json:"comune"`
	Address     string `json:"address"`
	Public      bool   `json:"public"`
	Places      int    `json:"places"`
	Active      bool   `json:"active"`
}

// Context is what a check may depend on besides the form itself.
type Context struct {
	Org      string    // the org filing, e.g. "comune:001272"
	Now      time.Time // the filing instant (request arrival)
	Registry Registry
	// Documents lists the kinds of document of this application that have
	// been verified (a document never verified does not count).
	VerifiedDocuments map[string]int
	// Params are the call's parameters set by the officer (e.g. FVG's
	// reference average contribution per child), by name.
	Params map[string]string
	// Documents are the verified documents with how they are signed, for
	// needs that depend on it (a document signed by hand needs the
	// signer's identity document).
	Documents []Document
}

// Document is one verified upload as the checks see it.
type Document struct {
	Kind    string
	Ref     string   // the item a per-item document is for
	Signed  bool     // carries a digital signature (CAdES or PAdES)
	Signers []string // distinct signers named
	SHA256  string   // of the file
	// SignedContent: SHA-256 of what its checked signatures cover (a
	// CAdES content, a PAdES signed revision).
	SignedContent []string
}

// SignedDigitally reports whether a verified document of kind carries a
// digital signature.
func (c Context) SignedDigitally(kind string) bool {
	for _, d := range c.Documents {
		if d.Kind == kind && d.Signed {
			return true
		}
	}
	return false
}

// Uploaded reports whether a verified document of kind is present.
func (c Context) Uploaded(kind string) bool {
	for _, d := range c.Documents {
		if d.Kind == kind {
			return true
		}
	}
	return c.VerifiedDocuments[kind] > 0
}

// DocumentKind describes one kind of upload a program accepts.
type DocumentKind struct {
	Kind         string   `json:"kind"`
	Title        string   `json:"title"` // Italian, for people
	ContentTypes []string `json:"contentTypes"`
	MaxBytes     int64    `json:"maxBytes"`
	MustBeSigned bool     `json:"mustBeSigned"`
	// MinSigners, above 1, is how many distinct signers the signature
	// must name (a convenzione "sottoscritta da entrambe le parti").
	MinSigners int `json:"minSigners,omitempty"`
	// PerItem names the item each document of this kind is for
	// ("facility"): it is declared with that item's reference, and each
	// item needs its own file.
	PerItem string `json:"perItem,omitempty"`
	// Columns, for a spreadsheet kind, are the columns the header row of
	// its first sheet must have (FVG's tariff detail); docverify checks
	// them.
	Columns []string `json:"columns,omitempty"`
}

// DocumentNeed is one required document: Count of Kind, for Reason.
type DocumentNeed struct {
	Kind   string `json:"kind"`
	Count  int    `json:"count"`
	Reason string `json:"reason"`        // Italian
	Ref    string `json:"ref,omitempty"` // for a per-item kind: the item it is for
}

// Program is one call's rules.
type Program interface {
	// ID is the program identifier stored on calls, e.g. "piemonte-rilevazione-2026".
	ID() string
	// Region is the Region whose call this is: the program owns it, and
	// the Regions a deployment serves are those of its programs
	// (Programs.Regions).
	Region() Region
	// ApplicantKinds lists the org kinds that may file.
	ApplicantKinds() []string
	// Decode reads the JSON data of a draft strictly: unknown fields, wrong
	// types, malformed amounts or dates are a *problem.Error (code
	// bad_request or validation_failed) naming each field. It checks shape
	// only: a half-filled draft decodes.
	Decode(raw json.RawMessage) (Form, error)
	// DocumentKinds lists every kind of upload the program accepts.
	DocumentKinds() []DocumentKind
}

// Form is one decoded application.
type Form interface {
	// Check returns everything that prevents filing, all at once, with
	// field paths relative to the data object (e.g. "services[2].reason").
	Check(ctx Context) problem.Fields
	// RequiredDocuments lists the documents filing needs for this form.
	RequiredDocuments(ctx Context) []DocumentNeed
	// Claims are the keys no two filed applications of one call may share
	// (Piemonte: the Comune; FVG: the facility; Lombardy: the Comune or every
	// member of an association). ClaimConflictCode is the problem code used
	// when one is taken (duplicate or member_conflict).
	Claims(org string) []string
	ClaimConflictCode() string
	// Contact is the e-mail address receipts go to ("" if none).
	Contact() string
	// Summary is a short Italian label of the application for listings (no
	// personal data).
	Summary() string
}

// Allocation is one beneficiary's input to the riparto.
type Allocation struct {
	Weight      *big.Rat     // exact; zero takes no share
	Cap         *money.Cents // nil when uncapped
	CapReason   string       // which cap bound, Italian
	Explanation string       // how the weight was derived, Italian
}

// Allocator is implemented by forms that take part in a riparto.
type Allocator interface {
	Allocation(params map[string]string) (Allocation, error)
}

// ValidEmail is a light syntax check of an e-mail address (the receipt
// goes there; deliverability is SES's business).
func ValidEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return len(s) <= 254 && at > 0 && at < len(s)-3 && strings.Contains(s[at:], ".") && !strings.ContainsAny(s, " \t\r\n<>,;")
}

// OrgID splits "comune:001272" into its id.
func OrgID(org string) string {
	_, id, _ := strings.Cut(org, ":")
	return id
}

// Text checks a required free-text field and its length.
func Text(f *problem.Fields, path, v string, maxLen int) {
	switch {
	case strings.TrimSpace(v) == "":
		f.Add(path, problem.FieldRequired, "Campo obbligatorio.")
	case len(v) > maxLen:
		f.Add(path, problem.FieldTooLarge, "Al massimo %d caratteri.", maxLen)
	}
}

// Section is a titled block of label/value rows of a generated application.
type Section struct {
	Title string
	Rows  [][2]string
}

// Summarizer is implemented by forms that generate an application
// document to be signed (Lombardy's Allegato A1).
type Summarizer interface {
	Sections() []Section
}

// SignedSummary is implemented by forms whose generated application must
// come back signed as generated: a verified document of SignedSummaryKind
// must carry, under a checked signature, the very bytes of the summary
// generated from the data as they are now; SummaryMismatch says otherwise
// (Italian).
type SignedSummary interface {
	Summarizer
	SignedSummaryKind() string
	SummaryMismatch() string
}

// Flagger is implemented by forms that raise points for the officer to
// assess without blocking filing (e.g. a fee increase above 7 % justified
// by a change of management).
type Flagger interface {
	Flags() []string
}

// ReviewModel is how a program's applications are reviewed.
type ReviewModel int

const (
	// Admission: the Region admits, excludes, or asks for documents (the
	// default: FVG contributo, Lombardy adesione).
	Admission ReviewModel = iota
	// Validation: the Region validates or rejects (Piemonte rilevazione);
	// a rejected form is corrected and sent again.
	Validation
)

// DecisionKind is one decision a review model offers an officer, with
// what it asks for: "required", "optional" or "" (not taken) for the notes
// and the deadline. The API shows them with each call, so the officers'
// pages offer what the program allows without knowing programs.
type DecisionKind struct {
	Decision string `json:"decision"`
	Label    string `json:"label"` // Italian, for a button
	Notes    string `json:"notes,omitempty"`
	Deadline string `json:"deadline,omitempty"`
	// Reasons: the coded exclusion reasons of the call may go with it.
	Reasons bool `json:"reasons,omitempty"`
}

// Name is the model's name in the API: "validation" or "admission".
func (m ReviewModel) Name() string {
	if m == Validation {
		return "validation"
	}
	return "admission"
}

// Decisions lists what an officer may decide under m, as
// submission.ApplyReview checks it. A Piemonte rejection without a
// deadline is given the open (or next) window's closing.
func (m ReviewModel) Decisions() []DecisionKind {
	if m == Validation {
		return []DecisionKind{
			{Decision: "validate", Label: "Valida", Notes: "optional"},
			{Decision: "reject", Label: "Respingi per correzione", Notes: "required", Deadline: "optional"},
		}
	}
	return []DecisionKind{
		{Decision: "admit", Label: "Ammetti", Notes: "optional"},
		{Decision: "exclude", Label: "Escludi", Notes: "required", Reasons: true},
		{Decision: "request_integration", Label: "Richiedi integrazione", Notes: "required", Deadline: "required"},
	}
}

// Reviewer is implemented by programs whose review model is not the
// default (Admission).
type Reviewer interface {
	ReviewModel() ReviewModel
}

// ReviewModelOf is p's review model.
func ReviewModelOf(p Program) ReviewModel {
	if r, ok := p.(Reviewer); ok {
		return r.ReviewModel()
	}
	return Admission
}

// Deriver is implemented by forms that compute values the applicant
// should see beside the data as sent (e.g. Piemonte's averaging periods);
// the API shows them as "derived".
type Deriver interface {
	Derived() any
}

// Accounted is implemented by programs whose admitted applicants then
// account for what they spent (rendicontazione, shared/rendiconto:
// Lombardy's Nidi Gratis Plus); AnnualBudget is the measure's budget per
// educational year, which the requests are checked against.
type Accounted interface {
	AnnualBudget() money.Cents
}

// Facilitator is implemented by forms that list facilities: an officer
// admits all of them or a subset, never a facility the form does not list.
type Facilitator interface {
	FacilityCodes() []string
}

// Region is a Region sportello serves.
type Region struct {
	// Code is the officers' region claim and the calls' region, three
	// capitals ("PIE").
	Code string
	// Name is the Region as receipts and published lists print it.
	Name string
	// ISTAT is the ISTAT region code of its Comuni ("01").
	ISTAT string
}

// Programs are the programs a deployment runs, by id (see catalog).
type Programs map[string]Program

// RegionOf is the region code of a program.
func (ps Programs) RegionOf(id string) (string, bool) {
	p, ok := ps[id]
	if !ok {
		return "", false
	}
	return p.Region().Code, true
}

// Regions are the Regions of the programs, code → name: the only list of
// Regions there is (an officer's region claim must be one of them).
func (ps Programs) Regions() map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		out[p.Region().Code] = p.Region().Name
	}
	return out
}

// RegionName is the name of the Region of code ("" when no program has it).
func (ps Programs) RegionName(code string) string { return ps.Regions()[code] }

// PrivacyNotice is the data-protection notice (GDPR art. 13) a call's
// applicants must acknowledge before their first save: its version (the
// date of its last update, as the notice itself states it) and title.
type PrivacyNotice struct {
	Version string `json:"version"`
	Title   string `json:"title"`
}

// Prefiller is implemented by programs that pre-load a new draft from the
// call's reference lists (Lombardy: a returning Comune's 2024/25
// adhesion): Prefill answers data with what org finds pre-loaded in the
// top-level fields data leave out.
type Prefiller interface {
	Prefill(data json.RawMessage, org string, reg Registry) (json.RawMessage, error)
}

// Informer is implemented by programs whose call publishes a privacy
// notice to acknowledge (Lombardy's Allegato A2, Avviso D.7).
type Informer interface {
	PrivacyNotice() PrivacyNotice
}

// ParamPrivacyNoticeVersion is the call parameter by which the officer
// records a newer version of the notice the Region published: it replaces
// the program's own.
const ParamPrivacyNoticeVersion = "privacyNoticeVersion"

// NoticeOf is the privacy notice applicants to a call of p must
// acknowledge (the program's, at the version the call's parameters say),
// and whether there is one.
func NoticeOf(p Program, params map[string]string) (PrivacyNotice, bool) {
	in, ok := p.(Informer)
	if !ok {
		return PrivacyNotice{}, false
	}
	n := in.PrivacyNotice()
	if v := params[ParamPrivacyNoticeVersion]; v != "" {
		n.Version = v
	}
	return n, true
}
