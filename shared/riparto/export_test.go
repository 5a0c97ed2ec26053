package riparto

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sportello/shared/money"
)

// sample: Torino (weight 2) and Asti (weight 1, capped at 200.00) share
// 1000.00 euro; Cuneo (weight 1/3) shows a fraction and the rounding cent.
func sample(t *testing.T) Result {
	t.Helper()
	r, err := Allocate(100000, []Beneficiary{
		{ID: "comune:001272", Weight: big.NewRat(2, 1)},
		{ID: "comune:005005", Weight: big.NewRat(1, 1), Cap: cents(20000), CapReason: "2.000 euro per bambino"},
		{ID: "comune:004078", Weight: big.NewRat(1, 3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 20000 to Asti; 80000 × 2/(7/3) = 68571.43 to Torino, × (1/3)/(7/3) = 11428.57 to Cuneo.
	if got := amounts(r); got != "comune:001272=68571 comune:004078=11429 comune:005005=20000" {
		t.Fatal(got)
	}
	return r
}

func TestExplanation(t *testing.T) {
	r := sample(t)
	tests := []struct {
		name string
		line Line
		want []string
	}{
		{"an uncapped line gives weight, exact share and truncation", r.Lines[0],
			[]string{"Peso 2.", "Quota esatta 685.714285… euro", "troncata al centesimo: importo 685.71 euro."}},
		{"a line that got the rounding cent says so", r.Lines[1],
			[]string{"Peso 1/3.", "Quota esatta 114.285714… euro", "114.28 euro troncando al centesimo, più 1 centesimo", "resti maggiori; importo 114.29 euro."}},
		{"a capped line names its cap and why", r.Lines[2],
			[]string{"Peso 1.", "tetto di 200.00 euro (2.000 euro per bambino)", "l'eccedenza è ripartita tra gli altri beneficiari"}},
		{"a zero weight gets a short sentence", Line{ID: "z", Weight: new(big.Rat), RawShare: new(big.Rat)},
			[]string{"Peso zero: nessuna quota."}},
		{"an exact share shows its cents", Line{ID: "e", Weight: big.NewRat(1, 1), RawShare: big.NewRat(30000, 1), Amount: 30000, Cap: cents(40000)},
			[]string{"Quota esatta 300.00 euro: importo 300.00 euro.", "Il tetto di 400.00 euro non è raggiunto."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Explanation(tt.line)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Fatalf("%q lacks %q", got, w)
				}
			}
		})
	}
}

func TestRawShareIsTruncatedNotRounded(t *testing.T) {
	// 2/3 of a cent is 0.006666… euro: shown 0.006666, never 0.006667.
	s, exact := RawShareEuros(Line{RawShare: big.NewRat(2, 3)})
	if s != "0.006666" || exact {
		t.Fatal(s, exact)
	}
	s, exact = RawShareEuros(Line{RawShare: big.NewRat(1, 8)}) // 0.00125 euro
	if s != "0.00125" || !exact {
		t.Fatal(s, exact)
	}
}

func TestWeightString(t *testing.T) {
	for in, want := range map[string]string{"25/2": "12.5", "1/3": "1/3", "7": "7", "0": "0", "1/1024": "0.0009765625", "1/8192": "1/8192"} {
		r, _ := new(big.Rat).SetString(in)
		if got := WeightString(r); got != want {
			t.Errorf("WeightString(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestResultJSON(t *testing.T) {
	b, err := json.Marshal(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Fund, Allocated, Unallocated, EngineVersion string
		Lines                                       []map[string]any
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Fund != "1000.00" || got.Allocated != "1000.00" || got.Unallocated != "0.00" || got.EngineVersion != EngineVersion || len(got.Lines) != 3 {
		t.Fatalf("%s", b)
	}
	cuneo := got.Lines[1]
	want := map[string]any{"id": "comune:004078", "org": "comune:004078", "weight": "1/3", "rawShare": "114.285714",
		"rawShareExact": "800/7", "amount": "114.29", "cap": nil, "capped": false, "roundingAdjustment": "0.01"}
	for k, v := range want {
		if cuneo[k] != v {
			t.Errorf("%s = %#v, want %#v", k, cuneo[k], v)
		}
	}
	if e, _ := cuneo["explanation"].(string); !strings.HasPrefix(e, "Peso 1/3.") {
		t.Errorf("explanation %q", e)
	}
	asti := got.Lines[2]
	if asti["cap"] != "200.00" || asti["capped"] != true || asti["capReason"] != "2.000 euro per bambino" || asti["rawShare"] != "200.00" {
		t.Errorf("%v", asti)
	}
	if caps, _ := asti["caps"].([]any); len(caps) != 1 || caps[0] != "2.000 euro per bambino" {
		t.Errorf("caps %v", asti["caps"])
	}
}

// When every line is capped nobody takes the excess: no line may say it
// was shared among the others, and each says how much stays unallocated.
func TestEveryLineCappedSaysTheRestStaysUnallocated(t *testing.T) {
	r, err := Allocate(10000000, []Beneficiary{
		{ID: "a", Weight: big.NewRat(231, 1), Cap: cents(2205000), CapReason: "70%"},
		{ID: "b", Weight: big.NewRat(55, 1), Cap: cents(300000), CapReason: "spese − entrate"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unallocated != 7495000 {
		t.Fatalf("unallocated %s", r.Unallocated)
	}
	for _, l := range r.Lines {
		got := r.Explanation(l)
		if strings.Contains(got, "ripartita tra gli altri") || !strings.Contains(got, "74950.00 euro del fondo restano non ripartiti") {
			t.Fatalf("%s: %q", l.ID, got)
		}
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "ripartita tra gli altri") {
		t.Fatalf("the JSON lies: %s", b)
	}
}

var exportedAt = time.Date(2025, 11, 30, 9, 0, 0, 0, time.UTC)

func TestTableCSV(t *testing.T) {
	r := sample(t)
	names := map[string]string{"comune:001272": "Torino", "comune:005005": "Asti", "comune:004078": "=HYPERLINK(\"x\")"}
	b, err := r.Table(names, exportedAt).CSV()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatal("no BOM")
	}
	cr := csv.NewReader(bytes.NewReader(b[3:]))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][1] != "denominazione" {
		t.Fatalf("%v", rows)
	}
	col := func(name string) int {
		for i, h := range rows[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	torino, cuneo, asti, total := rows[1], rows[2], rows[3], rows[4]
	if torino[col("denominazione")] != "Torino" || torino[col("importo_euro")] != "685,71" || torino[col("tetto_euro")] != "" {
		t.Fatalf("torino %v", torino)
	}
	if cuneo[col("denominazione")] != "'=HYPERLINK(\"x\")" {
		t.Fatalf("a formula-looking name must be defused: %q", cuneo[col("denominazione")])
	}
	if cuneo[col("peso")] != "1/3" || cuneo[col("quota_esatta_euro")] != "114,285714…" || cuneo[col("arrotondamento_euro")] != "0,01" {
		t.Fatalf("cuneo %v", cuneo)
	}
	if asti[col("tetto_applicato")] != "sì" || asti[col("tetto_euro")] != "200,00" || asti[col("motivo_tetto")] != "2.000 euro per bambino" {
		t.Fatalf("asti %v", asti)
	}
	// The amounts column adds up to the total row, to the cent.
	var sum money.Cents
	for _, row := range rows[1:4] {
		c, err := money.Parse(strings.Replace(row[col("importo_euro")], ",", ".", 1))
		if err != nil {
			t.Fatal(err)
		}
		sum += c
	}
	if total[0] != "TOTALE" || total[col("importo_euro")] != strings.Replace(sum.String(), ".", ",", 1) || sum != r.Allocated ||
		!strings.Contains(total[col("spiegazione")], "non ripartito 0.00 euro") {
		t.Fatalf("total %v (sum %s)", total, sum)
	}
}

func TestTableXLSX(t *testing.T) {
	r := sample(t)
	b, err := r.Table(map[string]string{"comune:001272": "Torino"}, exportedAt).XLSX()
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	get := func(cell string) string {
		t.Helper()
		v, err := x.GetCellValue("Riparto", cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if get("A1") != "id" || get("I1") != "importo_euro" || get("J1") != "spiegazione" {
		t.Fatal("header")
	}
	if get("A2") != "comune:001272" || get("B2") != "Torino" {
		t.Fatal("first row")
	}
	// Amounts are numbers.
	for cell, want := range map[string]string{"I2": "685.71", "I3": "114.29", "I4": "200", "E4": "200", "H3": "0.01", "I5": "1000"} {
		raw := get(cell)
		f, err := strconv.ParseFloat(raw, 64)
		w, _ := strconv.ParseFloat(want, 64)
		if err != nil || f != w {
			t.Errorf("%s raw %q, want the number %s", cell, raw, want)
		}
	}
	if get("A5") != "TOTALE" || !strings.Contains(get("J5"), "Fondo 1000.00 euro") {
		t.Error("total row")
	}
	if !strings.HasPrefix(get("J3"), "Peso 1/3.") {
		t.Error("explanation column")
	}
	// The sheet's numbers add up to the total exactly once converted back to cents.
	var sum money.Cents
	for _, cell := range []string{"I2", "I3", "I4"} {
		c, err := money.Parse(strconv.FormatFloat(mustFloat(t, get(cell)), 'f', 2, 64))
		if err != nil {
			t.Fatal(err)
		}
		sum += c
	}
	if sum != r.Allocated {
		t.Fatalf("sheet sums to %s", sum)
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
