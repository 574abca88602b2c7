# shadowd — `make run` and `make test` are the two set-up commands on a fresh Debian 12
# with Node.js 20: both install the pinned packages (npm ci) and build first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STATE_DIR ?= ./var
NODE_TEST_FLAGS ?= --test-concurrency=2
TEST_FILES = $(shell find dist/test -name '*.test.js' | sort)

.PHONY: help install build generate verify-generated run test test-unit test-integration bench lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed ## npm ci (better-sqlite3 compiles from source: ~2 min)

build: install ## compile TypeScript into dist/
	npx tsc -p .

generate: install ## regenerate src/gen/ from proto/ (ts-proto through buf)
	npx buf lint
	npx buf generate

verify-generated: install ## fail if src/gen/ is not what proto/ generates
	@tmp=$$(mktemp -d) && npx buf generate -o $$tmp && diff -ru $$tmp/src/gen src/gen && rm -rf $$tmp && echo "src/gen is current"

run: build ## start the daemon on ./var (SQLite ./var/shadowd.db, sockets in ./var)
	bin/shadowd --state-dir $(STATE_DIR) $(ARGS)

test: build ## run every test: unit, storage conformance, integration, pam_unix conformance and differential
	node --test $(NODE_TEST_FLAGS) $(TEST_FILES)

test-unit: build ## only the fast unit tests
	node --test $(NODE_TEST_FLAGS) $$(find dist/test/unit -name '*.test.js' | sort)

bench: build ## throughput figures as ratios against baselines run in the same process
	UV_THREADPOOL_SIZE=$$(( $$(nproc) + 4 )) node dist/bench/run.js

clean: ## remove build output (not ./var)
	rm -rf dist
