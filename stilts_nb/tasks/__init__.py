"""Task registry: every task of the paper, one declarative module each.

    get_task("hellaswag-p@2000")  -> Task (with the variant's name and settings)
    load(task, "dev")             -> Split of raw examples (+ source and content fingerprint)
    examples(task, "dev", sep)    -> the exact strings fed to the tokenizer
    tokenize(task, "dev", tok)    -> a cached, unpadded datasets.Dataset

Adding a task is adding a module that defines TASK (or TASKS) and listing it in MODULES.
"""
from __future__ import annotations

import importlib

from ..errors import UserError
from .base import SPLITS, Split, Task, floor_standard_error, hub_split, inputs, load, majority_share
from .content import warm as warm_content_ids
from .encode import tokenize
from .transforms import derive, parse

MODULES = ("rte", "wic", "cola", "mednli", "hellaswag", "socialiqa", "winogrande", "synthesis")


def _registry() -> dict:
    tasks = {}
    for module in MODULES:
        mod = importlib.import_module(f"{__name__}.{module}")
        for task in getattr(mod, "TASKS", None) or [mod.TASK]:
            tasks[task.name] = task
    return tasks


TASKS = _registry()
warm_content_ids(TASKS)  # the code as loaded now is what every run id names (tasks/content.py)


def get_task(name: str) -> Task:
    base, transforms, n = parse(name)
    if base not in TASKS:
        raise UserError(f"unknown task {base!r}; known tasks: {', '.join(TASKS)}")
    return derive(TASKS[base], transforms, n)


def examples(task: Task, split: str, sep: str, data_dir=None, files=None) -> list:
    return [inputs(task, ex, sep) for ex in load(task, split, data_dir, files).examples]


def majority_baseline(task: Task, data_dir=None, files=None) -> float:
    dev = load(task, "dev", data_dir, files).examples
    return majority_share(task, [ex["label"] for ex in dev])


__all__ = ["SPLITS", "TASKS", "Split", "Task", "examples", "floor_standard_error", "get_task",
           "hub_split", "load", "majority_baseline", "tokenize"]
