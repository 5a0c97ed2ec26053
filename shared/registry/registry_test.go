package registry

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"sportello/shared/problem"
	"sportello/shared/program"
)

const preloadedHeader = "service_id,comune_istat,name,type,address,operator,places,authorised_on\n"
const facilityHeader = "code,name,comune_istat,address,public,places,active\n"

func TestReadPreloaded(t *testing.T) {
	in := "\ufeff" + preloadedHeader +
		"PIE-SE-0001,001272,Nido comunale Il Girasole,nido,\"Via Nizza 151, Torino\",Comune di Torino,60,2015-09-01\n" +
		"PIE-SE-0002,001272,Micronido Piccoli Passi,micronido,Corso Francia 20,Cooperativa Piccoli Passi,24,\n"
	got, err := ReadPreloaded(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Address != "Via Nizza 151, Torino" || got[0].Places != 60 || got[0].AuthorisedOn.Format("2006-01-02") != "2015-09-01" ||
		!got[1].AuthorisedOn.IsZero() {
		t.Fatalf("got %+v", got)
	}
}

func TestReadPreloadedAcceptsSemicolonsFromItalianExcel(t *testing.T) {
	in := strings.ReplaceAll(preloadedHeader, ",", ";") + "PIE-SE-0001;001272;Nido, Il Girasole;nido;Via Nizza 151;Comune di Torino;60;2015-09-01\r\n"
	got, err := ReadPreloaded(strings.NewReader(in))
	if err != nil || len(got) != 1 || got[0].Name != "Nido, Il Girasole" {
		t.Fatalf("%+v %v", got, err)
	}
}

// fieldsOf returns field → message of a validation problem.
func fieldsOf(t *testing.T, err error) map[string]string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("want a problem, got %v", err)
	}
	out := map[string]string{}
	for _, f := range p.Fields {
		out[f.Field] = f.Message
	}
	if len(p.Fields) == 0 {
		out[""] = p.Detail
	}
	return out
}

func TestReadPreloadedNamesEveryBadCell(t *testing.T) {
	in := preloadedHeader +
		"PIE-SE-0001,1272,Nido A,nido,Via 1,Comune,60,2015-09-01\n" + // Excel dropped the zeros
		"PIE-SE-0001,001272,,nido,Via 2,Comune,sessanta,01/09/2015\n" +
		"PIE-SE-0003,001272,Nido C,nido,Via 3,Comune,-1,2015-02-30\n"
	got := fieldsOf(t, mustFail(ReadPreloaded(strings.NewReader(in))))
	for _, f := range []string{"riga 2, colonna comune_istat", "riga 3, colonna service_id", "riga 3, colonna name", "riga 3, colonna places",
		"riga 3, colonna authorised_on", "riga 4, colonna places", "riga 4, colonna authorised_on"} {
		if got[f] == "" {
			t.Errorf("%s not reported (got %v)", f, got)
		}
	}
	if !strings.Contains(got["riga 3, colonna service_id"], "riga 2") {
		t.Errorf("a repeated id names the first line: %q", got["riga 3, colonna service_id"])
	}
}

func mustFail[T any](_ T, err error) error {
	if err == nil {
		panic("expected an error")
	}
	return err
}

func TestCSVShapeErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"an empty file", "", "vuoto"},
		{"a wrong header", "id,comune\n", "Intestazione"},
		{"a row with a missing column", preloadedHeader + "A,001272,N,nido,V,O,1\n", "Riga 2: numero di colonne errato"},
		{"an unbalanced quote", preloadedHeader + "A,001272,\"N,nido,V,O,1,2015-01-01\n", "virgolette"},
		{"text in another encoding", preloadedHeader + "A,001272,Nido \xe0,nido,V,O,1,2015-01-01\n", "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPreloaded(strings.NewReader(tt.in))
			p, ok := problem.As(err)
			if !ok {
				t.Fatalf("got %v", err)
			}
			all := p.Detail
			for _, f := range p.Fields {
				all += " " + f.Field + " " + f.Message
			}
			if !strings.Contains(all, tt.want) {
				t.Fatalf("%q does not mention %q", all, tt.want)
			}
		})
	}
}

func TestReadFacilities(t *testing.T) {
	in := facilityHeader +
		"AFAM-015146-001,Nido comunale Via Pace,015146,\"Via Pace 10, Milano\",sì,60,sì\n" +
		"AFAM-015146-003,Nido chiuso,015146,Via Tortona 5,no,30,NO\n"
	got, err := ReadFacilities(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Public || !got[0].Active || got[1].Public || got[1].Active || got[1].Places != 30 {
		t.Fatalf("got %+v", got)
	}
	bad := facilityHeader + "AFAM 1,,15146,V,forse,1.5,yes\n"
	fields := fieldsOf(t, mustFail(ReadFacilities(strings.NewReader(bad))))
	for _, f := range []string{"code", "name", "comune_istat", "public", "places", "active"} {
		if fields["riga 2, colonna "+f] == "" {
			t.Errorf("%s not reported: %v", f, fields)
		}
	}
}

func TestLoadComuniReadsTheISTATList(t *testing.T) {
	f, err := os.Open("../../events/data/comuni-istat-2020.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	list, err := LoadComuni(f)
	if err != nil {
		t.Fatal(err)
	}
	m := NewMemory(list, nil)
	// The counts of events/data/README.md.
	for region, want := range map[string]int{"01": 1181, "03": 1506, "06": 215} {
		if got := len(m.Comuni(region)); got != want {
			t.Errorf("region %s: %d Comuni, want %d", region, got, want)
		}
	}
	if c, ok := m.Comune("001272"); !ok || c.Name != "Torino" || c.Province != "TO" || c.Cadastral != "L219" || c.RegionCode != "01" {
		t.Fatalf("Torino: %+v", c)
	}
}

func TestLoadComuniRefusesABadList(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":        `{`,
		"empty":           `[]`,
		"a short code":    `[{"istat":"1272","name":"Torino","regionCode":"01","plate":"TO","cadastral":"L219"}]`,
		"a repeated code": `[{"istat":"001272","name":"Torino","regionCode":"01","plate":"TO","cadastral":"L219"},{"istat":"001272","name":"X","regionCode":"01","plate":"TO","cadastral":"L219"}]`,
		"no name":         `[{"istat":"001272","name":" ","regionCode":"01","plate":"TO","cadastral":"L219"}]`,
		"a bad region":    `[{"istat":"001272","name":"Torino","regionCode":"1","plate":"TO","cadastral":"L219"}]`,
	} {
		if _, err := LoadComuni(strings.NewReader(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMemoryHandsOutCopiesInIDOrder(t *testing.T) {
	rows, err := PreloadedRows([]program.PreloadedService{{ID: "B", ComuneISTAT: "001272"}, {ID: "A", ComuneISTAT: "001272"}, {ID: "C", ComuneISTAT: "006003"}})
	if err != nil {
		t.Fatal(err)
	}
	fac, err := FacilityRows([]program.Facility{{Code: "A", ComuneISTAT: "001272"}})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMemory(nil, append(rows, fac...))
	preloaded := func(istat string) []program.PreloadedService {
		return program.Find[program.PreloadedService](m, program.ListPreloaded, istat)
	}
	got := m.Rows(program.ListPreloaded, "001272")
	if len(got) != 2 || got[0].ID != "A" || got[1].ID != "B" {
		t.Fatalf("got %+v", got)
	}
	got[0].JSON = []byte(`{"id":"changed"}`)
	if preloaded("001272")[0].ID != "A" {
		t.Fatal("the registry was changed through a returned slice")
	}
	if len(preloaded("015146")) != 0 {
		t.Fatal("a Comune without services has none")
	}
	if f := program.Find[program.Facility](m, program.ListFacilities, "A"); len(f) != 1 || f[0].ComuneISTAT != "001272" {
		t.Fatalf("a facility is found by its code in its own list, apart from a service of the same id: %+v", f)
	}
}

func FuzzReadPreloaded(f *testing.F) {
	f.Add([]byte(preloadedHeader + "PIE-SE-0001,001272,Nido,nido,Via 1,Comune,60,2015-09-01\n"))
	f.Add([]byte(strings.ReplaceAll(preloadedHeader, ",", ";") + "A;001272;N;nido;V;O;1;\n"))
	f.Add([]byte(preloadedHeader + "A,1,\"x\n"))
	f.Add([]byte("\ufeff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ReadPreloaded(strings.NewReader(string(b)))
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		for _, r := range rows {
			if !program.ValidISTAT(r.ComuneISTAT) || r.ID == "" || r.Name == "" || r.Places < 0 {
				t.Fatalf("accepted a bad row %+v", r)
			}
		}
	})
}

func FuzzReadFacilities(f *testing.F) {
	f.Add([]byte(facilityHeader + "AFAM-1,Nido,015146,Via 1,sì,60,sì\n"))
	f.Add([]byte(facilityHeader + "AFAM-1,Nido,015146,Via 1,forse,60,sì\n"))
	f.Add([]byte("code;name\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, err := ReadFacilities(strings.NewReader(string(b)))
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if !program.ValidISTAT(r.ComuneISTAT) || r.Code == "" || seen[r.Code] {
				t.Fatalf("accepted a bad row %+v", r)
			}
			seen[r.Code] = true
		}
	})
}

func FuzzLoadComuni(f *testing.F) {
	f.Add([]byte(`[{"istat":"001272","name":"Torino","regionCode":"01","plate":"TO","cadastral":"L219"}]`))
	f.Add([]byte(`[{"istat":1272}]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := LoadComuni(strings.NewReader(string(b)))
		if err == nil {
			for _, c := range list {
				if !program.ValidISTAT(c.ISTAT) || c.Name == "" {
					t.Fatalf("accepted %+v", c)
				}
			}
		}
	})
}

// The demo CSVs of events/submissions are what an officer would import to
// get the demo registry the local runtime seeds from demo-registry.json:
// both must say the same.
func TestDemoCSVsMatchTheDemoRegistry(t *testing.T) {
	var demo struct {
		Preloaded  []program.PreloadedService `json:"preloaded"`
		Facilities []program.Facility         `json:"facilities"`
	}
	b, err := os.ReadFile("../../events/submissions/demo-registry.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &demo); err != nil {
		t.Fatal(err)
	}
	pre, err := os.Open("../../events/submissions/demo-preloaded.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer pre.Close()
	services, err := ReadPreloaded(pre)
	if err != nil {
		t.Fatal(err)
	}
	if len(services) != len(demo.Preloaded) {
		t.Fatalf("%d services in the CSV, %d in the JSON", len(services), len(demo.Preloaded))
	}
	for i, s := range services {
		j := demo.Preloaded[i]
		if s.ID != j.ID || s.ComuneISTAT != j.ComuneISTAT || s.Name != j.Name || s.Type != j.Type || s.Address != j.Address ||
			s.Operator != j.Operator || s.Places != j.Places || !s.AuthorisedOn.Equal(j.AuthorisedOn) {
			t.Errorf("service %d: CSV %+v, JSON %+v", i, s, j)
		}
	}
	fac, err := os.Open("../../events/submissions/demo-afam-udos.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer fac.Close()
	facilities, err := ReadFacilities(fac)
	if err != nil {
		t.Fatal(err)
	}
	if len(facilities) != len(demo.Facilities) {
		t.Fatalf("%d facilities in the CSV, %d in the JSON", len(facilities), len(demo.Facilities))
	}
	for i, f := range facilities {
		if f != demo.Facilities[i] {
			t.Errorf("facility %d: CSV %+v, JSON %+v", i, f, demo.Facilities[i])
		}
	}
}

const adhesionHeader = "comune_istat,application_type,association_kind,members,afam_udos,mode,mode_description,total_20000,family_share_20000,comune_share_20000,total_25000,family_share_25000,comune_share_25000\n"

// The 2024/25 adhesions: every bad cell named by line and column, nothing
// imported unless all rows are good; amounts with a dot or a comma.
func TestReadAdhesionsNamesEveryBadCell(t *testing.T) {
	good := adhesionHeader +
		"013075,single,,,AFAM-013075-DEMO,full_time,,600.00,435.00,165.00,650.00,480.00,170.00\n" +
		"013075,single,,,AFAM-013075-DEMO,part_time,,\"400,00\",\"300,00\",,450.00,350.00,\n" +
		"016024,associated,ufficio_di_piano,016001 016002,AFAM-016024-001,full_time,,500.00,400.00,100.00,500.00,420.00,80.00\n"
	lines, err := ReadAdhesions(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[1].ISEE20000.Total != 40000 || lines[1].ISEE20000.ComuneShare != nil || len(lines[2].Members) != 2 {
		t.Fatalf("read %+v", lines)
	}
	bad := adhesionHeader +
		"13075,single,,,AFAM-1,full_time,,600.00,700.00,,600.00,400.00,\n" + // ISTAT without its zero; family above total
		"013075,associated,,,AFAM-1,full_time,,600.00,400.00,,600.00,400.00,\n" + // associated without kind nor members; repeated line; participation differs
		"013075,single,,,AFAM-2,tempo pieno,,6OO,400.00,,600.00,400.00,\n" // mode and amount malformed
	_, err = ReadAdhesions(strings.NewReader(bad))
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("not a problem: %v", err)
	}
	var got []string
	for _, f := range p.Fields {
		got = append(got, f.Field)
	}
	for _, want := range []string{"riga 2, colonna comune_istat", "riga 2, colonna family_share_20000", "riga 3, colonna association_kind",
		"riga 3, colonna members", "riga 4, colonna mode", "riga 4, colonna total_20000"} {
		if !slices.Contains(got, want) {
			t.Errorf("no error on %s in %v", want, got)
		}
	}
}

func FuzzReadAdhesions(f *testing.F) {
	f.Add([]byte(adhesionHeader + "013075,single,,,AFAM-1,full_time,,600.00,435.00,165.00,650.00,480.00,170.00\n"))
	f.Add([]byte(strings.ReplaceAll(adhesionHeader, ",", ";") + "013075;single;;;AFAM-1;full_time;;600,00;435,00;;650,00;480,00;\n"))
	f.Add([]byte(adhesionHeader + "016024,associated,union,016001,A,other,Sabato,1.00,1.00,,1.00,1.00,\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := ReadAdhesions(strings.NewReader(string(b)))
		if err != nil {
			if _, ok := problem.As(err); !ok {
				t.Fatalf("not a problem: %v", err)
			}
			return
		}
		for _, l := range lines {
			if !program.ValidISTAT(l.ComuneISTAT) || l.Facility == "" || l.ISEE20000.Total <= 0 || l.ISEE20000.FamilyShare > l.ISEE20000.Total ||
				l.ISEE25000.Total <= 0 || (l.ApplicationType != "single" && l.ApplicationType != "associated") {
				t.Fatalf("accepted a bad line %+v", l)
			}
		}
	})
}
