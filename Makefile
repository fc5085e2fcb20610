# Zhengdun — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
VENDOR := src/zhengdun/static/vendor
ASSETS_STAMP := $(VENDOR)/.stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install assets run test lint bench-import clean

install: $(STAMP) $(ASSETS_STAMP)

$(STAMP): requirements.txt requirements-screening.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	touch $(STAMP)

# Front-end assets come from the npm registry (pinned by package-lock.json) and are served locally.
# Bootstrap's source maps come along: its files name them, and collectstatic fails on a missing one.
$(ASSETS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/echarts $(VENDOR)/htmx
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

# Serves the demo with a background-task worker beside the web server (both stop with Ctrl-C).
# It runs like the product: DEBUG off, so errors show our Chinese 404/403/500 pages; WhiteNoise
# serves the static files straight from the source folders (no collectstatic step needed).
# Developers who want Django's debug pages: `ZHENGDUN_DEBUG=1 make run`.
# Serving on another address: `make run HOST=0.0.0.0 ZHENGDUN_ALLOWED_HOSTS=<name or IP>`.
run: install
	$(BIN)/zhengdun migrate --no-input
	$(BIN)/zhengdun seed-demo
	$(BIN)/zhengdun db_worker --queue-name default >var/worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/zhengdun runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest -n 2 -q

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

bench-import: install
	$(BIN)/python bench/roster_import_bench.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var/test-*
