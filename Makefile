# The whole daily loop, one command each. Everything runs from the project's own venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# `make demo ARGS=--keep` leaves the system running after the walk-through.
.PHONY: venv dev demo test lint format typecheck cfn-lint pytest bench mutate clean

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

# Mutation testing (mutmut) of the pure rules and the exactly-once, suppression, SNS
# signature and scoping code, as pyproject's [tool.mutmut] says; too slow for `make test`,
# so run it before a stop that touches them. `make mutate MUTANTS='attendry.rules.*'`
# runs some. Results stay in .mutmut/mutants between runs; only changed functions rerun.
MUTMUT := .mutmut
mutate: venv
	$(BIN)/python -m pip install --quiet -e '.[dev,mutation]'
	mkdir -p $(MUTMUT)
	ln -sfn ../shared $(MUTMUT)/src
	for path in tests functions events template.yaml pyproject.toml; do \
		ln -sfn ../$$path $(MUTMUT)/$$path; done
	cd $(MUTMUT) && ../$(BIN)/mutmut run $(MUTANTS) > mutmut-run.log 2>&1 || \
		(tail -c 4000 mutmut-run.log; exit 1)
	$(BIN)/python -m tests.mutation_report $(MUTMUT)/mutants

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .aws-sam $(MUTMUT)
