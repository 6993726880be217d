"""Expand a sweep into concrete runs: each intermediate trained once per intermediate seed, then
the target grid (each checkpoint on its own block of the target seeds: seed_blocks).

Every run gets its identity here, before anything trains, so the plan can be compared with the
store (what is new, what is done) and a target's identity can name its intermediate's identity.
Runs shared between studies (the None baseline of Table 3, the 40k point of Figure 3) or
between sweep files collapse to one run because they have one identity.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UserError
from ..settings import is_float
from .config import GRID, NONE, RUN_SETTINGS, SWEEP_SETTINGS, Sweep
from .identity import Fingerprints, model_source, run_id, run_identity

if TYPE_CHECKING:  # at run time imported where a config is made: the training package loads torch
    from ..training.config import TrainConfig


@dataclass
class Run:
    id: str
    role: str                   # "intermediate" | "target"
    train_config: TrainConfig   # what the executor trains (init/out: at submission)
    identity: dict
    intermediate: str | None    # a target's intermediate task ("none" = the pretrained model)
    init_id: str | None         # a target's intermediate run
    intermediate_seed: int | None = None  # the seed of that run (of its checkpoint)
    studies: list = field(default_factory=list)
    train_size: int | None = None   # examples actually trained on (None: data missing)
    dev_size: int | None = None
    missing: bool = False       # some data (its own or its intermediate's) is missing

    @property
    def config(self) -> dict:
        """The TrainConfig's fields as a plain dict: what the store keeps and tables read."""
        return self.train_config.to_dict()

    @property
    def label(self) -> str:
        c = self.config
        if self.role == "intermediate":
            return f"{c['task']} (intermediate)"
        return (f"{self.intermediate}->{c['task']} lr={c['lr']:g} bs={c['batch_size']} "
                f"wu={c['warmup_ratio']:g} seed={c['seed']}")


@dataclass
class Plan:
    sweep: Sweep
    runs: list                  # intermediates first, then targets; one per identity
    studies: dict               # study name -> run ids it asks for (in order, shared included)
    missing: dict               # task -> why its data cannot be read

    def by_id(self) -> dict:
        return {r.id: r for r in self.runs}


def expand(sweep: Sweep, strict: bool = True) -> Plan:
    """strict: refuse (one UserError) when any run's data is missing. Otherwise (dry runs) such
    runs get provisional identities and are flagged ``missing``."""
    from ..assets import data_dir as resolve_data_dir
    from ..tasks import get_task

    source = model_source(sweep.model)
    data_dir = str(resolve_data_dir(sweep.run_setting("data_dir")).resolve())
    fps, missing = Fingerprints(), {}
    runs, studies = {}, {}

    def make(task_name, role, hp, init: Run | None, intermediate):
        from ..training.config import TrainConfig
        from ..hardware import resolve_precision  # auto -> what this machine runs fast

        task = get_task(task_name)
        s = sweep.settings_for(task, role)
        # relative files are relative to the data folder (as in tasks.load): a YAML file travels
        files = {k: str(Path(data_dir, v)) for k, v in (s.get("files") or {}).items()} or None
        sweep_wide = {n: sweep.run_setting(n) for n in SWEEP_SETTINGS if n != "data_dir"}
        sweep_wide["keep_head"] = keep_head(sweep_wide["keep_head"], init)
        sweep_wide["precision"] = resolve_precision(sweep_wide["precision"])  # before hashing
        try:  # each setting is checked as the config is made (save's out: at submission)
            cfg = TrainConfig(
                task=task.name, model=sweep.model, **sweep_wide,
                **{k: float(hp[k]) if is_float(k) else hp[k] for k in GRID},
                # None = the task's default, resolved here so `epochs: 5` on RTE is its default's run
                **{k: s[k] if s[k] is not None else getattr(task, k, None) for k in RUN_SETTINGS},
                data_dir=data_dir, files=files, save=role == "intermediate" or sweep.save_targets,
            )
        except UserError as err:
            raise UserError(f"{sweep.path}: {task.name} ({role}): {err}") from None
        data, sizes, lacking = {}, {}, init.missing if init else False
        for split in ("train", "dev"):
            try:
                data[split], sizes[split] = fps.get(task.name, split, data_dir, files)
            except UserError as err:
                missing.setdefault(task.name, str(err))
                data[split], sizes[split], lacking = "missing", None, True
        ident = run_identity(cfg, init_id=init.id if init else None, data=data, source=source)
        rid = run_id(ident)
        if rid not in runs:
            train = sizes["train"]
            if train is not None and cfg.train_limit:
                train = min(train, cfg.train_limit)
            dev = sizes["dev"]
            if dev is not None and cfg.eval_limit:
                dev = min(dev, cfg.eval_limit)
            runs[rid] = Run(rid, role, cfg, ident, intermediate,
                            init.id if init else None, init.config["seed"] if init else None,
                            train_size=train, dev_size=dev, missing=lacking)
        return runs[rid]

    intermediates = {}  # (task, seed) -> its intermediate run
    for study in sweep.studies:
        ids = studies.setdefault(study.name, [])
        for iname in study.intermediates:
            arms = [(None, study.grid["seed"])]  # None: every configuration of the grid
            if iname != NONE:
                task = get_task(iname)
                arms = []
                for seed, block in seed_blocks(study.grid["seed"], sweep.intermediate_seeds(task)).items():
                    if (iname, seed) not in intermediates:
                        intermediates[iname, seed] = make(iname, "intermediate",
                                                          sweep.intermediate_grid(task, seed), None, None)
                    _member(intermediates[iname, seed], study.name)
                    arms.append((intermediates[iname, seed], block))
            for init, seeds in arms:
                for target in study.targets:
                    for values in itertools.product(*(seeds if k == "seed" else study.grid[k] for k in GRID)):
                        hp = dict(zip(GRID, values))
                        run = make(target, "target", hp, init, iname)
                        _member(run, study.name)
                        ids.append(run.id)
    if strict and missing:
        lines = "; ".join(f"{task}: {why}" for task, why in missing.items())
        raise UserError(f"{sweep.path}: nothing was run: the data of {len(missing)} task(s) "
                        f"is missing -- {lines}")
    ordered = sorted(runs.values(), key=lambda r: r.role != "intermediate")  # stable
    return Plan(sweep, ordered, studies, missing)


# The one override of a sweep's settings. A report states it beside its parameters.
KEEP_HEAD_RULE = "keep_head: on for runs after an intermediate; off for None (no head to keep)"


def keep_head(asked: bool, init: Run | None) -> bool:
    """`keep_head` as a run gets it: the sweep's value after an intermediate, off when the run
    starts from the pretrained model (None), which has no trained head to keep."""
    return bool(asked) and init is not None


def seed_blocks(target_seeds: list, intermediate_seeds: list) -> dict:
    """Intermediate seed -> the target seeds its checkpoint is fine-tuned with (nested pairing):
    the target seeds dealt out in contiguous blocks, in the order written, so K checkpoints and
    S target seeds give each checkpoint S/K seeds, at every other grid value. Each checkpoint's
    runs then differ from None's at the same configurations independently of the other
    checkpoints', and the intermediate task is replicated K times. K = 1: every seed, as before.
    The sweep file's check (config._check_seed_blocks) has made S a multiple of K."""
    size = len(target_seeds) // len(intermediate_seeds)
    return {seed: list(target_seeds[k * size:(k + 1) * size]) for k, seed in enumerate(intermediate_seeds)}


def _member(run: Run, study: str) -> None:
    if study not in run.studies:
        run.studies.append(study)
