"""Task registry: every task of the paper, one declarative file each, found by looking.

    get_task("hellaswag-p@2000")  -> Task (with the variant's name and settings)
    load(task, "dev")             -> Split of raw examples (+ source and content fingerprint)
    examples(task, "dev", sep)    -> the exact strings fed to the tokenizer
    tokenize(task, "dev", tok)    -> a cached, unpadded datasets.Dataset

Adding a task is writing one file. Every module in ``stilts_nb/tasks/lib/`` that defines ``TASK``
(or ``TASKS``, a family such as WinoGrande's five training sizes) is a task module; nothing else
lists it. The file declares everything the rest of the package asks of a task (base.Task): files
and reader, hub copy and a hub row to test it with, input format, official sizes (the cost model)
and a sample writer (the rehearsal and the tests). The task files live in a sub-package of their
own so that finding them is importing everything there: the machinery beside them (cli, samples,
...) imports this registry and could not be imported while it is being built.

Task files kept elsewhere (a lab's own tasks, a test's throw-away one) are read the same way from
the folders in ``STILTS_TASK_PATH`` (separated by ``os.pathsep``, as PATH), at import, so a command
line sees them too; ``register_from(folder)`` does it for a running process. A name that is taken
already is an error naming both files, never a silent override.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from pathlib import Path

from ..errors import UserError
from . import lib
from .base import SPLITS, Split, Task, floor_standard_error, hub_split, inputs, load, majority_share
from .content import warm as warm_content_ids
from .encode import tokenize
from .transforms import derive, parse

TASK_PATH = "STILTS_TASK_PATH"
TASKS: dict = {}  # name -> Task, in the order the files were found (name order within a folder)
_ORIGIN: dict = {}  # task name -> the file that declared it, for the message of a clash


def _declared(module) -> list:
    """The tasks a module declares: its TASKS, else its TASK, else none (a helper module)."""
    return list(getattr(module, "TASKS", None) or ([module.TASK] if hasattr(module, "TASK") else []))


def _add(module) -> list:
    names = []
    for task in _declared(module):
        if task.name in TASKS:
            raise UserError(f"{module.__file__}: task name {task.name!r} is declared already, in "
                            f"{_ORIGIN[task.name]}")
        TASKS[task.name] = task
        _ORIGIN[task.name] = module.__file__
        names.append(task.name)
    # the code as loaded now is what every run id names (tasks/content.py)
    warm_content_ids({name: TASKS[name] for name in names})
    return names


def register_from(folder) -> list:
    """Read every ``*.py`` file in ``folder`` as a task file (see the module docstring); returns the
    names of the tasks it added."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{TASK_PATH}: {folder} is not a folder of task files")
    names = []
    for path in sorted(folder.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"stilts_nb_task_files.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names += _add(module)
    return names


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(lib.__path__), key=lambda m: m.name):
        _add(importlib.import_module(f"{lib.__name__}.{info.name}"))
    for folder in filter(None, os.environ.get(TASK_PATH, "").split(os.pathsep)):
        register_from(folder)


_discover()


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
           "hub_split", "load", "majority_baseline", "register_from", "tokenize"]
