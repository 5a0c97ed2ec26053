package catalog

import (
	"regexp"
	"testing"

	"sportello/shared/program"
)

// The Regions a deployment serves are those of its programs (there is no
// other list): each program names its Region completely, and two programs
// of one Region agree on it.
func TestEachProgramOwnsItsRegion(t *testing.T) {
	code, istat := regexp.MustCompile(`^[A-Z]{3}$`), regexp.MustCompile(`^[0-9]{2}$`)
	seen := map[string]program.Region{}
	for id, p := range All() {
		r := p.Region()
		if !code.MatchString(r.Code) || r.Name == "" || !istat.MatchString(r.ISTAT) {
			t.Errorf("%s: region %+v: want a three-capital code, a name and a two-digit ISTAT code", id, r)
		}
		if prev, ok := seen[r.Code]; ok && prev != r {
			t.Errorf("%s: region %+v disagrees with another program's %+v", id, r, prev)
		}
		seen[r.Code] = r
	}
	regions := program.Programs(All()).Regions()
	if len(regions) != len(seen) {
		t.Fatalf("Regions() = %v, want the %d Regions of the programs", regions, len(seen))
	}
	for c, r := range seen {
		if regions[c] != r.Name {
			t.Errorf("Regions()[%s] = %q, want %q", c, regions[c], r.Name)
		}
	}
}
