# Developer and CI entry points. `make run` and `make test` are all a newcomer needs.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when the package definition changes.
STAMP := $(VENV)/.kubus-installed

.PHONY: help venv run test lint bench clean distclean

help:
	@echo "make run        set up $(VENV) and serve the demo (kubus serve --demo)"
	@echo "make test       set up $(VENV), then ruff, mypy and the whole pytest suite"
	@echo "make lint       ruff and mypy only"
	@echo "make bench      run the benchmarks in bench/"
	@echo "make clean      remove caches and build output (distclean: also $(VENV))"

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: Kubus needs Python >= 3.11, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
	  echo "       Put a newer python3 first on PATH, or run: make PYTHON=/path/to/python3.11 ..." >&2; \
	  exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "error: $(VENV) has $$($(BIN)/python --version); delete it (make distclean) and retry." >&2; \
	  exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: venv
	$(BIN)/kubus serve --demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

# pytest exits 5 when it collected no tests: that is a failure, said out loud.
test: lint
	@echo "$(BIN)/pytest"
	@$(BIN)/pytest || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; \
	  exit $$rc; }

bench: venv
	@test -f bench/run.py || { echo "error: bench/run.py does not exist yet" >&2; exit 1; }
	$(BIN)/python bench/run.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
