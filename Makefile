# The two commands a newcomer needs (README.md): `make demo` and `make test`. Both set up everything.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint clean-sandbox

setup: $(STAMP)
	scripts/ensure-system-packages
	scripts/ensure-postgres

$(STAMP): pyproject.toml
	scripts/ensure-system-packages
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	scripts/ensure-system-packages
	exec scripts/demo

test: setup
	exec scripts/run-tests

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean-sandbox:
	scripts/asterisk-sandbox stop
	rm -rf .sandbox
