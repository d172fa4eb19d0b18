# The two commands of README.md: `make demo` and `make test`. Each installs what is missing.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
STATIC := src/pgagent_live/static

# Debian packages, as COMMAND:PACKAGE pairs (a path when the command is not on PATH).
SYSTEM_DEMO := /usr/lib/postgresql/*/bin/initdb:postgresql pgagent:pgagent runuser:util-linux
SYSTEM_NODE := node:nodejs npm:npm
SYSTEM_TEST := chromium:chromium /usr/sbin/nginx:nginx

.PHONY: demo test check lint typecheck unit integration web-test e2e build system system-test clean

demo: system build
	$(BIN)/pgagent-live demo

test: system system-test build
	$(MAKE) --no-print-directory check

check: lint typecheck unit integration web-test e2e

system:
	@scripts/system-deps $(SYSTEM_DEMO)
	@command -v node >/dev/null 2>&1 || scripts/system-deps $(SYSTEM_NODE)
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || scripts/system-deps /usr/share/doc/python3-venv:python3-venv

system-test:
	@scripts/system-deps $(SYSTEM_TEST)

$(BIN)/.installed: pyproject.toml
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	@touch $@

$(STATIC)/app.js: web/node_modules/.installed $(shell find web/src web/index.html web/build.mjs -type f 2>/dev/null)
	cd web && npm run --silent build

build: $(BIN)/.installed $(STATIC)/app.js

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(BIN)/.installed web/node_modules/.installed
	$(BIN)/mypy
	cd web && npm run --silent typecheck

unit: $(BIN)/.installed
	$(BIN)/pytest tests/unit -q

integration: build
	$(BIN)/pytest tests/integration -q

web-test: web/node_modules/.installed
	cd web && npm test --silent

e2e: build
	cd web && npm run --silent test:integration

clean:
	rm -rf $(VENV) web/node_modules $(STATIC)
