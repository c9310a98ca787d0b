# cxloop: `make run` starts it, `make test` checks it. Both install what they need (uv included).
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := .tools/bin/uv
RUN := $(UV) run --frozen
# `make run` syncs the runtime packages only (the `runtime` target), then starts its processes
# from .venv/bin directly: a `uv run` around each checked the environment again (and would add
# the dev group) and stayed as its parent, costing memory and start-up (docs/benchmarks.md).
SETUP := .venv/bin/python -m cxshared.batch
CX_TEST_DATABASE ?= sqlite
PYTEST_WORKERS ?= 2
export UV_PYTHON_DOWNLOADS := never
# Python keeps compiled modules (__pycache__), whatever the shell says: without them every process
# the suite or `make run` starts compiles its imports again (a service: 3.4 s instead of 1.1 s).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help install runtime run test test-fast lint typecheck contracts pytest bench fmt reset api-key \
	openapi screenshots docker-test

help:
	@echo "make run       start cxloop on http://127.0.0.1:8000 (SQLite under ./data)"
	@echo "make test      lint, type checks, import contracts and the test suite"
	@echo "               (CX_TEST_DATABASE=postgresql runs it against the local PostgreSQL)"
	@echo "make test-fast the unit and API tiers on SQLite, for the edit loop"
	@echo "make api-key   create an API key for each service (shown once)"
	@echo "make bench     benchmarks of the hot paths (tests/perf), as numbers and ratios"
	@echo "make screenshots  the main pages with a sample business, into docs/screenshots"
	@echo "make docker-test  build the image, run docker-compose.yml with it and check it (root)"
	@echo "make reset     delete the local data"

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Two environments in one .venv: `make run` needs only what the services import at run time
# (.venv/.runtime); tests, lint and type checks add the dev group (.venv/.synced). The runtime
# sync is inexact, so that it leaves the dev tools of an earlier `make test` in place.
LOCKED := $(UV) uv.lock pyproject.toml shared/pyproject.toml demo/pyproject.toml \
	$(wildcard services/*/pyproject.toml)
.venv/.runtime: $(LOCKED)
	$(UV) sync --frozen --all-packages --no-dev --inexact
	@touch $@

.venv/.synced: $(LOCKED)
	$(UV) sync --frozen --all-packages
	@touch $@ .venv/.runtime

# Browser packages (htmx) from the npm registry, through the gateway's lock file.
ASSETS := services/gateway/node_modules/.package-lock.json
$(ASSETS): services/gateway/package.json services/gateway/package-lock.json
	cd services/gateway && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.synced $(ASSETS)
runtime: .venv/.runtime $(ASSETS)

# Browser tests and screenshots drive Debian's Chromium through Playwright.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get install -y --no-install-recommends chromium

# Throughput benchmarks load the services with wrk, a C load generator (docs/benchmarks.md).
WRK := /usr/bin/wrk
$(WRK):
	apt-get install -y --no-install-recommends wrk

BACKENDS := journey feedback metrics
SERVICES := $(BACKENDS) gateway
KEYS := data/keys

INGEST_KEY = $(KEYS)/metrics-ingest.key
INGEST_URL := http://127.0.0.1:8003/v1/events
# Journey's relay also delivers touchpoint and team events to feedback, which routes cases.
FEEDBACK_INGEST_KEY = $(KEYS)/feedback-ingest.key
FEEDBACK_INGEST_URL := http://127.0.0.1:8002/v1/events

RUN_ENV := data/run.env
# The services mail to the Procfile's local SMTP server (cx-mailbox), which keeps every message
# for http://127.0.0.1:8025 and sends nothing on (docs/email.md).
MAILBOX_SMTP_URL := smtp://127.0.0.1:1025
SIGN_IN = $(KEYS)/admin-sign-in.json
# make run DB=postgres: the same on PostgreSQL, one database per service on this server
# (created when missing), 2 workers and 2 relay processes each.
DB ?= sqlite
POSTGRES ?= postgresql://postgres@127.0.0.1:5432
ifeq ($(DB),postgres)
  PROCFILE := Procfile.postgres
  RELAYS := -c journey-relay=2,feedback-relay=2,metrics-relay=2
  export JOURNEY_DATABASE_URL := $(POSTGRES)/cxloop_journey
  export FEEDBACK_DATABASE_URL := $(POSTGRES)/cxloop_feedback
  export METRICS_DATABASE_URL := $(POSTGRES)/cxloop_metrics
  export GATEWAY_DATABASE_URL := $(POSTGRES)/cxloop_gateway
  export JOURNEY_RELAY_IN_PROCESS := false
  export FEEDBACK_RELAY_IN_PROCESS := false
  export METRICS_RELAY_IN_PROCESS := false
  export FEEDBACK_MAIL_SENDER_IN_PROCESS := false
  export METRICS_MAIL_SENDER_IN_PROCESS := false
  KEYS := data/keys/postgres
  RUN_ENV := data/run-postgres.env
else
  PROCFILE := Procfile
  RELAYS :=
endif

# Every process from the Procfile through honcho: one coloured log, Ctrl-C stops all. Keys are
# made once and kept in data/keys/; the relays deliver to metrics, the gateway calls each
# backend, the demo seeds on the first start. The first run makes the admin and keeps the
# generated password in $(SIGN_IN) (mode 0600); the Procfile's `welcome` shows it in a box once
# every service is ready. Per-request lines are at DEBUG (REQUEST_LOG_LEVEL=INFO shows them).
REQUEST_LOG_LEVEL ?= DEBUG
run: runtime
	@$(SETUP) --quiet $(foreach s,$(SERVICES),"cx-$(s) migrate") \
	  "cx-metrics create-api-key --name relays --scope ingest --file $(INGEST_KEY)" \
	  "cx-feedback create-api-key --name journey-relay --scope ingest --file $(FEEDBACK_INGEST_KEY)" \
	  $(foreach s,$(BACKENDS),"cx-$(s) create-api-key --name gateway --scope write --scope gateway --file $(KEYS)/gateway-$(s).key" \
	    "cx-$(s) create-api-key --name demo --scope write --scope admin --file $(KEYS)/demo-$(s).key") \
	  --loud "cx-gateway create-user --email admin@example.com --name Admin --role admin --if-no-users --sign-in-file $(SIGN_IN)"
	@{ echo "JOURNEY_INGEST_URL=$(INGEST_URL)"; echo "FEEDBACK_INGEST_URL=$(INGEST_URL)"; \
	  echo "JOURNEY_INGEST_API_KEY=$$(cat $(INGEST_KEY))"; \
	  echo "FEEDBACK_INGEST_API_KEY=$$(cat $(INGEST_KEY))"; \
	  echo "JOURNEY_FEEDBACK_INGEST_URL=$(FEEDBACK_INGEST_URL)"; \
	  echo "JOURNEY_FEEDBACK_INGEST_API_KEY=$$(cat $(FEEDBACK_INGEST_KEY))"; \
	  echo "FEEDBACK_TRUSTED_PROXIES='[\"127.0.0.1\"]'"; \
	  echo "REQUEST_LOG_LEVEL=$(REQUEST_LOG_LEVEL)"; \
	  echo "FEEDBACK_SMTP_URL=$(MAILBOX_SMTP_URL)"; \
	  echo "FEEDBACK_MAIL_FROM='cxloop surveys <surveys@example.com>'"; \
	  echo "FEEDBACK_PUBLIC_URL=http://127.0.0.1:8000"; \
	  echo "METRICS_SMTP_URL=$(MAILBOX_SMTP_URL)"; \
	  echo "METRICS_MAIL_FROM='cxloop alerts <alerts@example.com>'"; \
	  for s in $(BACKENDS); do \
	    echo "GATEWAY_$$(echo $$s | tr a-z A-Z)_API_KEY=$$(cat $(KEYS)/gateway-$$s.key)"; done; \
	} > $(RUN_ENV)
	@echo "cxloop: starting on http://127.0.0.1:8000 (journey :8001, feedback :8002, metrics :8003; mail kept on :8025; Ctrl-C stops all)"
	@PATH="$(CURDIR)/.venv/bin:$$PATH" exec .venv/bin/honcho start -f $(PROCFILE) -e $(RUN_ENV) $(RELAYS)

api-key: install
	@for s in $(BACKENDS); do \
	  $(RUN) cx-$$s migrate >/dev/null 2>&1 || exit 1; \
	  key=$$($(RUN) cx-$$s create-api-key --name "$${NAME:-local-admin}" --scope write \
	    --scope admin 2>/dev/null | tail -1) || exit 1; \
	  echo "$$s: $$key"; \
	done

test: lint typecheck contracts pytest

lint: install
	$(RUN) ruff check shared services demo tests
	$(RUN) ruff format --check shared services demo tests

typecheck: install
	$(RUN) mypy shared/src services/journey/src services/feedback/src services/metrics/src \
	  services/gateway/src demo/src

contracts: install
	$(RUN) lint-imports

# --dist loadgroup: the tests of a module that starts its own servers (an xdist_group) run on
# one worker, which starts them once; every other test goes to whichever worker is free.
pytest: install $(CHROMIUM)
	CX_TEST_DATABASE=$(CX_TEST_DATABASE) $(RUN) pytest -n $(PYTEST_WORKERS) --dist loadgroup \
	  -q -p no:cacheprovider $(PYTEST_ARGS)

# The edit loop: pure functions and in-process apps, without the fuzzers and imports that take a
# minute (marked long); processes and browsers are left to `make test`.
test-fast: install
	CX_TEST_DATABASE=sqlite $(RUN) pytest -n $(PYTEST_WORKERS) --dist loadgroup -q \
	  -p no:cacheprovider -m "(unit or api) and not long" $(PYTEST_ARGS)

bench: install $(WRK)
	$(RUN) python -m tests.perf --db $(CX_TEST_DATABASE)

fmt: install
	$(RUN) ruff format shared services demo tests
	$(RUN) ruff check --fix shared services demo tests

screenshots: install $(CHROMIUM)
	$(RUN) python -m tests.browser.screenshots --out docs/screenshots

# The image and docker-compose.yml, built and run on this machine (Debian's Docker engine, base
# images made from Debian's archive): infra/docker-test.sh says what it checks.
docker-test:
	bash infra/docker-test.sh

reset:
	rm -rf data
ifeq ($(DB),postgres)
	@$(RUN) python -c "import sqlalchemy as sa; \
	e = sa.create_engine('$(POSTGRES)/postgres'.replace('postgresql:', 'postgresql+psycopg:', 1), \
	  isolation_level='AUTOCOMMIT'); c = e.connect(); \
	[c.execute(sa.text(f'DROP DATABASE IF EXISTS cxloop_{s} WITH (FORCE)')) for s in '$(SERVICES)'.split()]"
endif

openapi: install
	@for s in $(BACKENDS); do $(RUN) python -c "import json; from $$s.main import create_app; \
	print(json.dumps(create_app().openapi(), indent=2, sort_keys=True))" > services/$$s/openapi.json; done
