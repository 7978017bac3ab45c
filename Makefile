# Huixiang: `make run` starts the local stack, `make test` runs every test.
# Both install what they need into .venv first, so they work on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
CHROMIUM := /usr/bin/chromium
NOTO_CJK := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
SUDO   := $(if $(filter 0,$(shell id -u)),,sudo)
# pytest-xdist workers for make test (the local-stack tests all run on one of them)
TEST_WORKERS ?= 2

.PHONY: install check run unit test bench token clean package openapi fuzz verify-rollups verify-audit

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check 'pip>=23,<26.3'  # chalice 1.34 needs pip<26.3 for packaging
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install           ## the local stack: moto endpoint, tables, stream runners, API on :8000 (PORT overrides); keeps its data in var/state (FRESH=1 starts empty), one line per request (VERBOSE=1: the app's JSON logs too, always in var/log/stack.log)
	$(BIN)/python -m devstack run $(if $(filter 1 yes true,$(FRESH)),--fresh) $(if $(filter 1 yes true,$(VERBOSE)),--verbose)

package: install $(NOTO_CJK)  ## build/sam.json: the prod stage's deployable template, linted (offline), and build/report-fonts.zip; refuses a stale openapi.yaml
	$(BIN)/python -m infra.openapi --check
	$(BIN)/python -m infra.package --stage prod --out build
	$(BIN)/cfn-lint --non-zero-exit-code error build/sam.json

openapi: install       ## openapi.yaml's request components from chalicelib/handlers/schemas.py (and the error codes), then the served chalicelib/openapi.json
	$(BIN)/python -m infra.openapi

$(NOTO_CJK):           ## Debian's Noto Sans CJK: make package subsets it into the report compiler's font layer (infra/fonts.py)
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends fonts-noto-cjk || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends fonts-noto-cjk; }

$(CHROMIUM):           ## Debian's Chromium for the browser tests (Playwright drives it; never `playwright install`)
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium || { $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }

check: install         ## lint, import order and format (ruff); types (mypy, the paths of [tool.mypy] files in pyproject.toml); the import graph's contracts (import-linter, pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

# The fast loop keeps bytecode (__pycache__, gitignored) even where PYTHONDONTWRITEBYTECODE is set,
# and loads no pytest plugin it does not use (schemathesis' alone costs a second).
# two workers: the suite is CPU-bound, so both cores halve the wait (15.2 s -> 12.7 s with xdist's start-up, 3,399 tests)
UNIT_WORKERS ?= 2
UNIT_PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(UNIT_WORKERS) -p no:schemathesis -p no:anyio

unit: install          ## the fast loop: the domain and every use case against the in-memory storage (tests/unit but what is marked slow), no moto, no server, no browser; prints its time
	@start=$$(date +%s%N); $(UNIT_PYTEST) -m "not slow" tests/unit; rc=$$?; \
	echo "make unit: $$(( ($$(date +%s%N) - start) / 1000000 )) ms"; exit $$rc

test: check package $(CHROMIUM)  ## every test: unit, integration, functional, end-to-end, infra, browser (on the fresh build/), TEST_WORKERS=2 in parallel
	@HUIXIANG_TEMPLATE=$(CURDIR)/build/sam.json $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

fuzz: install          ## schemathesis against the local stack, every role, every phase (FUZZ_EXAMPLES=100)
	$(BIN)/python -m tests.fuzz.run --max-examples $(or $(FUZZ_EXAMPLES),100)

bench: install $(CHROMIUM)  ## benchmarks (bench.console and bench.offline_sync drive Debian's Chromium, installed like make test's): prints tables and writes bench/results.json (the local stack's figures: bench.local_stack; money control: bench.money; events out: bench.webhooks; the changes feed: bench.changes; the console offline: bench.offline_sync)
	$(BIN)/python -m bench --only cold_start read_amplification money
	$(BIN)/python -m bench.local_stack
	$(BIN)/python -m bench.evidence
	$(BIN)/python -m bench.invoices
	$(BIN)/python -m bench.evaluation
	$(BIN)/python -m bench.vouchers
	$(BIN)/python -m bench.stream_decode
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.changes
	$(BIN)/python -m bench.console
	$(BIN)/python -m bench.offline_sync

verify-rollups: install  ## recompute every roll-up from the campaigns (of the running local stack) and print differences
	$(BIN)/python -m tools.verify_rollups

verify-audit: install    ## verify every campaign's audit chain (of the running local stack) as GET /campaigns/{id}/audit does; TENANT=T for one company, FILE=trail.json for an exported trail, FILE=bundle.json for an evidence bundle (its files beside it, or FILES=dir; DOWNLOAD=1 fetches them) (docs/audit.md)
	$(BIN)/python -m tools.verify_audit $(if $(TENANT),--tenant $(TENANT)) $(if $(FILE),--file $(FILE)) $(if $(FILES),--files $(FILES)) $(if $(DOWNLOAD),--download)

clean:
	rm -rf $(VENV) var build .pytest_cache .mypy_cache .ruff_cache
