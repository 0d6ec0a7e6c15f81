# The two commands of the README: `make reproduce` and `make test`. Everything runs inside .venv (plain venv + pip).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 900

.PHONY: setup data reproduce check test unit lint format typecheck live-setup lab benchmarks soak clean

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(INSTALLED)

setup: $(INSTALLED)

# Downloads every pinned public file once (or copies it from $$AGENTEFF_MIRROR), checking sha256.
data: setup
	$(PY) -m agenteff data fetch

# Executes every notebook in place and regenerates figures/ (no API key: the built-in simulated endpoint).
reproduce: data
	$(PY) -m agenteff reproduce --jobs $(JOBS)

# The fast tier (a few minutes): lint, type checks, unit tests, the notebook-structure check, and every study
# notebook run with fast=True into a temporary folder, its claim statuses checked against tests/fast_claims.csv.
check: lint typecheck
	$(PY) -m pytest tests --durations=10

# The fast tier, then nbval re-executes every notebook at full size and compares its outputs with the stored ones.
test: check
	$(PY) -m pytest notebooks $(NBVAL) --durations=10

unit: setup
	$(PY) -m pytest tests

# ruff (lint and format check, notebooks included) and mypy over lib/; `make format` rewrites in place.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: setup
	$(VENV)/bin/mypy

# A real OpenAI-compatible server here: llama.cpp's llama-server with SmolLM2-135M, built once (about 10 min on
# 2 cores) into ~/.cache/agenteff/live and reused; `python -m agenteff serve-local` then serves it on 127.0.0.1.
live-setup: setup
	$(PY) -m agenteff live-setup

lab: setup
	$(PY) -m jupyter lab notebooks/

# One table of every speed figure against its anchor and limit (each benchmarks/*.py still runs alone).
benchmarks: setup
	$(PY) benchmarks/run_all.py

# A bounded fault soak (a few minutes): thousands of requests with faults on, a sweep killed with kill -9 and
# resumed, a canary key searched for in every written file. On demand only, never part of the tests.
soak: setup
	$(PY) benchmarks/soak.py

clean:
	rm -rf .cache .pytest_cache
