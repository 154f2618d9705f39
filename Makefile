# Every Go command runs with the same CGO_ENABLED and -trimpath, so the build cache is shared
# between tests, builds and benchmarks (a switch recompiles the whole SDK).
export CGO_ENABLED := 0
GOFLAGS_COMMON := -trimpath
# The version `bootstrap version` prints and the function logs at start-up: the git description
# of the checkout (a tag, else the commit), unless given (make build VERSION=v1.2.3).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LAMBDA_FLAGS := -tags lambda.norpc $(GOFLAGS_COMMON) -ldflags='-s -w -X main.version=$(VERSION)'

FUZZTIME ?= 10s

# The local stand-ins for AWS that the integration tests and `make demo` run. `make tools`
# provides them where they are missing, in .venv/ and .tools/ (both ignored by git), where
# lambda/internal/localaws looks for them.
MOTO_VERSION := 5.2.1
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
GOLANGCI_LINT_VERSION := v2.15.0
# One folder per version, so that changing the pin installs the new one.
GOLANGCI_LINT := .tools/golangci-lint-$(GOLANGCI_LINT_VERSION)/golangci-lint

.PHONY: build build-RuleFunction build-RemediationFunction test lint fuzz package clean tools demo

## build: the Lambda artifact, bootstrap for provided.al2023 on arm64
build:
	GOOS=linux GOARCH=arm64 go build $(LAMBDA_FLAGS) -o bootstrap ./lambda

## build-RuleFunction: called by `sam build` (BuildMethod: makefile) with ARTIFACTS_DIR set
build-RuleFunction:
	GOOS=linux GOARCH=arm64 go build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./lambda

## build-RemediationFunction: the same artifact for the remediation function (parameter Remediation)
build-RemediationFunction: build-RuleFunction

## test: every test: unit, template, integration against moto and the runtime emulator
test: tools
	go test $(GOFLAGS_COMMON) -count=1 ./...

## lint: go vet, gofmt, go mod tidy, golangci-lint (.golangci.yml), cfn-lint
lint: $(GOLANGCI_LINT)
	go vet $(GOFLAGS_COMMON) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	go mod tidy -diff
	$(GOLANGCI_LINT) run ./...
	cfn-lint template.yaml deploy/*.yaml

## fuzz: each fuzz target for FUZZTIME (seed corpora also run in every `make test`)
fuzz:
	@for pkg in ./rule ./lambda; do \
	  for target in $$(go test $(GOFLAGS_COMMON) -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	    go test $(GOFLAGS_COMMON) -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

## package: the zip that `sam deploy` uploads, with its size
package: build
	mkdir -p dist
	rm -f dist/function.zip
	if command -v zip >/dev/null; then zip -q -9 dist/function.zip bootstrap; else python3 -m zipfile -c dist/function.zip bootstrap; fi
	@ls -l bootstrap dist/function.zip | awk '{printf "%-18s %9d bytes (%.2f MiB)\n", $$9, $$5, $$5/1048576}'

## bench: the published figures, as one table with the machine: the rule's sweep (time, memory),
## API calls per event, cold start and warm latency through the runtime emulator, package size
.PHONY: bench
bench: tools package
	go run $(GOFLAGS_COMMON) ./lambda/internal/bench -zip dist/function.zip

## tools: moto_server (on PATH or $$MOTO_SERVER, else pip-installed into .venv) and the Lambda
## Runtime Interface Emulator (installed into .tools from the Go module proxy). A tool that cannot
## be installed fails CI (CI=true); elsewhere the tests that need it are skipped, saying why.
tools:
	@if [ -n "$$MOTO_SERVER" ]; then \
	  echo "moto_server: $$MOTO_SERVER (MOTO_SERVER)"; \
	elif command -v moto_server >/dev/null 2>&1; then \
	  echo "moto_server: $$(command -v moto_server)"; \
	elif [ -x .venv/bin/moto_server ]; then \
	  echo "moto_server: .venv/bin/moto_server"; \
	else \
	  echo "moto_server: installing moto[server]==$(MOTO_VERSION) into .venv"; \
	  { python3 -m venv .venv && .venv/bin/pip install --quiet 'moto[server]==$(MOTO_VERSION)'; } || { \
	    echo "tools: could not install moto (needs python3 with venv, and PyPI)"; [ "$$CI" != true ] || exit 1; }; \
	fi
	@if [ -x .tools/aws-lambda-rie ]; then \
	  echo "aws-lambda-rie: .tools/aws-lambda-rie"; \
	else \
	  echo "aws-lambda-rie: installing $(RIE_VERSION) into .tools"; \
	  GOBIN="$(CURDIR)/.tools" go install $(GOFLAGS_COMMON) github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION) || { \
	    echo "tools: could not install aws-lambda-rie"; [ "$$CI" != true ] || exit 1; }; \
	fi

## demo: the function, run by the runtime emulator against moto and a local AWS Config, on a
## small estate: prints what it reports and the API calls it makes
demo: tools
	go run $(GOFLAGS_COMMON) ./lambda/internal/demo

$(GOLANGCI_LINT):
	GOBIN="$(CURDIR)/$(dir $@)" go install $(GOFLAGS_COMMON) github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

clean:
	rm -rf bootstrap dist
