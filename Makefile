# Social Covenant. `make run` serves a local node; `make test` runs every check CI runs.
# Needs only Python 3.11+, make and apt (Debian 12); the rest installs itself.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PYTEST_WORKERS ?= 2
# Every check, in the order `make test` runs them: cheapest and most likely to fail first.
TEST_STEPS := system-packages venv-test lint typecheck migrations-check deploy-check \
	test-sqlite test-postgres test-browser bench-quick

.PHONY: help run test venv venv-test system-packages lint format typecheck migrations-check \
	deploy-check test-sqlite test-postgres test-browser bench bench-quick

help:
	@echo "make run               serve a local node at http://127.0.0.1:8000 (SQLite, demo data)"
	@echo "make test              every check below, in order, stopping at the first failure"
	@echo "  make system-packages   apt-get install PostgreSQL and Chromium if missing"
	@echo "  make lint              ruff check and ruff format --check"
	@echo "  make typecheck         mypy"
	@echo "  make migrations-check  no model change without its migration"
	@echo "  make deploy-check      manage.py check --deploy under production settings"
	@echo "  make test-sqlite       pytest on SQLite (not the browser tests)"
	@echo "  make test-postgres     the same on a throwaway PostgreSQL server"
	@echo "  make test-browser      Playwright journeys in Debian's Chromium, with axe checks"
	@echo "  make bench-quick       every benchmark at smoke size"
	@echo "make bench             every benchmark at full size (results in var/bench/)"
	@echo "make format            ruff format and ruff check --fix"

# --- the virtual environment ---------------------------------------------------------------
# Stamps record what was installed; a requirements file or pyproject.toml newer than its
# stamp reinstalls, anything else is left alone.

$(VENV)/.stamp-venv:
	scripts/bootstrap-venv "$(PYTHON)" "$(VENV)"
	touch $@

$(VENV)/.stamp-base: $(VENV)/.stamp-venv requirements/base.txt pyproject.toml
	$(PIP) install --quiet -r requirements/base.txt
	$(PIP) install --quiet --no-deps -e .
	touch $@

$(VENV)/.stamp-test: $(VENV)/.stamp-base requirements/test.txt
	$(PIP) install --quiet -r requirements/test.txt
	touch $@

venv: $(VENV)/.stamp-base
venv-test: $(VENV)/.stamp-test

# --- running a node ------------------------------------------------------------------------

run: venv
	PYTHON="$(PY)" scripts/run

# --- checks --------------------------------------------------------------------------------

test:
	@MAKE="$(MAKE)" scripts/run-steps $(TEST_STEPS)

system-packages:
	scripts/ensure-system-packages

lint: venv-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: venv-test
	$(VENV)/bin/mypy

migrations-check: venv-test
	DJANGO_SETTINGS_MODULE=covenant.settings.test $(PY) manage.py makemigrations --check --dry-run

deploy-check: venv-test
	DJANGO_SETTINGS_MODULE=covenant.settings.production \
	DJANGO_SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	DJANGO_ALLOWED_HOSTS=node.example.org \
	COVENANT_BASE_URL=https://node.example.org \
	COVENANT_KEY_ENCRYPTION_KEY="$$($(PY) -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')" \
	$(PY) manage.py check --deploy --fail-level WARNING

test-sqlite: venv-test
	env -u DATABASE_URL PYTHON="$(PY)" scripts/pytest -m "not browser" -n $(PYTEST_WORKERS)

test-postgres: venv-test system-packages
	PYTHON="$(PY)" scripts/with-postgres scripts/pytest -m "not browser" -n $(PYTEST_WORKERS)

test-browser: venv-test system-packages
	env -u DATABASE_URL PYTHON="$(PY)" scripts/pytest -m browser tests/browser

bench-quick: venv-test
	$(PY) bench/run_all --quick

bench: venv-test
	$(PY) bench/run_all
