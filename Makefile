# ccload: the two commands of the README are `make demo` and `make test`.
GO ?= go

.PHONY: build test demo bench fuzz clean

# FUZZTIME is how long `make fuzz` runs each fuzz target.
FUZZTIME ?= 10s

build:
	$(GO) build -o bin/ccload .

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
