# The two commands of the README: `make run` (the app with demo data) and `make test` (the whole test suite).
# Both create .venv and install requirements on first use; nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint venv stop

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python scripts/run_demo.py $(ARGS)

test: $(STAMP)
	bash scripts/test.sh $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

stop: $(STAMP)
	$(VENV)/bin/python -c "from futuresocial.embedded import stop_embedded_server; stop_embedded_server()"
