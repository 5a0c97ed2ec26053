# sportello — see README.md. Every target works on a fresh machine with Go 1.26.
SHELL := /bin/bash
FUNCTIONS := calls submissions uploads documents windows allocation
GO ?= go
export GOFLAGS := -buildvcs=false

.PHONY: run test test-short build bench fuzz vet deploy destroy clean

## run: the whole product on this machine (HTTP API on $PORT, default 8080)
run:
	$(GO) run ./infra/local

## test: every test, with the race detector
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 45m ./...

## build: one arm64 bootstrap per Lambda function under build/<fn>/bootstrap
build:
	@for fn in $(FUNCTIONS); do \
	  echo "build $$fn"; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	    -o build/$$fn/bootstrap ./functions/$$fn || exit 1; \
	done

## bench: side-by-side measurements (ratios, never thresholds); see docs/performance.md
bench:
	$(GO) run ./infra/bench/coldstart -runs 5

clean:
	rm -rf build cdk.out
