# Escalator: `make run` to try it, `make test` to check it. Both set up everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_HOSTS ?= 8
# Few servers a host: the sandbox boots them through the real Nova API.
DEMO_SERVERS_PER_HOST ?= 4
DEMO_SEED ?= 7
APT_PACKAGES := chromium redis-server postgresql prometheus-alertmanager

.PHONY: run test install system-deps lint bench fidelity clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,sandbox]'
	touch $@

install: $(VENV)/.installed

# Debian packages the tests drive for real: a browser, Redis, PostgreSQL and Alertmanager.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v prometheus-alertmanager >/dev/null || missing="$$missing prometheus-alertmanager"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Style, the import contracts (layers, purity, no cycles) and the pure cores' types.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

# One pytest session: the Nova sandbox starts once for every suite that drives it.
test: install system-deps lint
	$(VENV)/bin/pytest tests

run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py demo_inventory --hosts $(DEMO_HOSTS) --seed $(DEMO_SEED) --servers-per-host $(DEMO_SERVERS_PER_HOST) --output var/demo-inventory.yaml
	$(PY) manage.py import_inventory var/demo-inventory.yaml --replace
	HOST=$(HOST) PORT=$(PORT) bin/run-demo

# Each bench prints its figures, the last line one JSON object (docs/performance.md).
bench: install
	$(PY) bench/inventory.py
	$(PY) bench/simulator.py
	$(PY) bench/planner.py
	$(PY) bench/executor.py
	$(PY) bench/sandbox.py

# The pre-copy model against real QEMU migrations (not part of `make test`: it
# takes ~8 minutes of both cores). Installs QEMU, then bench/fidelity.py fetches
# a Debian cloud kernel and builds the tiny guest into var/fidelity
# (docs/migration-model.md, ../shared/notes/qemu-on-this-machine.md).
fidelity: install
	@missing=""; \
	command -v qemu-system-x86_64 >/dev/null || missing="$$missing qemu-system-x86 qemu-utils"; \
	command -v cpio >/dev/null || missing="$$missing cpio"; \
	command -v gcc >/dev/null || missing="$$missing gcc libc6-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	mkdir -p var/fidelity
	$(PY) bench/fidelity.py --workdir var/fidelity --output var/fidelity/results.json \
	  --calibration-out var/fidelity/calibration.json

clean:
	rm -rf var $(VENV)
