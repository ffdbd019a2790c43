# The whole daily loop, one command each. Everything runs from the project's own venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# `make demo ARGS=--keep` leaves the system running after the walk-through.
.PHONY: venv dev demo test lint format typecheck cfn-lint pytest bench fuzz clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: venv
	$(BIN)/attendry-local dev $(ARGS)

demo: venv
	$(BIN)/attendry-local demo $(ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: venv
	$(BIN)/mypy

cfn-lint: venv
	$(BIN)/cfn-lint template.yaml

pytest: venv
	$(BIN)/pytest -n 2 $(ARGS)

test: lint typecheck cfn-lint pytest

bench: venv
	$(BIN)/python -m benchmarks $(ARGS)

# The schema fuzzer, thorough: every operation, every phase, two users (tests/fuzz/driver.py).
# `make test` runs a bounded pass of it (tests/fuzz/test_api_fuzz.py).
fuzz: venv
	$(BIN)/python -m tests.fuzz.driver $(ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .aws-sam .fuzz
