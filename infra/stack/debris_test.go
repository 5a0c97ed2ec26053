package stack

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"sportello/shared/dynamo"
	"sportello/shared/ident"
	"sportello/shared/windows"
)

func TestTableExpiresItemsByTheirTTLAttribute(t *testing.T) {
	for _, st := range stages {
		s := stage(t, st)
		_, tbl := s.only(t, "AWS::DynamoDB::Table")
		if got := jsonOf(props(tbl)["TimeToLiveSpecification"]); got != `{"AttributeName":"`+dynamo.TTLAttribute+`","Enabled":true}` {
			t.Errorf("%s: TimeToLiveSpecification %s", st, got)
		}
	}
}

// The schedules the functions create at run time must be names the
// Scheduler accepts and fall under the group the roles may manage.
func TestRunTimeScheduleNamesFitTheSchedulerAndTheRoles(t *testing.T) {
	name := windows.ScheduleName(ident.New("call"), strings.Repeat("w", 40), windows.KindFinalize)
	if !regexp.MustCompile(`^[0-9A-Za-z_.-]{1,64}$`).MatchString(name) {
		t.Errorf("schedule name %q (%d characters) is refused by EventBridge Scheduler", name, len(name))
	}
	for _, st := range stages {
		s := stage(t, st)
		for _, fn := range []string{"calls", "windows"} {
			found := false
			for _, stmt := range s.statements(s.roleOf(t, fn)) {
				if strings.Contains(jsonOf(stmt["Action"]), "scheduler:CreateSchedule") {
					found = jsonOf(stmt["Resource"]) == `{"Fn::Sub":"arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/sportello-`+st+`/*"}`
				}
			}
			if !found {
				t.Errorf("%s %s may not create the schedules of its group", st, fn)
			}
		}
	}
}

// cdk.json sets every feature flag aws-cdk-lib recommends, at the value it
// recommends (the list ships inside the library's jsii tarball).
func TestEveryRecommendedFeatureFlagIsSet(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-cdk-go/awscdk/v2").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	tgz, err := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "jsii", "aws-cdk-lib-*.tgz"))
	if err != nil || len(tgz) != 1 {
		t.Fatalf("aws-cdk-lib tarball: %v %v", tgz, err)
	}
	recommended := readFromTgz(t, tgz[0], "package/recommended-feature-flags.json")
	var want map[string]any
	if err := json.Unmarshal(recommended, &want); err != nil {
		t.Fatal(err)
	}
	root, err := findRoot()
	if err != nil {
		t.Fatal(err)
	}
	got, err := cdkContext(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 50 {
		t.Fatalf("only %d recommended flags read", len(want))
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("cdk.json: %s = %v, recommended %v", k, got[k], v)
		}
	}
}

func readFromTgz(t *testing.T, path, name string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in %s: %v", name, path, err)
		}
		if h.Name == name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}
