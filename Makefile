# cxloop: `make run` starts it, `make test` checks it. Both install what they need (uv included).
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := .tools/bin/uv
RUN := $(UV) run --frozen
CX_TEST_DATABASE ?= sqlite
PYTEST_WORKERS ?= 2
export UV_PYTHON_DOWNLOADS := never

.PHONY: help install run test lint typecheck contracts pytest bench fmt reset api-key openapi \
	screenshots

help:
	@echo "make run       start cxloop on http://127.0.0.1:8000 (SQLite under ./data)"
	@echo "make test      lint, type checks, import contracts and the test suite"
	@echo "               (CX_TEST_DATABASE=postgresql runs it against the local PostgreSQL)"
	@echo "make api-key   create an API key for each service (shown once)"
	@echo "make bench     benchmarks of the hot paths (tests/perf), as numbers and ratios"
	@echo "make screenshots  the main pages with a sample business, into docs/screenshots"
	@echo "make reset     delete the local data"

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) uv.lock pyproject.toml shared/pyproject.toml $(wildcard services/*/pyproject.toml)
	$(UV) sync --frozen --all-packages
	@touch $@

# Browser packages (htmx) from the npm registry, through the gateway's lock file.
ASSETS := services/gateway/node_modules/.package-lock.json
$(ASSETS): services/gateway/package.json services/gateway/package-lock.json
	cd services/gateway && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.synced $(ASSETS)

# Browser tests and screenshots drive Debian's Chromium through Playwright.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium

BACKENDS := journey feedback metrics
SERVICES := $(BACKENDS) gateway
KEYS := data/keys

INGEST_KEY := $(KEYS)/metrics-ingest.key
INGEST_URL := http://127.0.0.1:8003/v1/events

# journey's and feedback's relays deliver every event to metrics, and the gateway calls each
# backend, with keys kept in ./data. The first run creates an admin and prints its password.
run: install
	@for s in $(SERVICES); do $(RUN) cx-$$s migrate || exit 1; done
	@$(RUN) cx-metrics create-api-key --name relays --scope ingest --file $(INGEST_KEY)
	@for s in $(BACKENDS); do $(RUN) cx-$$s create-api-key --name gateway --scope write \
	  --scope gateway --file $(KEYS)/gateway-$$s.key || exit 1; done
	@$(RUN) cx-gateway create-user --email admin@example.com --name Admin --role admin --if-no-users
	@echo "cxloop on http://127.0.0.1:8000 (journey :8001, feedback :8002, metrics :8003; Ctrl-C stops all)"
	@trap 'kill 0' INT TERM EXIT; key=$$(cat $(INGEST_KEY)); \
	  JOURNEY_INGEST_URL=$(INGEST_URL) JOURNEY_INGEST_API_KEY=$$key $(RUN) cx-journey serve & \
	  FEEDBACK_INGEST_URL=$(INGEST_URL) FEEDBACK_INGEST_API_KEY=$$key \
	  FEEDBACK_TRUSTED_PROXIES='["127.0.0.1"]' $(RUN) cx-feedback serve & \
	  $(RUN) cx-metrics serve & \
	  GATEWAY_JOURNEY_API_KEY=$$(cat $(KEYS)/gateway-journey.key) \
	  GATEWAY_FEEDBACK_API_KEY=$$(cat $(KEYS)/gateway-feedback.key) \
	  GATEWAY_METRICS_API_KEY=$$(cat $(KEYS)/gateway-metrics.key) $(RUN) cx-gateway serve & \
	  wait

api-key: install
	@for s in $(BACKENDS); do \
	  $(RUN) cx-$$s migrate >/dev/null 2>&1 || exit 1; \
	  key=$$($(RUN) cx-$$s create-api-key --name "$${NAME:-local-admin}" --scope write \
	    --scope admin 2>/dev/null | tail -1) || exit 1; \
	  echo "$$s: $$key"; \
	done

test: lint typecheck contracts pytest

lint: install
	$(RUN) ruff check shared services tests
	$(RUN) ruff format --check shared services tests

typecheck: install
	$(RUN) mypy shared/src services/journey/src services/feedback/src services/metrics/src services/gateway/src

contracts: install
	$(RUN) lint-imports

pytest: install $(CHROMIUM)
	CX_TEST_DATABASE=$(CX_TEST_DATABASE) $(RUN) pytest -n $(PYTEST_WORKERS) -q -p no:cacheprovider

bench: install
	$(RUN) python -m tests.perf --db $(CX_TEST_DATABASE)

fmt: install
	$(RUN) ruff format shared services tests
	$(RUN) ruff check --fix shared services tests

screenshots: install $(CHROMIUM)
	$(RUN) python -m tests.browser.screenshots --out docs/screenshots

reset:
	rm -rf data

openapi: install
	@for s in $(BACKENDS); do $(RUN) python -c "import json; from $$s.main import create_app; \
	print(json.dumps(create_app().openapi(), indent=2, sort_keys=True))" > services/$$s/openapi.json; done
