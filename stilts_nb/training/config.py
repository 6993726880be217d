"""The settings of one fine-tuning run (or one zero-shot evaluation), and their validation.

A run is fully described by a TrainConfig: the sweep layer hashes it (minus the cosmetic fields
below) into the run's identity, the command line builds one from its flags, and notebooks build
one directly. ``validate`` rejects out-of-range values with one clear line *before* any model or
data is loaded, so a typo in a 1000-run sweep fails in milliseconds rather than after a download.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

from ..errors import UserError

PRECISIONS = ("fp32", "bf16")
BATCHINGS = ("random", "length")

# Fields that change how a run is carried out or reported, never its numbers. Everything else
# (hyperparameters, data limits, precision, batching order, ...) is part of the run's identity.
# max_device_batch is here because accumulation computes the same effective-batch mean gradient
# (see loop.py); only float summation order differs.
# data_dir/files are where the data lies, not what it is: a run records the content fingerprint
# of its train and dev files (metrics["data_fingerprint"]), which is what identity should use.
COSMETIC = frozenset({"out", "save", "progress", "max_device_batch", "log_every",
                      "eval_each_epoch", "data_dir", "files"})


@dataclass
class TrainConfig:
    task: str                           # registry name, e.g. "wic", "hellaswag-p@2000"
    model: str                          # pkg:..., tiny:bert, hub id or folder: family + tokenizer
    init: str | None = None             # checkpoint folder to start from (an intermediate run)
    lr: float = 1e-5
    batch_size: int = 16                # the effective batch (per optimizer update, all processes)
    warmup_ratio: float = 0.1           # fraction of all optimizer updates, in [0, 1)
    seed: int = 42                      # fixes the new head's initialization and the data order
    epochs: int | None = None           # None: the task's default (authors' scripts)
    max_length: int | None = None       # None: the task's default
    max_device_batch: int = 32          # micro-batch cap per process; above it we accumulate
    train_limit: int | None = None      # keep the first N training examples
    eval_limit: int | None = None       # score on the first N dev examples
    precision: str = "fp32"             # "fp32" | "bf16" (autocast; master weights stay fp32)
    batching: str = "random"            # "random" (the authors' sampler) | "length" (grouped)
    pad_to_multiple_of: int = 8
    keep_head: bool = False             # classification -> classification: keep a matching head
    dropout: float | None = None        # override every dropout probability (tests use 0)
    eval_each_epoch: bool = False       # also score dev after every epoch (the final one always)
    log_every: int = 10                 # record the training loss every N optimizer updates
    data_dir: str | None = None
    files: dict | None = field(default=None)  # split -> file, e.g. the CoLA re-split train file
    out: str | None = None              # folder for metrics.json (and the checkpoint with save)
    save: bool = False
    progress: bool = True

    def validate(self) -> "TrainConfig":
        _check_common(self)
        if not _finite(self.lr) or self.lr <= 0:
            raise UserError(f"learning rate must be a positive number, got {self.lr}")
        if not _positive_int(self.batch_size):
            raise UserError(f"batch size must be a positive integer, got {self.batch_size}")
        if not _positive_int(self.max_device_batch):
            raise UserError(f"max device batch must be a positive integer, got {self.max_device_batch}")
        if not _finite(self.warmup_ratio) or not 0 <= self.warmup_ratio < 1:
            raise UserError(f"warmup ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.epochs is not None and not _positive_int(self.epochs):
            raise UserError(f"epochs must be a positive integer, got {self.epochs}")
        if self.train_limit is not None and not _positive_int(self.train_limit):
            raise UserError(f"train limit must be a positive integer, got {self.train_limit}")
        if self.batching not in BATCHINGS:
            raise UserError(f"batching must be one of {', '.join(BATCHINGS)}, got {self.batching!r}")
        if self.dropout is not None and not (_finite(self.dropout) and 0 <= self.dropout < 1):
            raise UserError(f"dropout must be in [0, 1), got {self.dropout}")
        if not _positive_int(self.log_every):
            raise UserError(f"log-every must be a positive integer, got {self.log_every}")
        if self.save and not self.out:
            raise UserError("--save needs --out: the checkpoint is written to that folder")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    def result_fields(self) -> dict:
        """The fields that change a run's result (what a sweep store should hash)."""
        return {k: v for k, v in asdict(self).items() if k not in COSMETIC}


@dataclass
class EvalConfig:
    """Zero-shot evaluation: score a model on a task's dev set without training."""

    task: str
    model: str                          # checkpoint folder, pkg:..., tiny:bert, hub id
    seeds: tuple = (12, 42, 87)         # head seeds; a transferred head makes them all equal
    eval_limit: int | None = None
    max_length: int | None = None
    max_device_batch: int = 32
    precision: str = "fp32"
    pad_to_multiple_of: int = 8
    data_dir: str | None = None
    files: dict | None = None
    out: str | None = None
    progress: bool = True

    def validate(self) -> "EvalConfig":
        _check_common(self)
        if not self.seeds:
            raise UserError("give at least one seed")
        if not all(isinstance(s, int) and s >= 0 for s in self.seeds):
            raise UserError(f"seeds must be non-negative integers, got {list(self.seeds)}")
        if not _positive_int(self.max_device_batch):
            raise UserError(f"max device batch must be a positive integer, got {self.max_device_batch}")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["seeds"] = list(self.seeds)
        return d


def _check_common(cfg) -> None:
    names = {f.name for f in fields(cfg)}
    if not cfg.task or not isinstance(cfg.task, str):
        raise UserError("a task name is required (see `stilts-nb tasks`)")
    if not cfg.model or not isinstance(cfg.model, str):
        raise UserError("a model name or folder is required")
    if cfg.precision not in PRECISIONS:
        raise UserError(f"precision must be one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
    if cfg.max_length is not None and not _positive_int(cfg.max_length):
        raise UserError(f"max length must be a positive integer, got {cfg.max_length}")
    if cfg.eval_limit is not None and not _positive_int(cfg.eval_limit):
        raise UserError(f"eval limit must be a positive integer, got {cfg.eval_limit}")
    if not _positive_int(cfg.pad_to_multiple_of):
        raise UserError(f"pad-to-multiple-of must be a positive integer, got {cfg.pad_to_multiple_of}")
    if "seed" in names and not (isinstance(cfg.seed, int) and cfg.seed >= 0):
        raise UserError(f"seed must be a non-negative integer, got {cfg.seed}")


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _positive_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x > 0
