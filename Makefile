# Improvement Journey. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
VENDORED := src/journey/web/static/vendor/.vendored
PG_URL ?= postgres://postgres@127.0.0.1:5432
export JOURNEY_ENV ?= development

.PHONY: install system-deps demo test test-sqlite test-postgres lint bench docs clean

install: $(INSTALLED) $(NODE_INSTALLED) $(VENDORED)

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The shipped fonts and static files, copied from node_modules into the package.
$(VENDORED): $(NODE_INSTALLED) scripts/vendor_assets.py
	$(PYTHON) scripts/vendor_assets.py
	touch $@

# Debian packages the tests need: Chromium for the browser tests, poppler for PDF checks.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    chromium fonts-dejavu-core poppler-utils >/dev/null; \
	fi

demo: install
	$(BIN)/journey demo

test: install system-deps lint test-sqlite test-postgres

test-sqlite: install
	@echo "== test suite on SQLite =="
	DATABASE_URL= $(BIN)/pytest -q

# A fresh database per run: pytest-django creates test_<name> and drops it afterwards.
test-postgres: install
	@echo "== test suite on PostgreSQL =="
	$(BIN)/python scripts/require_postgres.py "$(PG_URL)/postgres"
	name=journey_$$(date +%s)_$$$$; \
	DATABASE_URL="$(PG_URL)/$$name" $(BIN)/pytest -q --create-db; status=$$?; \
	$(BIN)/python scripts/require_postgres.py "$(PG_URL)/postgres" --drop "test_$$name"; \
	exit $$status

lint: install
	$(BIN)/ruff check src tests benchmarks scripts setup.py
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/run.py

docs: install
	$(BIN)/journey measures docs > docs/measures.md
	$(BIN)/python -c "from journey.cli import main; from journey.cli._reference import command_reference; print(command_reference(main), end='')" > docs/cli.md

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache build dist src/journey/web/static/vendor src/journey/engine/fonts/*.ttf src/journey/engine/fonts/OFL.txt
