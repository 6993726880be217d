"""Tokenize a task split once: unpadded (padding happens per batch), truncated, cached.

The cache key holds everything that changes the token ids: the task variant and its content
identity (format, reader, transforms: tasks/content.py), split, the data's content fingerprint,
the tokenizer and max length. Hits come from memory within a process and
from disk (``$STILTS_CACHE/tokenized``) across processes.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from typing import NamedTuple

from ..assets import cache_dir
from .base import Task, inputs, load
from .content import content_id

_MEMORY: dict = {}


class TokenizedSplit(NamedTuple):
    dataset: object        # datasets.Dataset: unpadded model columns + labels
    fingerprint: str       # content fingerprint of the raw data it was made from
    ids: tuple = ()        # each row's example id from the reader, in row order


def tokenize(task: Task, split: str, tokenizer, max_length: int | None = None, data_dir=None, files=None):
    """A cached, unpadded datasets.Dataset of one task split."""
    return tokenize_split(task, split, tokenizer, max_length, data_dir, files).dataset


def tokenize_split(task: Task, split: str, tokenizer, max_length: int | None = None, data_dir=None,
                   files=None) -> TokenizedSplit:
    """The tokenized split with the fingerprint of the data it came from (a run's identity
    needs both; the fingerprint is read from the raw files, never from the cache entry)."""
    import datasets

    max_length = max_length or task.max_length
    raw = load(task, split, data_dir, files)
    key = _key(task, split, tokenizer, max_length, raw.fingerprint)
    ids = tuple(str(ex["id"]) for ex in raw.examples)  # read anyway for the fingerprint: free
    if key in _MEMORY:
        return TokenizedSplit(_MEMORY[key], raw.fingerprint, ids)
    folder = cache_dir() / "tokenized" / key
    if (folder / "dataset_info.json").exists():
        ds = datasets.load_from_disk(str(folder))
    else:
        columns = _encode(task, raw.examples, tokenizer, max_length)
        ds = datasets.Dataset.from_dict(columns)
        tmp = folder.with_name(f"{key}.tmp{os.getpid()}")
        bars = datasets.is_progress_bar_enabled()
        datasets.disable_progress_bars()  # a bar per cache write is noise in notebooks
        ds.save_to_disk(str(tmp))
        if bars:
            datasets.enable_progress_bars()
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)  # atomic: a crash never leaves a half-written cache entry
        ds = datasets.load_from_disk(str(folder))
    _MEMORY[key] = ds
    return TokenizedSplit(ds, raw.fingerprint, ids)


def _key(task, split, tokenizer, max_length, fingerprint) -> str:
    ident = [task.name, content_id(task), split, fingerprint, type(tokenizer).__name__, tokenizer.name_or_path,
             len(tokenizer), tokenizer.sep_token, max_length]
    return hashlib.sha256(json.dumps(ident, default=str).encode()).hexdigest()[:24]


def _encode(task: Task, examples: list, tokenizer, max_length: int) -> dict:
    sep = tokenizer.sep_token
    rows = [inputs(task, ex, sep) for ex in examples]
    pairs = [(r["text_a"], r["text_b"]) for r in rows] if task.kind == "classification" else \
        [(c["text_a"], c["text_b"]) for r in rows for c in r["choices"]]
    text_a = [a for a, _ in pairs]
    text_b = [b for _, b in pairs]
    if all(b is None for b in text_b):
        text_b = None
    enc = dict(tokenizer(text_a, text_b, truncation=True, max_length=max_length))
    if task.kind == "multiple_choice":
        k = task.num_choices
        enc = {name: [seq[i:i + k] for i in range(0, len(seq), k)] for name, seq in enc.items()}
    enc["labels"] = [r["label"] for r in rows]
    return enc
