package rendiconto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"sportello/shared/call"
	"sportello/shared/clock"
	"sportello/shared/docverify"
	"sportello/shared/pdfdoc"
	"sportello/shared/problem"
)

// DocTitle names a generated document in Italian.
func DocTitle(kind string) string {
	switch kind {
	case DocAccounting:
		return "il documento contabile"
	case DocLiquidation:
		return "la richiesta di liquidazione"
	}
	return kind
}

// MaxSigned bounds a signed upload: the generated documents are small, and
// their signed copies come in the request body (the API's 1 MiB limit).
const MaxSigned = 1 << 20

// checkSigned verifies a signed copy of a generated document: a CAdES
// envelope whose every signature verifies against its content, and whose
// content is byte-identical to want (the document as generated now).
func checkSigned(body, want []byte) ([]string, error) {
	if len(body) > MaxSigned {
		return nil, problem.New(problem.CodeTooLarge, "Il file firmato supera %d MB.", MaxSigned>>20)
	}
	res, err := docverify.Verify(bytes.NewReader(body), docverify.Declared{
		ContentType: docverify.TypeP7M, Size: int64(len(body)), SHA256: sha256Hex(body), MustBeSigned: true, MaxBytes: MaxSigned,
		AllowedTypes: []string{docverify.TypeP7M},
	})
	if err != nil {
		return nil, fmt.Errorf("verify signed copy: %w", err)
	}
	if res.Status != docverify.StatusVerified {
		return nil, problem.New(problem.CodeValidation, "%s", res.Reason).With("verification", res.Code)
	}
	if !res.SignatureChecked {
		return nil, problem.New(problem.CodeValidation, "La firma usa un algoritmo che il sistema non sa verificare: firmare con un dispositivo qualificato standard (CAdES, SHA-256).")
	}
	if res.ContentSHA256 != sha256Hex(want) {
		return nil, problem.New(problem.CodeValidation, "Il documento firmato non corrisponde a quello generato dal sistema: scaricarlo di nuovo, firmarlo e caricarlo.").With("verification", "not_the_generated_document")
	}
	return strings.Split(res.Signer, "; "), nil
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Render generates one of the two documents of a claim (C4.b: "il sistema
// informatico genererà automaticamente il documento contabile … e la
// richiesta di liquidazione"). The bytes depend only on the stored claim
// and call (the claim's creation instant is the PDF's date), so the copy
// the Comune signed can be checked byte for byte against a fresh one.
func Render(c Claim, cl call.Call, kind string) ([]byte, error) {
	switch kind {
	case DocAccounting:
		return pdfdoc.Application(accounting(c, cl))
	case DocLiquidation:
		return pdfdoc.Application(liquidation(c, cl))
	}
	return nil, problem.New(problem.CodeNotFound, "Documento non previsto: %q o %q.", DocAccounting, DocLiquidation)
}

func periodText(p Period) string {
	return fmt.Sprintf("da %s a %s", MonthName(p.From), MonthName(p.To))
}

func accounting(c Claim, cl call.Call) pdfdoc.ApplicationData {
	lines := append([]Assessed(nil), c.Lines...)
	SortLines(lines)
	var secs []pdfdoc.Section
	for i := 0; i < len(lines); {
		m := lines[i].Month
		sec := pdfdoc.Section{Title: "Mensilità di " + MonthName(m)}
		for ; i < len(lines) && lines[i].Month == m; i++ {
			l := lines[i]
			born := "nato prima del 2024"
			if l.BornFrom2024 {
				born = "nato dal 2024"
			}
			sec.Rows = append(sec.Rows, [2]string{
				fmt.Sprintf("Bambino %s", l.Child),
				fmt.Sprintf("C.F. %s · struttura %s · fascia ISEE %s · %s · retta %s · rimborso INPS %s · quota eccedente %s · quota regionale %s · frequenza: %s",
					l.ChildCF, l.Facility, l.Band, born, l.Fee, l.INPSBonus, l.Excess, l.RegionShare, l.Evidence),
			})
		}
		secs = append(secs, sec)
	}
	secs = append(secs, pdfdoc.Section{Title: "Totali", Rows: [][2]string{
		{"Buoni servizio", fmt.Sprint(len(c.Lines))},
		{"Quota regionale rendicontata", "€ " + c.Claimed.String()},
	}})
	return pdfdoc.ApplicationData{
		Title:       "Documento contabile — elenco dei buoni servizio da rimborsare",
		Subtitle:    fmt.Sprintf("%s · rendicontazione %s · periodo %s", cl.Title, c.ID, periodText(c.Period)),
		Applicant:   c.Org,
		GeneratedAt: c.CreatedAt,
		Sections:    secs,
	}
}

func liquidation(c Claim, cl call.Call) pdfdoc.ApplicationData {
	return pdfdoc.ApplicationData{
		Title:       "Richiesta di liquidazione",
		Subtitle:    fmt.Sprintf("%s · rendicontazione %s", cl.Title, c.ID),
		Applicant:   c.Org,
		GeneratedAt: c.CreatedAt,
		Sections: []pdfdoc.Section{{
			Title: "Importi",
			Rows: [][2]string{
				{"Periodo", periodText(c.Period)},
				{"Domanda di adesione", c.Submission},
				{"Buoni servizio", fmt.Sprint(len(c.Lines))},
				{"Quota regionale rendicontata", "€ " + c.Claimed.String()},
				{"Anticipo già erogato portato in detrazione", "€ " + c.AdvanceOffset.String()},
				{"Importo di cui si chiede la liquidazione", "€ " + c.Net.String()},
			},
		}, {
			Title: "Dichiarazione",
			Rows: [][2]string{{"Il Comune, in nome e per conto delle famiglie,",
				"chiede la liquidazione dell'importo sopra indicato e dichiara che le rette rendicontate sono maturate per l'effettiva frequenza, " +
					"non sono state pagate dalle famiglie (Avviso C4.b) e rispettano i massimali della Misura. Data di generazione: " + clock.FormatRome(c.CreatedAt) + "."}},
		}},
	}
}
