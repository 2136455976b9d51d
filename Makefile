# The two commands a newcomer needs are `make run` and `make test`.
GO ?= go

.PHONY: run test test-deps build bench vet

run:
	$(GO) run ./cmd/kairos

test: test-deps
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-deps:
	bash deploy/test-deps.sh

build:
	$(GO) build -o bin/kairos ./cmd/kairos

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
