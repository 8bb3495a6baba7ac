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

# one environment per other supported major version of `datasets` (5.x is .venv's):
# the tests load the release with each. 3.6 also carries cffconvert (which needs
# jsonschema<4), with which the tests validate CITATION.cff.
COMPAT := .venv-compat
$(COMPAT)/.installed:
	$(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install --quiet "datasets==3.6.0" "cffconvert==2.0.0"
	touch $@

.venv-compat-%/.installed:
	$(PYTHON) -m venv .venv-compat-$*
	.venv-compat-$*/bin/python -m pip install --quiet "datasets==$(DATASETS_$*)"
	touch $@

DATASETS_2 := 2.21.0
DATASETS_4 := 4.8.5
COMPAT_ALL := $(COMPAT)/.installed .venv-compat-2/.installed .venv-compat-4/.installed

# a real Label Studio server for tests/test_labelstudio.py (scripts/labelstudio_roundtrip.py):
# its own environment, as it pins many packages that conflict with ours, and an empty
# database migrated once (the server's start migrates a new database first: ~30 s a test run)
LABELSTUDIO := .venv-labelstudio
$(LABELSTUDIO)/.installed:
	$(PYTHON) -m venv $(LABELSTUDIO)
	$(LABELSTUDIO)/bin/python -m pip install --quiet "label-studio==1.23.2" "label-studio-sdk==2.1.2"
	$(LABELSTUDIO)/bin/python scripts/labelstudio_roundtrip.py --prepare
	touch $@

dataset: $(VENV)/.installed
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(BIN)/corpus-builder build

# -n auto: one pytest-xdist worker per core (tests are independent: tmp paths, free ports);
# worksteal: a worker that runs out takes the other's queued tests (with `load` the two ended 22 s apart)
test: $(VENV)/.installed $(COMPAT_ALL) $(LABELSTUDIO)/.installed
	HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 $(BIN)/python -m pytest -n auto --dist worksteal

clean-venv:
	rm -rf $(VENV) $(COMPAT) .venv-compat-2 .venv-compat-4 $(LABELSTUDIO)
