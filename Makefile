# `make demo` and `make test` work on a fresh machine with only Python 3.11 and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test unit lint install clean test-verl test-lmms-eval

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[train,dev]"
	@if $(BIN)/pip show torchvision >/dev/null 2>&1; then echo "torchvision must not be installed"; exit 1; fi
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/rewardmap demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -m "not gpu"

unit: $(STAMP)
	$(BIN)/pytest -m "not gpu and not integration"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

# verl contract tests (tests/verl): real verl 0.9.1 on CPU in a venv of its own (verl pins transformers<5.11).
# Everything is installed --no-deps from the lock file, so the environment is exactly the pinned one.
VERL_VENV := .venv-verl
VERL_STAMP := $(VERL_VENV)/.installed

$(VERL_STAMP): tests/verl/requirements.lock pyproject.toml
	rm -rf $(VERL_VENV)
	$(PYTHON) -m venv $(VERL_VENV)
	$(VERL_VENV)/bin/pip install --quiet --no-deps -r tests/verl/requirements.lock
	$(VERL_VENV)/bin/pip install --quiet --no-deps verl==0.9.1
	$(VERL_VENV)/bin/pip install --quiet --no-deps -e .
	@if $(VERL_VENV)/bin/pip show torchvision >/dev/null 2>&1; then echo "torchvision must not be installed"; exit 1; fi
	$(VERL_VENV)/bin/python -c "import verl, rewardmap; print('verl', verl.__version__)"
	touch $(VERL_STAMP)

test-verl: $(VERL_STAMP)
	$(VERL_VENV)/bin/pytest -m verl tests/verl -p no:cacheprovider

# lmms-eval task files (src/rewardmap/integrations/lmms_eval) against serve-sim, in a venv of their own: lmms-eval
# 0.7.3 declares torchvision as a requirement, so it is installed --no-deps from the lock file (without it).
LMMS_VENV := .venv-lmms-eval
LMMS_STAMP := $(LMMS_VENV)/.installed

$(LMMS_STAMP): tests/lmms_eval/requirements.lock pyproject.toml
	rm -rf $(LMMS_VENV)
	$(PYTHON) -m venv $(LMMS_VENV)
	$(LMMS_VENV)/bin/pip install --quiet --no-deps -r tests/lmms_eval/requirements.lock
	$(LMMS_VENV)/bin/pip install --quiet --no-deps lmms-eval==0.7.3
	$(LMMS_VENV)/bin/pip install --quiet --no-deps -e .
	@if $(LMMS_VENV)/bin/pip show torchvision >/dev/null 2>&1; then echo "torchvision must not be installed"; exit 1; fi
	$(LMMS_VENV)/bin/python -c "import lmms_eval.api.task, rewardmap; print('lmms-eval ok')"
	touch $(LMMS_STAMP)

test-lmms-eval: $(LMMS_STAMP)
	$(LMMS_VENV)/bin/pytest -m lmms_eval tests/lmms_eval -p no:cacheprovider

clean:
	rm -rf $(VENV) $(VERL_VENV) $(LMMS_VENV) build dist *.egg-info
