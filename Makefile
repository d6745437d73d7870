# The two commands a newcomer needs are in README.md: `make example` and `make test`.

CARGO ?= cargo
VENV  := .venv
PY    := $(VENV)/bin/python

.PHONY: test example setup lint bench clean

## Runs every test: formatting, lints, unit and end-to-end tests, and the emulators' own tests.
test: setup lint
	$(CARGO) test --workspace --locked
	$(PY) -m pytest -q tests/emulators

## Runs the main job on the bundled example data.
example:
	$(CARGO) run --release --locked -- generate \
	  --directory-snapshot examples/small/snapshot.json \
	  --cloudtrail-logs examples/small/logs \
	  --as-of 2026-11-22T00:00:00Z \
	  --output report.csv

## Installs what the tests and benchmarks need that cargo does not fetch.
setup: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## Speed against the decompression floor and DuckDB (see README, "Benchmarks").
bench: setup
	bench/logs.sh

clean:
	rm -rf $(VENV) bench/data report.csv report.manifest.json
