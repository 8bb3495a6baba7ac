# Two commands do all set-up on a fresh machine with Python 3.11:
#   make dataset   creates .venv, installs the pinned package and model, builds dist/<version>/
#   make test      creates .venv, installs the test extra, runs the whole test suite
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: dataset test clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dask,bench]'
	touch $@

# a second environment with the oldest supported `datasets` (3.6) and cffconvert
# (which needs jsonschema<4): the tests load the release and validate CITATION.cff with it
COMPAT := .venv-compat
$(COMPAT)/.installed:
	$(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install --quiet "datasets==3.6.0" "cffconvert==2.0.0"
	touch $@

dataset: $(VENV)/.installed
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(BIN)/corpus-builder build

test: $(VENV)/.installed $(COMPAT)/.installed
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(BIN)/python -m pytest

clean-venv:
	rm -rf $(VENV) $(COMPAT)
