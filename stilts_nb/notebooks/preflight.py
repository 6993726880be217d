"""Before any training: is every task a profile names there, locally or on a reachable hub?"""
from __future__ import annotations

import os

from ..errors import UserError
from ..tasks import get_task, load

TASK_KEYS = ("targets", "intermediates", "tasks", "zero_shot_tasks")
BUILT = {"synthesis"}  # made by 00_synthesis itself, not provided by the user


def task_names(params: dict) -> set:
    """Every task a notebook's parameters name, in its sweep spec or at the top level."""
    names = set()
    params = {**params, **(params.get("sweep") or {})}
    for key in TASK_KEYS:
        value = params.get(key) or []
        names.update([value] if isinstance(value, str) else value)
    return {n for n in names if n != "none"}


def check_data(plans: dict) -> None:
    offline = os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false")
    missing = []
    for notebook, params in plans.items():
        for name in sorted(task_names(params)):
            task = get_task(name)  # a bad name fails here, naming itself
            if task.base in BUILT:
                continue
            for split in ("train", "dev"):
                try:
                    spec = params.get("sweep") or params
                    files = (spec.get("task_settings") or {}).get(name, {}).get("files")
                    load(task, split, spec.get("data_dir"), files, hub=False)
                except UserError as err:
                    if task.hub is None or offline:
                        missing.append(f"{notebook}: {err}")
                    break
    if missing:
        raise UserError("task data missing before any training:\n  " + "\n  ".join(missing))
