# Optimizer Gallery — `make site` builds the gallery, `make test` runs the test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test site bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/pytest -q

site: install
	$(BIN)/gallery build

bench: install
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check gallery tests bench
	$(BIN)/ruff format --check gallery tests bench

format: install
	$(BIN)/ruff format gallery tests bench
	$(BIN)/ruff check --fix gallery tests bench

clean:
	rm -rf $(VENV) site .cache .pytest_cache .ruff_cache *.egg-info
