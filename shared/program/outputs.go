package program

// Identified is implemented by forms that name who applies, for the lists
// and decrees the Region publishes (elenco degli ammessi e degli esclusi,
// decree data): the applicant's legal name and fiscal code (codice fiscale
// or partita IVA; "" when the form does not carry one, as for a Comune
// known by its ISTAT code), and what the application covers — its
// facilities or Comuni, each a short label.
type Identified interface {
	Applicant() (name, fiscalCode string)
	Covers() []string
}

// Reason is a coded reason for an exclusion: a stable code for the lists
// and a title for people.
type Reason struct {
	Code  string `json:"code"`
	Title string `json:"title"`
}

// Excluder is implemented by programs whose officers exclude applications
// for coded reasons (FVG, Lombardy); the list is the call's own.
type Excluder interface {
	ExclusionReasons() []Reason
}
