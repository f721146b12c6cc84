# tees-dataset: the two commands a new machine needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --locked
# Use the machine's Python; never download one.
export UV_PYTHON_DOWNLOADS := never
QUARTER ?= 2024Q3

.PHONY: help setup demo test lint typecheck schema samples check ci-catalogue bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv==0.13.9

setup: $(UV) ## Install the locked dependencies into .venv (system libraries first, if missing)
	@bash scripts/system-deps.sh
	$(UV) sync --locked --compile-bytecode

demo: setup ## Set up, then build the $(QUARTER) packs from the committed sample returns into out/
	$(RUN) tees-dataset build --quarter $(QUARTER) --returns sample_returns --out out; \
	  rc=$$?; [ $$rc -le 1 ] || exit $$rc
	@ls -1 out/$(QUARTER)

test: setup ## Set up, then run lint, types and the tests
	$(RUN) ruff check tees_dataset tests
	$(RUN) ruff format --check tees_dataset tests
	$(RUN) mypy
	$(RUN) pytest -q

lint: setup ## Lint and format check only
	$(RUN) ruff check tees_dataset tests
	$(RUN) ruff format --check tees_dataset tests

typecheck: setup ## mypy --strict on the package
	$(RUN) mypy

check: setup ## Check the catalogue, and run every indicator against the sample returns
	$(RUN) tees-dataset check indicators.yaml --samples sample_returns

ci-catalogue: check ## What CI runs on every change to indicators.yaml: check, schema drift, a sample build
	$(RUN) tees-dataset schema --out schema/indicators.schema.json
	git diff --exit-code -- schema/indicators.schema.json || \
	  { echo "schema/indicators.schema.json is out of date: run make schema and commit it"; exit 1; }
	$(RUN) tees-dataset --log-format plain build --quarter $(QUARTER) --returns sample_returns --out out/ci --strict

bench: setup ## Benchmark builds at scale 1, 10 and 100 against their floor; writes bench/results.json
	$(RUN) python bench/run.py

schema: setup ## Regenerate the catalogue's JSON Schema after changing the models
	$(RUN) tees-dataset schema --out schema/indicators.schema.json

samples: setup ## Regenerate the committed synthetic sample returns
	rm -rf sample_returns
	$(RUN) tees-dataset sample --quarters 2022Q4..2024Q3 --out sample_returns --seed 1

clean: ## Remove outputs and caches (not .venv)
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
