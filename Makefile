# Two commands for a fresh machine with only Python:
#   make demo   builds kb.sqlite3 from the bundled collection and answers a question across
#               sources (the EU's share of Kazakhstan's foreign trade, as four outlets give it)
#   make test   runs ruff, mypy and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= kb.sqlite3

.PHONY: demo test lint typecheck pytest install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps, so repeated runs do not reinstall; they are redone when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/kb load --db $(DB)
	@echo
	@echo '$$ kb figures --metric eu-share-of-foreign-trade'
	@$(BIN)/kb figures --metric eu-share-of-foreign-trade --db $(DB)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

# One worker process per CPU, at most four (they share one PostgreSQL server, and the
# concurrency tests start processes of their own); each worker makes its own databases and
# reader roles, named by its pid.
pytest: install-test
	$(BIN)/pytest -n auto --maxprocesses 4

test: lint typecheck pytest

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache $(DB) $(DB)-wal $(DB)-shm
