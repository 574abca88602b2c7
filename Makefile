# shadowd — `make run` and `make test` are the two set-up commands on a fresh Debian 12
# with Node.js 20: both install the pinned packages (npm ci) and build first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
STATE_DIR ?= ./var
NODE_TEST_FLAGS ?= --test-concurrency=2
# Tests that measure latency (timing, overload) run alone after the rest, so the other
# suites' load on the 2 cores does not decide their medians and p99s.
QUIET_TESTS = $(shell find dist/test -name 'timing.test.js' -o -name 'overload.test.js' | sort)
TEST_FILES = $(filter-out $(QUIET_TESTS),$(shell find dist/test -name '*.test.js' | sort))

.PHONY: help install build generate verify-generated run test test-unit test-integration fuzz bench lint clean install-systemd

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 20

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed ## npm ci (better-sqlite3 compiles from source: ~2 min)

build: install dist/native/unix-socket.node ## compile TypeScript into dist/ and the shim's socket addon (C) into dist/native/
	npx tsc -p .

# The pam_exec shim's blocking UNIX-socket addon (Node-API, so any node version loads it).
dist/native/unix-socket.node: src/native/unix-socket.c node_modules/.installed
	@mkdir -p $(@D)
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror $(CFLAGS) -fPIC -shared -I node_modules/node-api-headers/include -o $@ $< $(LDFLAGS) -lm

generate: install ## regenerate src/gen/ from proto/ (ts-proto through buf)
	npx buf lint
	npx buf generate

verify-generated: install ## fail if src/gen/ is not what proto/ generates
	@tmp=$$(mktemp -d) && npx buf generate -o $$tmp && diff -ru $$tmp/src/gen src/gen && rm -rf $$tmp && echo "src/gen is current"

run: build ## start the daemon on ./var (SQLite ./var/shadowd.db, sockets in ./var)
	bin/shadowd --state-dir $(STATE_DIR) $(ARGS)

test: build ## run every test: unit, storage conformance, integration, pam_unix conformance and differential
	node --test $(NODE_TEST_FLAGS) $(TEST_FILES)
	node --test --test-concurrency=1 $(QUIET_TESTS)

test-unit: build ## only the fast unit tests
	node --test $(NODE_TEST_FLAGS) $$(find dist/test/unit -name '*.test.js' | sort)

fuzz: build ## long hostile-input and crash runs: FUZZ_RUNS per property (default 3000), CRASH_ITERATIONS kill -9 rounds (default 150), random seeds unless SHADOWD_FUZZ_SEED / SHADOWD_CRASH_SEED
	SHADOWD_FUZZ_RUNS=$${FUZZ_RUNS:-3000} SHADOWD_FUZZ_SEED=$${SHADOWD_FUZZ_SEED:-$$RANDOM$$RANDOM} \
	SHADOWD_CRASH_ITERATIONS=$${CRASH_ITERATIONS:-150} SHADOWD_CRASH_SEED=$${SHADOWD_CRASH_SEED:-$$RANDOM$$RANDOM} \
	node --test --test-concurrency=1 $$(find dist/test/unit/fuzz -name '*.test.js' | sort) dist/test/integration/rpc-fuzz.test.js dist/test/integration/crash.test.js

bench: build ## throughput figures as ratios against baselines run in the same process; then a 1M-line import vs raw better-sqlite3 (BENCH_IMPORT_LINES); the pam_exec shim vs node -e ''
	UV_THREADPOOL_SIZE=$$(( $$(nproc) + 4 )) node dist/bench/run.js
	node dist/bench/import.js
	node dist/bench/shim.js

clean: ## remove build output (not ./var)
	rm -rf dist

install-systemd: ## (root) install packaging/systemd: unit, sysusers file, the shadowd user; tree in /opt/shadowd
	install -m 0644 packaging/systemd/shadowd.service /etc/systemd/system/shadowd.service
	install -m 0644 packaging/systemd/shadowd.sysusers /etc/sysusers.d/shadowd.conf
	systemd-sysusers /etc/sysusers.d/shadowd.conf
	systemctl daemon-reload
