# Linli — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The lock files (pip-compile --generate-hashes): every dependency at one version with its hashes, so a clone
# installs what CI tested. `make lock` regenerates them from pyproject.toml.
LOCK := requirements/dev.txt
LOCK_OPTS := --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
LINLI_PORT ?= 8000
export LINLI_PORT

.PHONY: demo test test-pg fuzz tour bench bench-city lint venv lock clean write-map

venv: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

## make lock: re-resolve requirements/runtime.txt and requirements/dev.txt (with hashes) from pyproject.toml
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/pip-compile || $(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile -q $(LOCK_OPTS) -o requirements/runtime.txt pyproject.toml
	$(BIN)/pip-compile -q $(LOCK_OPTS) --extra dev -o requirements/dev.txt pyproject.toml

## make demo: install, migrate SQLite, load the sample street, serve on http://127.0.0.1:$(LINLI_PORT)
## (the one-time sign-in codes are printed on the console: LINLI_SMS_CONSOLE_ALLOWED=1, the demo's SMS inbox)
demo: $(STAMP)
	$(BIN)/linli migrate --noinput
	$(BIN)/linli demo
	LINLI_SMS_CONSOLE_ALLOWED=$${LINLI_SMS_CONSOLE_ALLOWED:-1} $(BIN)/linli serve --port $(LINLI_PORT)

## make test: the whole suite on SQLite (browser tests need /usr/bin/chromium)
test: $(STAMP)
	$(BIN)/python -m pytest

## make tour: every page of every role in Chromium (linli/tour.py); screenshots in var/tour/ (also part of make test)
tour: $(STAMP)
	$(BIN)/python -m pytest src/linli/tests/test_tour.py -rA -s

## make test-pg: the whole suite again on PostgreSQL (127.0.0.1:5432, database test)
test-pg: $(STAMP)
	LINLI_DATABASE_URL=$${LINLI_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} LINLI_REQUIRE_SERVICES=1 \
		$(BIN)/python -m pytest $${LINLI_PYTEST_ARGS:-}

## make fuzz: schemathesis over the whole API of a live server on the demo street (fuzz/run.py says how)
fuzz: $(STAMP)
	$(BIN)/python fuzz/run.py

## make bench: benchmarks, JSON on stdout and in bench/results/
bench: $(STAMP)
	@command -v wrk >/dev/null || echo "bench_booking_storm needs wrk: sudo apt-get install -y wrk (it reports an error without it)"
	$(BIN)/python bench/run.py

## make bench-city: the synthetic city (linli simulate city, F = 0.01) empty, a month and a year old, and the growth
## curve of the request paths over the three sizes (bench/bench_city_growth.py; ~30 minutes, PostgreSQL)
bench-city: $(STAMP)
	$(BIN)/python bench/run.py city_growth

## make lint: ruff, mypy, then import-linter's layer contracts (pyproject.toml; docs/architecture.md)
lint: $(STAMP)
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench
	$(BIN)/mypy src/linli
	$(BIN)/lint-imports

## make write-map: run the suite (browser tests aside) recording which service writes which table per request,
## and rewrite docs/architecture.md's "Where each write happens" table (tools/write_map.py)
write-map: $(STAMP)
	PYTHONPATH=tools $(BIN)/python -m pytest -p write_map -m "not browser" -q src/linli

clean:
	rm -rf $(VENV) var
