# sportello — see README.md. Every target works on a fresh machine with Go 1.26.
SHELL := /bin/bash
FUNCTIONS := calls submissions uploads documents windows allocation public web relay
GO ?= go
export GOFLAGS := -buildvcs=false

.PHONY: run test lint build bench fuzz deploy synth destroy clean assets apidoc
STAGE ?= dev
# The CLI must read the cloud assembly of aws-cdk-lib 2.270 (schema 54): 2.1131.0 or later.
CDK := npx --yes aws-cdk@2.1148.1
# More context for the CDK app, e.g. CDK_CONTEXT="-c allowedOrigins=https://… -c senderAddress=…" (docs/deploy.md)
CDK_CONTEXT ?=
# Where cdk synth writes the cloud assembly.
CDK_OUT ?= cdk.out
# jsii (the CDK's Go bindings) runs on Node 22, installed on demand from npm.
NODE22 = export JSII_NODE="$${JSII_NODE:-$$(.ci/install-node22.sh)}" &&

## assets: front-end files from npm at the exact versions of package-lock.json, copied into
## shared/webassets/dist (git-ignored) for Go to embed; redone only when the lock or the list changes
WEBASSETS := shared/webassets/dist/.built
assets: $(WEBASSETS)
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
$(WEBASSETS): node_modules/.package-lock.json shared/webassets/assets.txt .ci/webassets.sh
	.ci/webassets.sh

## apidoc: openapi.json from openapi.yaml and the program forms, and the typed client from it
apidoc:
	$(GO) generate ./shared/apidoc ./infra/apiclient

## run: the whole product on this machine (HTTP API on $PORT, default 8080)
run: assets
	$(GO) run ./infra/local

## test: the linters, then every test with the race detector (the CDK tests need Node 22: installed by .ci/install-node22.sh),
## then both stages synthesized by the CDK CLI and linted by cfn-lint (.ci/lint-templates.sh)
test: assets lint
	$(GO) vet ./...
	$(NODE22) $(GO) test -race -count=1 -timeout 45m ./...
	.ci/lint-templates.sh

## build: one arm64 bootstrap per Lambda function under build/<fn>/bootstrap
build: assets
	@for fn in $(FUNCTIONS); do \
	  echo "build $$fn"; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	    -o build/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

## bench: side-by-side measurements (ratios, never thresholds); see docs/performance.md
# Every line runs even when an earlier one fails (a rush that saw a 5xx
# still leaves the other figures worth having); the failed lines are named
# at the end and make bench fails.
bench:
	@failed=""; \
	run() { echo "== $$*"; "$$@" || failed="$$failed\n  $$*"; }; \
	run $(GO) run ./infra/bench/rush; \
	run $(GO) run ./infra/bench/rush -durable; \
	run env SPORTELLO_CRASH_ITERATIONS=20 $(GO) test -count=1 -run '^TestCrashConsistencyUnderSIGKILL$$' ./infra/local/server/; \
	run $(GO) run ./infra/bench/uploadrss; \
	run $(GO) run ./shared/riparto/cmd/ripartobench; \
	run $(GO) run ./infra/bench/coldstart -runs 5; \
	if [ -n "$$failed" ]; then printf "make bench: these lines failed:$$failed\n"; exit 1; fi

## lint: golangci-lint with the checked-in .golangci.yml; the pinned version is installed into .tools/ on first use
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := .tools/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint
lint: $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	GOBIN=$(CURDIR)/$(dir $(GOLANGCI_LINT)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

## fuzz: every fuzz target for a number of executions (their seed corpora already run in make test).
## Budgets are counts, not durations: a time budget can end in the fuzz coordinator's own
## "context deadline exceeded" (golang/go#75804) with no crasher, so a failure here always
## means a crasher written under testdata/fuzz. FUZZRUNS scales every budget (default 1:
## 20000 executions, 2000 for the targets that parse whole documents).
FUZZRUNS ?= 1
fuzz:
	@grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do \
	  for name in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/'); do \
	    case "$$dir/$$name" in \
	      */docverify/FuzzVerify|*/docverify/FuzzCheckPDF|*/docverify/FuzzReadSignedData|*/FuzzDecode) runs=2000 ;; \
	      *) runs=20000 ;; \
	    esac; \
	    runs=$$((runs * $(FUZZRUNS))); \
	    echo "fuzz $$dir $$name ($$runs executions)"; \
	    $(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$${runs}x $$dir || exit 1; \
	  done; \
	done

## synth / deploy / destroy: the CDK app for STAGE (dev|prod); see docs/deploy.md
synth: build
	$(NODE22) $(CDK) synth --output $(CDK_OUT) -c stage=$(STAGE) $(CDK_CONTEXT)

deploy: build
	$(NODE22) $(CDK) bootstrap -c stage=$(STAGE) $(CDK_CONTEXT)
	$(NODE22) $(CDK) deploy -c stage=$(STAGE) $(CDK_CONTEXT) --require-approval broadening

destroy:
	$(NODE22) $(CDK) destroy -c stage=$(STAGE) $(CDK_CONTEXT)

clean:
	rm -rf build cdk.out node_modules
	.ci/webassets.sh --clean
