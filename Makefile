# ccload: the two commands of the README are `make demo` and `make test`.
GO ?= go

.PHONY: build test demo bench clean

# build stamps `ccload version` with the git description, commit and build date.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ccload .

# test: vet, then every test with the race detector (fuzz seed corpora run as ordinary tests).
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 10m ./...

# demo: a real run of the quick-start scenario against the embedded mock.
demo:
	$(GO) run . run scenarios/quickstart.yaml

# bench: the hot-path Go benchmarks, then the side-by-side benchmark against peers (bench/run.sh).
# Allocation counts that must stay at zero are asserted by tests, not here; this only measures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=300ms ./...
	bench/run.sh

clean:
	rm -rf bin ccload-out
