package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The adapters: the only packages under shared/ that may reach AWS. The
// domain, the services, the policy, the handlers and the constructor
// depend on their small interfaces instead.
var adapters = []string{
	"sportello/shared/cloud",     // Lambda environment → ports
	"sportello/shared/dynamo",    // DynamoDB (with its test helpers and contract suite below it)
	"sportello/shared/piikey",    // KMS: the data key sealing personal data
	"sportello/shared/eventbus",  // EventBridge
	"sportello/shared/notify",    // SES
	"sportello/shared/s3blobs",   // S3
	"sportello/shared/scheduler", // EventBridge Scheduler
}

// isAdapter reports whether pkg is an adapter or a package inside one
// (its test helpers: shared/dynamo/dynamotest, shared/dynamo/storetest).
func isAdapter(pkg string) bool {
	for _, a := range adapters {
		if pkg == a || strings.HasPrefix(pkg, a+"/") {
			return true
		}
	}
	return false
}

// deps lists every package under shared/ with its transitive imports.
func deps(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "sportello/shared/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkgs[f[0]] = f[1:]
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages under shared/", len(pkgs))
	}
	return pkgs
}

func TestOnlyTheAdaptersImportTheAWSSDK(t *testing.T) {
	pkgs := deps(t)
	for pkg, ds := range pkgs {
		if isAdapter(pkg) {
			continue
		}
		for _, d := range ds {
			if strings.HasPrefix(d, "github.com/aws/aws-sdk-go-v2") || strings.HasPrefix(d, "github.com/aws/smithy-go") {
				t.Errorf("%s depends on %s: only the adapters (%s) may reach AWS", pkg, d, strings.Join(adapters, ", "))
				break
			}
		}
	}
	for _, a := range adapters[:2] {
		if _, ok := pkgs[a]; !ok {
			t.Errorf("adapter %s not found: update the list", a)
		}
	}
}

func TestNoHandlerOrServiceDependsOnAnAdapter(t *testing.T) {
	for pkg, ds := range deps(t) {
		if isAdapter(pkg) {
			continue
		}
		for _, d := range ds {
			if isAdapter(d) {
				t.Errorf("%s depends on the adapter %s: depend on the service's port instead", pkg, d)
			}
		}
	}
}
