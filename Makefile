# tees-dataset: the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
# The production set (make setup, make demo, the server): no development tools.
RUN := $(UV) run --locked --no-dev
# Lint, types, tests and the README's generated parts: the development group too.
DEV_RUN := $(UV) run --locked
# Use the machine's Python; never download one.
export UV_PYTHON_DOWNLOADS := never
QUARTER ?= 2024Q3
LINTED := tees_dataset tests scripts bench

.PHONY: help setup dev demo test lint typecheck deps readme schema samples check ci-catalogue bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==0.13.9

setup: $(UV) ## Install the locked dependencies, without development tools, into .venv (system libraries first)
	@bash scripts/system-deps.sh
	$(UV) sync --locked --no-dev --compile-bytecode

dev: $(UV) ## Install the locked dependencies with the development tools (pytest, ruff, mypy, cog)
	@bash scripts/system-deps.sh dev
	$(UV) sync --locked --compile-bytecode

demo: setup ## Set up, then build the $(QUARTER) packs from the committed sample returns into out/
	$(RUN) tees-dataset build --quarter $(QUARTER) --returns sample_returns --out out; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@ls -1 out/$(QUARTER)

test: dev ## Set up with the development tools, then lint, types, dependencies, README and the tests
	$(DEV_RUN) ruff check $(LINTED)
	$(DEV_RUN) ruff format --check $(LINTED)
	$(DEV_RUN) mypy
	$(DEV_RUN) python scripts/check_dependencies.py
	@$(DEV_RUN) cog --check -I scripts README.md || \
	  { echo "README.md's command reference is out of date: run make readme and commit it"; exit 1; }
	$(DEV_RUN) pytest -q

lint: dev ## Lint and format check only
	$(DEV_RUN) ruff check $(LINTED)
	$(DEV_RUN) ruff format --check $(LINTED)

typecheck: dev ## mypy --strict on the package
	$(DEV_RUN) mypy

deps: dev ## Check that every import is declared, at a lower bound CI has tested (the locked version)
	$(DEV_RUN) python scripts/check_dependencies.py

readme: dev ## Rewrite the README's command reference from the CLI's own --help
	$(DEV_RUN) cog -r -I scripts README.md

check: $(UV) ## Check the catalogue, and run every indicator against the sample returns
	$(RUN) tees-dataset check indicators.yaml --samples sample_returns

ci-catalogue: setup check ## What CI runs beside make test: check, schema drift, a strict sample build (production set)
	$(RUN) tees-dataset schema --out schema/indicators.schema.json
	git diff --exit-code -- schema/indicators.schema.json || \
	  { echo "schema/indicators.schema.json is out of date: run make schema and commit it"; exit 1; }
	$(RUN) tees-dataset --log-format plain build --quarter $(QUARTER) --returns sample_returns --out out/ci --strict

bench: dev ## Benchmark builds at scale 1, 10 and 100 against their floor; writes bench/results.json
	$(DEV_RUN) python -m bench.run

schema: $(UV) ## Regenerate the catalogue's JSON Schema after changing the models
	$(RUN) tees-dataset schema --out schema/indicators.schema.json

samples: $(UV) ## Regenerate the committed synthetic sample returns
	rm -rf sample_returns
	$(RUN) tees-dataset sample --quarters 2021Q4..2024Q3 --out sample_returns --seed 1

clean: ## Remove outputs and caches (not .venv)
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
