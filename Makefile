# Two commands matter: `make run` (the product on its embedded default) and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# Tests use the real PostgreSQL and Redis when they answer on 127.0.0.1, else SQLite and the
# filesystem broker.
PG_UP := $(shell (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && echo 1)
REDIS_UP := $(shell (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && echo 1)
# TEST_DB and TEST_REDIS_DB let several checkouts run their suites side by side.
TEST_DB ?= ent_test
TEST_REDIS_DB ?= 15
TEST_ENV := ENT_VAR_DIR=$(CURDIR)/var/test $(if $(PG_UP),DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(TEST_DB)) $(if $(REDIS_UP),REDIS_URL=redis://127.0.0.1:6379/$(TEST_REDIS_DB))

.PHONY: install run test lint format migrations-check

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) seed_demo
	$(MANAGE) run_embedded

test: install
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .
