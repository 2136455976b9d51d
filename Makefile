# The two commands a newcomer needs are `make run` and `make test`.
GO ?= go

.PHONY: run test test-deps build bench vet

run:
	$(GO) run ./cmd/kairos

# The insight model's retrain check skips itself under -race (minutes of
# arithmetic there, seconds without), so test runs it once more without it.
test: test-deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -run 'TestCommittedWeightsAreRetrainable' ./bot/insight/fit

test-deps:
	bash deploy/test-deps.sh

build:
	$(GO) build -o bin/kairos ./cmd/kairos

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
