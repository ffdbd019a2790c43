# The whole daily loop, one command each. Everything runs from the project's own venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# `make demo ARGS=--keep` leaves the system running after the walk-through.
.PHONY: venv dev demo test lint format typecheck cfn-lint checkov pytest bench fuzz mutate clean

# checkov pins many libraries of its own, so it lives in a tool venv beside the project's.
# Pinned exactly: a new release adds checks, and the scan should change only when we bump it.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .tools/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

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
	$(BIN)/lint-imports --no-cache

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: venv
	$(BIN)/mypy

cfn-lint: venv
	$(BIN)/cfn-lint template.yaml

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(CHECKOV_STAMP)

# Fails on any failed check; every skip is in template.yaml with its reason. Offline:
# --skip-download keeps it from asking Prisma Cloud for guideline links.
checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation \
		--quiet --compact --skip-download

pytest: venv
	$(BIN)/pytest -n 2 $(ARGS)

test: lint typecheck cfn-lint checkov pytest

bench: venv
	$(BIN)/python -m benchmarks $(ARGS)

# The schema fuzzer, thorough: every operation, every phase, two users (tests/fuzz/driver.py).
# `make test` runs a bounded pass of it (tests/fuzz/test_api_fuzz.py).
fuzz: venv
	$(BIN)/python -m tests.fuzz.driver $(ARGS)

# Mutation testing (mutmut) of the pure rules and the exactly-once, suppression, SNS
# signature and scoping code, as pyproject's [tool.mutmut] says; too slow for `make test`,
# so run it before a stop that touches them. `make mutate MUTANTS='attendry.followups.rules*'`
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
	cd $(MUTMUT) && ../$(BIN)/python -m tests.mutation_report mutants

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .aws-sam .fuzz $(MUTMUT)
