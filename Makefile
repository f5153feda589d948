# Safe Haven — the two front-door commands are `make demo` and `make test`.
# Everything else here is a helper for them.

SHELL := /bin/bash
VENV ?= .venv
PORT ?= 8000

# Django 6 needs Python 3.12 or newer: take the first one found, in this order: python3.14,
# python3.13, python3.12 on PATH, then pyenv's 3.12+ (oldest first), then /usr/local and /usr.
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 \
	$(sort $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3)) \
	$(wildcard /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]) python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    command -v $$p; break; fi; done)

STAMP := $(VENV)/.installed

.PHONY: demo test setup lint bench bench-full clean messages

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Safe Haven needs Python 3.12 or newer (Django 6 requires it). Install python3.12+ and run again, or pass PYTHON=/path/to/python3.12." >&2; exit 2; fi
	@echo "Setting up $(VENV) with $(PYTHON)"
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)
	@$(VENV)/bin/safehaven i18n compile >/dev/null

## Start the clinic app with synthetic demo data on an embedded SQLite database.
demo: setup
	@PORT=$(PORT) $(VENV)/bin/safehaven demo --port $(PORT)

## Run the whole test suite (SQLite unless DATABASE_URL says otherwise).
test: setup
	@$(VENV)/bin/python -m pytest -q -n 2 $(PYTEST_ARGS)

lint: setup
	@$(VENV)/bin/ruff check .

bench: setup
	@$(VENV)/bin/safehaven bench --quick

bench-full: setup
	@bench/full.sh

clean:
	rm -rf $(VENV) var/ .pytest_cache
