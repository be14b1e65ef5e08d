# Optimizer Gallery — `make site` builds the gallery, `make test` runs the test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install bytecode browser test site serve bench lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Bytecode for the package, kept fresh (compileall skips what is up to date): an editable install
# leaves none, and with PYTHONDONTWRITEBYTECODE set Python would compile every module in every
# process (~0.25 s each: the CLI, the build's workers, the test suite's subprocesses).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q gallery

# The browser test drives Debian's Chromium; install it when missing (root, as on CI), else say how.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Chromium from Debian's packages (browser test)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' for the browser test"; \
	  fi; }

test: bytecode browser
	$(BIN)/pytest -q

# BASE_URL: the address the site is published at (the Pages workflow passes it), for citations
site: bytecode
	$(BIN)/gallery build $(if $(BASE_URL),--base-url "$(BASE_URL)")

serve: bytecode
	$(BIN)/gallery serve

bench: bytecode
	$(BIN)/python bench/run.py

lint: install
	$(BIN)/ruff check gallery tests bench
	$(BIN)/ruff format --check gallery tests bench

format: install
	$(BIN)/ruff format gallery tests bench
	$(BIN)/ruff check --fix gallery tests bench

clean:
	rm -rf $(VENV) site .cache .pytest_cache .ruff_cache *.egg-info
