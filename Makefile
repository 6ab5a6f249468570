# ccload: the two commands of the README are `make demo` and `make test`.
GO ?= go

.PHONY: build test demo bench fuzz clean k8s-check

# build stamps `ccload version` with the commit and build date (a plain `go build` or
# `go install` falls back to the module's build info).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)

# FUZZTIME is how long `make fuzz` runs each fuzz target.
FUZZTIME ?= 10s

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ccload .

# test: vet, then every test with the race detector (fuzz seed corpora run as ordinary tests);
# then deploy/, its own module (k8s.io/api), which `go test ./...` at the root does not enter.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 10m ./...
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...

# k8s-check: every manifest of deploy/ through a real kube-apiserver's server-side dry run
# (builds kube-apiserver once into ~/.cache/ccload-k8s; see deploy/README.md). Not part of test.
k8s-check:
	GO=$(GO) deploy/k8s-check/run.sh

# demo: a real run of the quick-start scenario against the embedded mock.
demo:
	$(GO) run . run scenarios/quickstart.yaml

# bench: the hot-path Go benchmarks, then the side-by-side benchmark against peers (bench/run.sh).
# Allocation counts that must stay at zero are asserted by tests, not here; this only measures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime=300ms ./...
	bench/run.sh

# fuzz: every fuzz target of the project (each `func Fuzz...` in a _test.go file), FUZZTIME each,
# one at a time; new failing inputs land in the package's testdata/fuzz and then run in `make test`.
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do \
		pkg=./$$(dirname $${f#./}); \
		for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$pkg $$name ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

clean:
	rm -rf bin ccload-out
