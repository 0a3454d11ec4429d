# One entry point for every task. The first `make test` (or `make demo`) builds the environment:
# a pinned uv in .tools/, then the locked dependencies in .venv/ (uv.lock), using the machine's python3.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
RUN := $(UV) run --locked --no-sync
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: all install test lint format typecheck pytest demo record bench walks clean

all: test

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --locked --python $(PYTHON) --quiet
	touch $@

install: $(VENV)/.installed

lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install
	$(RUN) mypy

pytest: install
	$(RUN) pytest -q

test: lint typecheck pytest

format: install
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

demo: install
	$(RUN) python -m langchain_roe --demo $(IDS)

# Re-record the cassettes against the live API (needs ROE_API_KEY and the job ids in scripts/record.py).
record: install
	$(RUN) python -m scripts.record

bench: install
	$(UV) sync --locked --python $(PYTHON) --quiet --group bench
	$(RUN) python -m benchmarks.run
	$(UV) sync --locked --python $(PYTHON) --quiet
	touch $(VENV)/.installed

# How many package files and functions one request crosses, per walk (scripts/walks.py).
walks: install
	$(RUN) python -m scripts.walks

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
