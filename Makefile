# The two commands a newcomer needs are in README.md: `make example` and `make test`.

CARGO ?= cargo
VENV  := .venv
PY    := $(VENV)/bin/python

.PHONY: test example setup lint locks lock bench clean test-package man

## Runs every test: the Python locks, formatting, lints, unit and end-to-end tests, the
## emulators' own tests, and the static checks of the deployment.
test: locks setup lint
	$(CARGO) test --workspace --locked
	$(PY) -m pytest -q tests/emulators tests/tools
	$(MAKE) --no-print-directory test-deploy
	$(MAKE) --no-print-directory test-package

## Runs the main job on the bundled example data.
example:
	$(CARGO) run --release --locked -- generate \
	  --directory-snapshot examples/small/snapshot.json \
	  --cloudtrail-logs examples/small/logs \
	  --as-of 2026-11-22T00:00:00Z \
	  --output report.csv

## The browser that tests/cli/html.rs drives (through playwright-core, from npm): Debian's own
## chromium, installed as root on CI's clean machine; nothing to do when it is there.
CHROMIUM := /usr/bin/chromium

## Installs what the tests and benchmarks need that cargo does not fetch.
setup: $(VENV)/.installed node_modules/.installed $(CHROMIUM)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "$@ is missing: install Chromium there (Debian: apt-get install chromium)" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# Every Python environment installs a lock (X.txt, from X.in by `make lock`) in pip's
# hash-checking mode: a package that is not pinned and hashed there is refused.
PIP_INSTALL := pip install --quiet --disable-pip-version-check --require-hashes

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m $(PIP_INSTALL) -r requirements-dev.txt
	touch $@

## Fails when a Python requirement is not locked with hashes (standard library only).
locks:
	python3 tools/check_locks.py

## Re-resolves the locks from the .in files after one changed (versions already locked are
## kept; UPGRADE=--upgrade takes the newest). uv comes from its own lock.
LOCK_VENV := $(VENV)/lock
UV_COMPILE = $(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 $(UPGRADE)
lock: $(LOCK_VENV)/.installed
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt
	$(UV_COMPILE) tests/deploy/requirements.in -c requirements-dev.txt -o tests/deploy/requirements.txt
	$(UV_COMPILE) tests/deploy/requirements-checkov.in -o tests/deploy/requirements-checkov.txt
	$(UV_COMPILE) tools/package-requirements.in -o tools/package-requirements.txt
	$(UV_COMPILE) tools/lock-requirements.in -o tools/lock-requirements.txt
	python3 tools/check_locks.py

$(LOCK_VENV)/.installed: tools/lock-requirements.txt
	python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/$(PIP_INSTALL) -r tools/lock-requirements.txt
	touch $@

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## Speed against the decompression floor and DuckDB (see README, "Benchmarks").
bench: setup
	bench/logs.sh
	bench/memory.sh

## The man page, from the command-line definitions.
man:
	mkdir -p target/man
	$(CARGO) run --quiet --locked --bin idc-credential-report -- man > target/man/idc-credential-report.1

## The Lambda zip: arm64, glibc 2.34 at most (package.sh checks both), bootstrap alone inside.
test-package: setup
	./package.sh
	$(PY) -c "import sys, zipfile; names = zipfile.ZipFile('target/lambda/idc-credential-report.zip').namelist(); sys.exit(None if names == ['bootstrap'] else f'the zip holds {names}, not just bootstrap')"

clean:
	rm -rf $(VENV) node_modules bench/data report.csv report.users.csv report.html report.changes.csv report.manifest.json .report.lock

## Static checks of the deployment (terraform/, ssm-documents/): fmt, checkov, provider schema,
## IAM actions, schedule, SSM runbook. No AWS access and no provider download needed.
.PHONY: test-deploy
CHECKOV_VENV := $(VENV)/checkov

test-deploy: $(VENV)/.deploy-installed $(CHECKOV_VENV)/.installed node_modules/.installed
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest -q tests/deploy

$(VENV)/.deploy-installed: $(VENV)/.installed tests/deploy/requirements.txt
	$(PY) -m $(PIP_INSTALL) -r tests/deploy/requirements.txt
	touch $@

# checkov pins boto3 and packaging against requirements-dev.txt's: it gets a venv of its own.
$(CHECKOV_VENV)/.installed: tests/deploy/requirements-checkov.txt
	python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/$(PIP_INSTALL) -r tests/deploy/requirements-checkov.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 or later with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --legacy-peer-deps --ignore-scripts --no-audit --no-fund
	touch $@
