# `make up`: set everything up and start the cloud on embedded defaults.
# `make test`: set everything up and run every test (what CI runs).
VENV ?= .venv
PYTHON ?= python3

.PHONY: setup up test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

up: setup
	$(VENV)/bin/onestack up $(ARGS)

test: setup
	scripts/test.sh

bench: setup
	$(VENV)/bin/python benchmarks/identity_vs_keystone.py

clean:
	rm -rf $(VENV) out .onestack
