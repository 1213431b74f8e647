# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# A separate environment from requirements.txt alone (what the container installs), kept per
# version of that file so it is built once, not every run.
RUNTIME_KEY := $(shell sha256sum requirements.txt 2>/dev/null | cut -c1-16)
RUNTIME_VENV := .cache/runtime-$(RUNTIME_KEY)

.PHONY: run test lint migrate browser pdf-libs clean bench runtime-check

$(INSTALLED): requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## run: start the bot and its local chat page on http://127.0.0.1:3978 (SQLite by default)
run: $(INSTALLED) node_modules/.installed pdf-libs
	$(BIN)/python -m storage upgrade
	$(BIN)/python -m bot

## test: lint, the import contracts (.importlinter), type checks, the whole test suite (PostgreSQL tests need TEST_DATABASE_URL), then the bot started from requirements.txt alone
test: $(INSTALLED) node_modules/.installed browser pdf-libs
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy
	$(BIN)/python -m pytest
	$(MAKE) runtime-check

$(RUNTIME_VENV)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed"; exit 1; }
	rm -rf .cache/runtime-*
	$(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/pip install --quiet --upgrade pip
	$(RUNTIME_VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

## runtime-check: start the bot on SQLite from an environment built from requirements.txt alone, until /readyz answers
runtime-check: $(RUNTIME_VENV)/.installed
	$(RUNTIME_VENV)/bin/python .ci/runtime_check.py

## migrate: bring the database at DATABASE_URL up to the current schema
migrate: $(INSTALLED)
	$(BIN)/python -m storage upgrade

## browser: Debian's chromium for the end-to-end page test (skipped, with a reason, where it cannot be installed)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed; the browser test will be skipped"; \
	  else echo "chromium is not installed; the browser test will be skipped"; fi; }

## pdf-libs: Debian's Pango, HarfBuzz and fonts, which WeasyPrint needs to print PDF reports
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation
pdf-libs:
	@dpkg -s $(PDF_LIBS) >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS) >/dev/null) \
	      || echo "$(PDF_LIBS) could not be installed; PDF reports will fail"; \
	  else echo "install $(PDF_LIBS) (as root, with apt-get) for PDF reports"; fi; }

## lint: ruff, the import contracts in .importlinter (which package may import which), and mypy
lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

bench: $(INSTALLED)
	for b in bench/*_bench.py; do $(BIN)/python -m bench.$$(basename $$b .py) || exit 1; done

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .import_linter_cache .cache
