# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
AXE_VERSION := 4.14.1
AXE := .cache/npm/node_modules/axe-core/axe.min.js
PO := $(wildcard translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

# Settings for the local site: development secret, emails printed in the terminal.
RUN_ENV := PARTICIPATION_ENV=development MAIL_TRANSPORT=console MAIL_DELIVER_AFTER_REQUEST=1 \
	SITE_URL=http://$(HOST):$(PORT) FLASK_APP=wsgi

.PHONY: run test lint i18n translations clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

%.mo: %.po | $(VENV)/.installed-run
	$(BIN)/pybabel compile -i $< -o $@ >/dev/null

translations: $(MO)

run: $(VENV)/.installed-run translations
	$(RUN_ENV) $(BIN)/flask db upgrade
	$(RUN_ENV) $(BIN)/flask demo load --if-empty
	$(RUN_ENV) $(BIN)/flask run --host $(HOST) --port $(PORT)

# axe-core for the browser tests, when npm is there (CI installs it).
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix .cache/npm -E axe-core@$(AXE_VERSION); \
	else echo "npm not found: browser tests will be skipped"; fi

test: $(VENV)/.installed-test translations $(AXE)
	$(BIN)/pytest $(PYTEST_ARGS)

# Pages and ballots at the scale of the territory (loads it the first time: minutes).
# BENCH_ARGS="--db sqlite" for SQLite; see benchmarks/pages.py for what it measures.
BENCH_ARGS ?= --db postgresql
bench: $(VENV)/.installed-run translations
	$(BIN)/python benchmarks/pages.py $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check participation tests

# After changing user-facing strings: extract them, then translate the new French entries.
i18n: $(VENV)/.installed-run
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .cache $(MO)
