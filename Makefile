# jbxapi-go: the targets CI and developers run. "make test" is what CI runs.
GO        ?= go
REDOCLY   ?= npx --yes @redocly/cli@2.77.0
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all generate check-generate lint lint-go lint-spec test test-short demo bench bench-long fuzz

all: lint test

## generate: regenerate gen/ from api/jbxapi.yaml (after every change to the spec)
generate:
	$(GO) generate ./...

## check-generate: fail if gen/ is not what the spec generates
check-generate: generate
	git diff --exit-code -- gen/ go.mod go.sum

## lint: gofmt, go vet, staticcheck, and the spec linters (kin-openapi and Redocly)
lint: lint-go lint-spec

lint-go:
	@out=$$(gofmt -l $$(git ls-files '*.go') 2>&1); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@for d in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.Dir}}{{end}}' ./...); do \
		grep -q 'goleak.VerifyTestMain' $$d/*_test.go || { echo "$$d: tests without goleak.VerifyTestMain (add a TestMain)"; exit 1; }; done
	$(STATICCHECK) ./...

lint-spec:
	$(GO) test -count=1 -run 'TestSpec|TestWire' ./api/
	$(REDOCLY) lint --config redocly.yaml api/jbxapi.yaml

## test: every test, with the race detector
test:
	$(GO) test -race -count=1 -timeout 30m ./...

## fuzz: every fuzz target for FUZZTIME executions each (Go fuzzes one target per run).
## "make test" already runs the committed corpora (testdata/fuzz); a crash
## found here is written there: fix it and commit the input as a seed.
## FUZZTIME is a count of executions, not a duration: with a duration, Go
## 1.26's fuzz coordinator can fail a target with a bare "context deadline
## exceeded" at the deadline, with no crasher (golang/go#75804, fixed in Go
## 1.27). 60000 executions take 3-17 s per target on 2 cores (~45 s in all).
## FUZZMINIMIZETIME bounds the minimizing of each new input, which would
## otherwise (60s by default) take most of a short run.
FUZZTIME ?= 60000x
FUZZMINIMIZETIME ?= 2s
fuzz:
	@set -e; for pkg in $$($(GO) list -f '{{if or .TestGoFiles .XTestGoFiles}}{{.ImportPath}}{{end}}' ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
		done; \
	done

test-short:
	$(GO) test -short -count=1 ./...

## demo: submit → wait → report → download against the embedded fake server
demo:
	$(GO) run ./examples/demo

## bench: the Go benchmarks, then the harness cmd/jbxbench, which prints every
## scenario against its same-run net/http baseline with PASS/FAIL per budget
## (docs/performance.md); bench-long adds the 1 GiB uploads with baselines
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) build -o "$$tmp/jbxapi" ./cmd/jbxapi && $(GO) build -o "$$tmp/jbxbench" ./cmd/jbxbench && \
	"$$tmp/jbxbench" -jbxapi "$$tmp/jbxapi" $(BENCHFLAGS)

bench-long:
	$(MAKE) bench BENCHFLAGS=-long
