# xinfang — one entry point for developers and CI.
# On a fresh machine (Python 3.11, git, make) the first target run installs uv into .tools/
# and syncs .venv; nothing global is needed.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
FROZEN := $(if $(wildcard uv.lock),--frozen,)
RUN := $(UV) run $(FROZEN)
SYNCED := .venv/.xinfang-synced
PROJECT_FILES := pyproject.toml $(wildcard uv.lock libs/*/pyproject.toml services/*/pyproject.toml)
# One pytest process per package keeps each service's SQLModel metadata apart.
PACKAGES = libs/common $(patsubst %/pyproject.toml,%,$(wildcard services/*/pyproject.toml)) \
	$(wildcard tests)
LINT_PATHS = $(wildcard libs services tests scripts deploy)

ifeq ($(CI),true)
export XINFANG_TEST_PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
endif

.PHONY: help install up test test-fast lint bench chaos fuzz clean browsers check-deploy deploy-tools

help:
	@echo "make install    install uv if missing, sync .venv with every package"
	@echo "make up         start nats-server, an SMTP catcher and the four services"
	@echo "make test       whole suite, one pytest run per package (PYTEST_ARGS passed on)"
	@echo "make test-fast  the same without e2e tests"
	@echo "make lint       ruff check, ruff format --check and mypy"
	@echo "make bench      throughput benchmark"
	@echo "make chaos      kill each service, nats-server and PostgreSQL under load; count and audit"
	@echo "make fuzz       each service's OpenAPI fuzzed at length (300 cases an operation)"
	@echo "make clean      remove var/ and caches (keeps .venv)"
	@echo "make browsers   apt-get install chromium and CJK fonts for the browser tests"
	@echo "make check-deploy  validate deploy/ (compose, NATS permissions, promtool, k8s, dashboards)"

.tools/bin/uv:
	@echo "==> installing uv into .tools/"
	@if $(PYTHON) -m venv .tools; then \
		.tools/bin/pip install --quiet --disable-pip-version-check uv; \
	else \
		echo "python3 -m venv failed (Debian: apt-get install python3-venv); trying pip --user"; \
		$(PYTHON) -m pip install --quiet --user uv && mkdir -p .tools/bin && \
		ln -sf "$$($(PYTHON) -m site --user-base)/bin/uv" .tools/bin/uv; \
	fi

$(SYNCED): $(PROJECT_FILES) | $(UV)
	$(UV) sync --all-packages $(FROZEN)
	@touch $@

install: | $(UV)
	$(UV) sync --all-packages $(FROZEN)
	@touch $(SYNCED)

up: $(SYNCED)
	$(RUN) python scripts/up.py

# Runs every package in turn and stops at the first that fails; exit code 5 means the package
# has no tests (yet), which is not a failure.
define pytest_each
	@for pkg in $(PACKAGES); do \
		echo "==> pytest $$pkg"; \
		$(RUN) pytest $$pkg $(1) $(PYTEST_ARGS); rc=$$?; \
		if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; \
	done
endef

test: $(SYNCED) browsers deploy-tools
	$(call pytest_each,)

test-fast: $(SYNCED)
	$(call pytest_each,-m "not e2e")

lint: $(SYNCED)
	$(RUN) ruff check $(LINT_PATHS)
	$(RUN) ruff format --check $(LINT_PATHS)
	@for pkg in libs/common services/intake services/routing services/supervision services/notify; do \
		$(RUN) mypy $$pkg/src || exit $$?; \
	done

# The suite (scripts/bench: the flow, ceilings, supervision's tick, replay, PostgreSQL; BENCH_ARGS
# passed on, e.g. BENCH_ARGS=--smoke), then the services' own micro-benchmarks (those present).
bench: $(SYNCED)
	$(RUN) python -m scripts.bench $(BENCH_ARGS)
	@for bench in intake/bench.py intake/bench_case_view.py routing/bench.py notify/bench.py; do \
		if [ -f services/$$bench ]; then \
			echo "==> bench $$bench"; \
			$(RUN) python services/$$bench || exit $$?; \
		fi; \
	done

# Fault injection under load and the personal-data audit (scripts/chaos.py --help for options).
chaos: $(SYNCED)
	$(RUN) python scripts/chaos.py $(CHAOS_ARGS)

# The fuzz tests of `make test`, with the long Hypothesis profile instead of the short one.
fuzz: $(SYNCED)
	@for svc in intake routing supervision notify; do \
		echo "==> fuzz $$svc"; \
		$(RUN) pytest services/$$svc/tests/fuzz \
			--hypothesis-profile=xinfang-fuzz $(PYTEST_ARGS) || exit $$?; \
	done

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
	find . \( -path ./.venv -o -path ./.tools -o -path ./.git \) -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

browsers:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else \
		echo "warning: /usr/bin/chromium is missing and installing it needs root;" \
			"browser tests need: apt-get install -y chromium fonts-noto-cjk" >&2; \
		exit 0; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: no apt-get here; install chromium and a CJK font for the browser tests" >&2; \
		exit 0; \
	fi; \
	echo "==> installing chromium and fonts-noto-cjk for the browser tests"; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk

# Debian packages the deployment checks need: docker-compose (1.29 validates compose files
# without a Docker engine) and prometheus (ships promtool). kubernetes-validate and PyYAML are
# dev dependencies. Installing needs root (or password-less sudo); in CI a missing tool fails
# its test instead of skipping it.
deploy-tools:
	@missing=""; \
	command -v docker-compose >/dev/null 2>&1 || missing="$$missing docker-compose"; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else \
		echo "warning: the deployment checks need:$$missing (apt-get install, as root)" >&2; \
		exit 0; \
	fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: no apt-get here; install$$missing for the deployment checks" >&2; \
		exit 0; \
	fi; \
	echo "==> installing$$missing for the deployment checks"; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing

# The deployment's checks without the 3-node cluster test (an e2e test: `make test` runs it).
check-deploy: $(SYNCED) deploy-tools
	$(RUN) python deploy/nats/generate.py --check
	$(RUN) python deploy/grafana/build_dashboards.py --check
	$(RUN) pytest tests/deploy -m "not e2e" $(PYTEST_ARGS)
