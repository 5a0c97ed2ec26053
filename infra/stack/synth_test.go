package stack

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// findRoot is the directory holding go.mod, found upwards from the test's
// working directory.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// nodeUnderTools is the Node that .ci/install-node22.sh installed, or "".
func nodeUnderTools(root string) string {
	found, _ := filepath.Glob(filepath.Join(root, ".tools", "node22", "node_modules", "node-linux-*", "bin", "node"))
	if len(found) == 0 {
		return ""
	}
	return found[0]
}

// childMarker is set in the environment of the test binary's second run.
const childMarker = "SPORTELLO_STACK_TEST_CHILD"

// TestMain runs this test binary a second time, as a child, with:
//   - JSII_NODE naming the Node 22 of .ci/install-node22.sh when unset:
//     jsii fixes its Node while the CDK packages initialise, before any
//     test (or TestMain) runs, so setting it in-process would be too late;
//   - a TMPDIR of its own, removed afterwards: jsii unpacks its runtime
//     there, and jsii.Close, which would remove it, races with jsii's own
//     process watcher under -race.
func TestMain(m *testing.M) {
	if os.Getenv(childMarker) != "" {
		os.Exit(m.Run())
	}
	os.Exit(runChild())
}

func runChild() int {
	jsii.Close() // this process never started Node: only removes the unpacked runtime
	tmp, err := os.MkdirTemp("", "sportello-stack-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temporary directory:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	env := append(os.Environ(), childMarker+"=1", "TMPDIR="+tmp)
	if os.Getenv("JSII_NODE") == "" {
		if root, err := findRoot(); err == nil {
			if node := nodeUnderTools(root); node != "" {
				env = append(env, "JSII_NODE="+node)
			}
		}
	}
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() > 0:
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "running the tests:", err)
		return 1
	}
}

// jsiiNode makes sure jsii (the CDK's Go bindings) runs on Node 22: the
// one JSII_NODE names, else the one .ci/install-node22.sh installed under
// .tools/node22. Without it the CDK tests skip, except under CI, where a
// missing Node is a failure.
func jsiiNode(t *testing.T) {
	t.Helper()
	if p := os.Getenv("JSII_NODE"); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			t.Fatalf("JSII_NODE=%s is not an executable file: run .ci/install-node22.sh and point JSII_NODE at the path it prints", p)
		}
		return
	}
	msg := "Node 22 for jsii not found (JSII_NODE unset, nothing under .tools/node22): run .ci/install-node22.sh to run the CDK tests"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// cdkContext is the "context" of the repository's cdk.json (feature
// flags), so the tests synthesize exactly what cdk deploy would.
func cdkContext(root string) (map[string]any, error) {
	raw, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, err
	}
	var f struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("cdk.json: %w", err)
	}
	if f.App != "go run ./infra" {
		return nil, fmt.Errorf(`cdk.json: app is %q, want "go run ./infra"`, f.App)
	}
	return f.Context, nil
}

// synthesized is one stage's stack, synthesized with cdk-nag applied.
type synthesized struct {
	cfg        Config
	tpl        assertions.Template
	json       map[string]any // the CloudFormation template
	nagErrors  []string       // unsuppressed AwsSolutions errors
	nagRows    int            // findings in cdk-nag's report, compliant or not
	suppressed map[string]bool
}

var (
	synthOnce sync.Once
	stacks    map[string]*synthesized
	synthErr  error
)

const testFederationMetadata = "https://idp.regione.example.it/spid-cie/metadata.xml"

const testSender = "arn:aws:ses:eu-south-1:111111111111:identity/regione.example.it"

// stage synthesizes the dev and prod stacks once per test binary and
// returns one of them.
func stage(t *testing.T, name string) *synthesized {
	t.Helper()
	jsiiNode(t)
	synthOnce.Do(func() {
		stacks, synthErr = synthAll()
		if synthErr == nil && stacks == nil {
			synthErr = errors.New("synth did not complete")
		}
	})
	if synthErr != nil {
		t.Fatalf("synth: %v", synthErr)
	}
	return stacks[name]
}

func synthAll() (map[string]*synthesized, error) {
	root, err := findRoot()
	if err != nil {
		return nil, err
	}
	ctx, err := cdkContext(root)
	if err != nil {
		return nil, err
	}
	assets, cleanup, err := assetRoot(root)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	out := map[string]*synthesized{}
	for _, name := range []string{"dev", "prod"} {
		// Through ParseConfig, as the app reads its context: each stage
		// gets its own defaults (reserved concurrency only in prod).
		kv := map[string]string{CtxStage: name, CtxAllowedOrigins: "https://sportello.regione.example.it",
			CtxSenderAddress: "noreply@regione.example.it", CtxAlarmEmail: "oncall@regione.example.it", CtxAssetRoot: assets}
		if name == "prod" {
			kv[CtxAllowedOrigins] = "https://sportello.regione.example.it,https://backoffice.regione.example.it"
			kv[CtxSenderIdentity] = testSender
			kv[CtxFederationURL] = testFederationMetadata
			kv[CtxAuthDomain] = "sportello-regione-example"
		}
		cfg, err := ParseConfig(func(k string) string { return kv[k] })
		if err != nil {
			return nil, err
		}
		s, err := synthStage(cfg, ctx)
		if err != nil {
			return nil, fmt.Errorf("stage %s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}

func synthStage(cfg Config, ctx map[string]any) (*synthesized, error) {
	outdir, err := os.MkdirTemp("", "sportello-cdk-out-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outdir)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	st := New(app, "sportello-"+cfg.Stage, cfg, nil)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	s := &synthesized{cfg: cfg, tpl: assertions.Template_FromStack(st, nil)}
	s.json = *s.tpl.ToJSON()
	for _, m := range *assertions.Annotations_FromStack(st).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		msg, _ := m.Entry.Data.(string)                                               //nolint:staticcheck // SA1019: the assertions package of aws-cdk-lib 2.270 still returns this type
		s.nagErrors = append(s.nagErrors, *m.Id+": "+strings.SplitN(msg, "\n", 2)[0]) //nolint:staticcheck // SA1019: as above
	}
	s.nagRows, s.suppressed, err = nagReport(filepath.Join(outdir, "AwsSolutions-sportello-"+cfg.Stage+"-NagReport.csv"), "sportello-"+cfg.Stage+"/")
	return s, err
}

// nagReport reads cdk-nag's CSV report: how many findings it holds, and
// the suppressed ones as "<rule> <resource path> [<appliesTo>]".
func nagReport(path, stackPrefix string) (int, map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("cdk-nag report: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return 0, nil, fmt.Errorf("cdk-nag report %s: %w", path, err)
	}
	if len(rows) < 2 || len(rows[0]) < 4 || rows[0][0] != "Rule ID" || rows[0][2] != "Compliance" {
		return 0, nil, fmt.Errorf("cdk-nag report %s: unexpected layout", path)
	}
	suppressed := map[string]bool{}
	for _, r := range rows[1:] {
		if r[2] != "Suppressed" {
			continue
		}
		k := r[0] + " " + strings.TrimPrefix(r[1], stackPrefix)
		if strings.HasPrefix(r[3], "[") {
			k += " " + r[3][:strings.Index(r[3], "]")+1]
		}
		suppressed[k] = true
	}
	return len(rows) - 1, suppressed, nil
}

// assetRoot is where the functions' code is taken from: env
// SPORTELLO_ASSET_ROOT; else build/ when make build has made every
// build/<fn>/bootstrap; else placeholder files in a temporary directory
// (the synth only hashes and copies them).
func assetRoot(root string) (dir string, cleanup func(), err error) {
	none := func() {}
	if dir := os.Getenv("SPORTELLO_ASSET_ROOT"); dir != "" {
		return dir, none, nil
	}
	built := filepath.Join(root, "build")
	complete := true
	for _, fn := range Functions {
		if _, err := os.Stat(filepath.Join(built, fn, "bootstrap")); err != nil {
			complete = false
		}
	}
	if complete {
		return built, none, nil
	}
	dir, err = os.MkdirTemp("", "sportello-assets-")
	if err != nil {
		return "", none, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	for _, fn := range Functions {
		if err := os.MkdirAll(filepath.Join(dir, fn), 0o755); err != nil {
			cleanup()
			return "", none, err
		}
		if err := os.WriteFile(filepath.Join(dir, fn, "bootstrap"), []byte("placeholder: not a real function\n"), 0o755); err != nil {
			cleanup()
			return "", none, err
		}
	}
	return dir, cleanup, nil
}
