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

// What a deadline needs done.
const (
	NeedsDecisions = "decisions" // every application of the window decided
	NeedsDecree    = "decree"    // every application decided and a riparto concluded (the decree's data)
)

// Deadline is a date the Region itself must meet once the windows close.
// Either On is the last day (Rome calendar), or the last day is
// DaysAfterClose calendar days after each window's closing day (one
// deadline per window).
type Deadline struct {
	ID             string
	Title          string // Italian, with the act that sets it
	On             Date
	DaysAfterClose int
	Needs          string
}

// Deadliner is implemented by programs whose seed sets the Region's own
// deadlines (FVG's concession decree, Lombardy's 60-day istruttoria).
type Deadliner interface {
	Deadlines() []Deadline
}

// RegisteredService is one service as the Region sends it on to the
// registry of services (INPS Bonus Nidi): its data, its state at the
// reference date with the act and date behind it, and the average
// attendance of an active service over its averaging period.
type RegisteredService struct {
	ID, Name, Type, Address, Operator string
	Places                            int
	Status                            string // Italian: attivo, cessato, sospeso, non raggiunto
	Act                               string // authorisation act (active), the act of closure (ceased)
	ActDate                           Date
	Reason                            string // why suspended or not reached
	AverageAttendance                 string // exact decimal ("12.50"); "" unless active
	From, To                          Date   // averaging period of an active service
}

// ServiceRegister is implemented by forms that report services for the
// Region's registry (Piemonte's scheda SERVIZI 03).
type ServiceRegister interface {
	RegisteredServices() []RegisteredService
}
