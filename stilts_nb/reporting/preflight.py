"""Before any training: is every task a profile names there, locally or on a reachable hub?

Tasks with a hub copy load through `datasets` (into its usual cache) when their folder is absent:
here, once, so an unreachable hub is found before the first notebook trains anything (the
notebooks then read the cache). Offline (HF_HUB_OFFLINE=1, respected, never forced) a task counts
as present if that cache has it. Whatever is missing, one message lists per task the files to put
where.
"""
from __future__ import annotations

from ..assets import data_dir as resolve_data_dir
from ..errors import MissingData, UserError
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
    problems: dict = {}  # dataset -> (what is wrong, the notebooks that need it)
    for notebook, params in plans.items():
        spec = params.get("sweep") or params
        resolve_data_dir(spec.get("data_dir"))  # a data folder the user named must exist
        for name in sorted(task_names(params)):
            task = get_task(name)  # a bad name fails here, naming itself
            if task.base in BUILT:
                continue
            settings = spec.get("task_settings") or {}  # the exact name over its base, as sweeps read it
            files = settings.get(name, {}).get("files") or settings.get(task.base, {}).get("files")
            why = _problem(task, spec.get("data_dir"), files)
            if why:
                problems.setdefault(task.base, (why, []))[1].append(notebook)
    if problems:
        lines = [f"{base} (for {', '.join(dict.fromkeys(books))}): {why}"
                 for base, (why, books) in problems.items()]
        raise UserError("task data missing, found before any training. Put these files in place "
                        "(or point --data-dir / STILTS_DATA_DIR at a folder that has them):\n  " + "\n  ".join(lines))


def _problem(task, data_dir, files) -> str | None:
    for split in ("train", "dev"):
        try:
            load(task, split, data_dir, files, hub=False)
        except MissingData:
            if task.hub is not None:
                try:  # the hub, or offline the datasets cache from an earlier online run
                    load(task, split, data_dir, files)
                    continue
                except UserError:
                    pass
            return where_files(task, data_dir)
        except UserError as err:  # present but broken
            return str(err)
    return None


def where_files(task, data_dir) -> str:
    """'put train.jsonl, val.jsonl (superglue-jsonl) or ... under /data/RTE/', and how to get them."""
    folder = resolve_data_dir(data_dir).resolve() / task.folder
    layouts = " or ".join(f"{', '.join(layout.files.values())} ({layout.name})" for layout in task.layouts)
    hub = f"; online, `datasets` fetches {task.hub.id}" if task.hub else ""
    return f"put {layouts} under {folder}/{hub}" + (f"; {task.obtain}" if task.obtain else "")
