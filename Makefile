# Every Go command runs with the same CGO_ENABLED and -trimpath, so the build cache is shared
# between tests, builds and benchmarks (a switch recompiles the whole SDK).
export CGO_ENABLED := 0
GOFLAGS_COMMON := -trimpath
LAMBDA_FLAGS := -tags lambda.norpc $(GOFLAGS_COMMON) -ldflags='-s -w'

FUZZTIME ?= 10s

.PHONY: build build-RuleFunction test lint fuzz package clean

## build: the Lambda artifact, bootstrap for provided.al2023 on arm64
build:
	GOOS=linux GOARCH=arm64 go build $(LAMBDA_FLAGS) -o bootstrap ./lambda

## build-RuleFunction: called by `sam build` (BuildMethod: makefile) with ARTIFACTS_DIR set
build-RuleFunction:
	GOOS=linux GOARCH=arm64 go build $(LAMBDA_FLAGS) -o $(ARTIFACTS_DIR)/bootstrap ./lambda

## test: every test: unit, template, integration against moto and the runtime emulator
test:
	go test $(GOFLAGS_COMMON) -count=1 ./...

## lint: go vet, gofmt, go mod tidy, cfn-lint
lint:
	go vet $(GOFLAGS_COMMON) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	go mod tidy -diff
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

clean:
	rm -rf bootstrap dist
