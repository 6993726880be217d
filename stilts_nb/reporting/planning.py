"""What a notebook runs on and which runs it asks for. One call, `planning.section`, reads the
profile's values into a typed `Section` (one notebook = one section of the paper);
`Section.train()` trains what the store lacks and reads the finished runs back as a tidy table
keyed by run identity.

The plan is expanded once per notebook (`Section.train`): it fingerprints every data file, so the
training sizes, the run ids and the sweep itself all come from that one expansion.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import UserError
from ..tasks import get_task, load

TARGET_COLUMNS = {"task": "target", "id": "run_id"}


@dataclass
class Section:
    """One notebook (a section of the paper): its profile's values, typed where every notebook
    uses them.

    ``values`` holds everything the report shows as its parameters (the notebook's YAML, then
    the overrides), including the notebook's own values (``values["equivalence_margin"]``, ...).
    ``sweep`` is the sweep spec ready to run (`resolve_sweep`), or None for a notebook that trains
    nothing (00). ``runs`` and ``plan`` are filled in by `train()`.
    """
    profile: str
    notebook: str
    values: dict
    sweep: dict | None
    store: str
    executor: str
    figures: Path
    runs: pd.DataFrame | None = None
    plan: object = None  # sweeps.Plan
    workers: object = None  # runs at once (a number or auto); None: the sweep's own `workers`

    def train(self) -> pd.DataFrame:
        """Train what the store lacks for this notebook's sweep; return its finished target runs."""
        if self.sweep is None:
            raise UserError(f"{self.notebook} ({self.profile} profile) has no sweep: it trains nothing")
        self.runs, self.plan = sweep_runs(self.sweep, self.store, self.executor, self.notebook,
                                          self.workers)
        return self.runs

    def checkpoints(self) -> pd.DataFrame:
        """This notebook's intermediate checkpoints (one per intermediate seed), each with its own
        dev score beside its floor and its degenerate flag: was the intermediate learned?
        (sweeps.checkpoints, restricted to this plan's intermediate runs)"""
        from ..sweeps import checkpoints

        if self.plan is None:
            raise UserError(f"{self.notebook}: checkpoints are known once the plan is made: call section.train() first")
        return checkpoints(self.store, ids=[r.id for r in self.plan.runs if r.role == "intermediate"])

    def sizes(self, role: str = "target") -> dict:
        """Task -> examples actually trained on (after @N and limits), for one role."""
        if self.plan is None:
            raise UserError(f"{self.notebook}: sizes are known once the plan is made: call section.train() first")
        return {r.config["task"]: r.train_size for r in self.plan.runs if r.role == role}


def section(profile: str, notebook: str, overrides: dict | None = None) -> Section:
    """The one call a notebook makes to get its values: parameters/<profile>/<notebook>.yaml (or
    the overlay's), with `overrides` on top, checked. A notebook that names ``baselines`` (05, 06)
    analyses that notebook's sweep and runs instead of training its own."""
    from .paths import profile_values

    values = profile_values(profile, notebook, overrides)
    if "baselines" in values:
        sweep = notebook_spec(profile, values["baselines"])
    elif "sweep" in values:
        sweep = resolve_sweep(values["sweep"], values.get("synthesis_build"),
                              values.get("optional_intermediates", []))
    else:
        sweep = None
    return Section(profile, notebook, values, sweep, store=values["store"],
                   executor=values["executor"], figures=Path(values["figures_dir"]),
                   workers=values.get("workers"))


def resolve_sweep(sweep: dict, synthesis_build: str | None, optional: list) -> dict:
    """The sweep a notebook runs: its spec, the Synthesis build, and the optional intermediates
    whose data is present (the others are named, with the reason, not silently dropped)."""
    spec = with_synthesis(sweep, synthesis_build)
    spec["intermediates"], absent = available(spec["intermediates"], optional, spec.get("data_dir"))
    for name, why in absent:
        print(f"not available offline: {name} ({why.split(';')[0]})")
    return spec


def notebook_spec(profile: str, notebook: str) -> dict:
    """The resolved sweep of another notebook of the same profile (to share its runs)."""
    return section(profile, notebook).sweep


def sweep_runs(spec: dict, store: str, executor: str = "local", name: str = "notebook",
               workers=None) -> tuple:
    """Train what the store lacks for this spec; return its finished target runs and the plan."""
    from ..analysis import in_task_order
    from ..sweeps import expand, parse_sweep, results, run_sweep

    sweep = parse_sweep({"name": name, **spec}, where=f"{name} parameters")
    plan = expand(sweep)
    Path(store).parent.mkdir(parents=True, exist_ok=True)
    run_sweep(sweep, store, executor=executor, progress=False, plan=plan, log=_quiet,
              workers=workers)
    wanted = [r.id for r in plan.runs if r.role == "target"]
    runs = results(store, full=True)
    runs = runs[runs["id"].isin(wanted) & runs["status"].isin(["done", "diverged"])]
    runs = recorded(runs)
    if len(runs):  # precision auto resolves per machine: the report says what it ran in
        print(run_precision_line(runs))
    # the store returns names in string order (wic@1500 before wic@500); every table and figure
    # built from these rows keeps their order, so they are put in task order here, once
    runs = in_task_order(runs.rename(columns=TARGET_COLUMNS))
    return runs.reset_index(drop=True), plan


def intermediate_runs(plan, store: str) -> pd.DataFrame:
    """The intermediate trainings of a plan (with their checkpoints), from the store."""
    from ..sweeps import results

    wanted = [r.id for r in plan.runs if r.role == "intermediate"]
    runs = results(store, full=True)
    runs = recorded(runs[runs["id"].isin(wanted)])
    return runs.rename(columns={"id": "run_id"}).reset_index(drop=True)


def recorded(runs: pd.DataFrame) -> pd.DataFrame:
    """What each run recorded having used, as columns (from its result; NaN for a run not
    finished): the dev subset's floor and size (the verdicts' noise), and the training
    examples and epochs it ran, which a report states as what was run."""
    def field(name):
        return runs["result"].map(lambda r: r.get(name) if isinstance(r, dict) else None)

    runs = runs.assign(floor=field("baseline"), dev_examples=field("eval_examples"),
                       train_examples=field("train_examples"), trained_epochs=field("epochs"))
    return runs.drop(columns=["identity", "config", "result"])


def run_precision_line(runs: pd.DataFrame) -> str:
    """'precision: bf16 (AVX512-BF16); device: ...': the precision and the kernel family the runs
    computed with (bf16 numbers differ between kernel families; runs stored before the kernel
    was recorded say 'kernel unrecorded')."""
    kernels = sorted(set(runs["kernel"].fillna("kernel unrecorded"))) if "kernel" in runs else ["kernel unrecorded"]
    return (f"precision: {', '.join(sorted(set(runs['precision'])))} ({', '.join(kernels)}); "
            f"device: {', '.join(sorted(set(runs['device'].dropna())))}")


def _quiet(*args, **kwargs) -> None:
    """run_sweep's per-run log lines name store paths; a report shows the run table instead.
    The one line saying how many runs train at once (and why) is kept: it is what was run."""
    if args and str(args[0]).startswith("workers:"):
        print(args[0])


def available(names: list, optional: list, data_dir=None) -> tuple:
    """`names` plus those of `optional` whose files are present (HellaSwag joins when it is)."""
    present, absent = list(names), []
    for name in optional:
        try:
            load(get_task(name), "train", data_dir, hub=False)
            present.append(name)
        except UserError as err:
            absent.append((name, str(err)))
    return present, absent


def with_synthesis(spec: dict, build: str | None) -> dict:
    """Point every synthesis variant of a sweep spec at one build (train + dev files)."""
    spec = copy.deepcopy(spec)
    if build:
        from ..synthesis.build_files import BuildFiles  # owns the build's file naming

        paths = BuildFiles(Path(build).resolve())
        files = {"train": str(paths.train), "dev": str(paths.dev)}
        settings = spec.setdefault("task_settings", {})
        settings["synthesis"] = {**settings.get("synthesis", {}), "files": files}
    return spec


def degenerate_floors(spec: dict) -> dict:
    """Target -> what a run must beat: the most common answer's share (classification and
    multiple choice), 0 (MCC) -- on the full dev set."""
    from ..tasks import majority_baseline

    settings = spec.get("task_settings", {})
    return {t: majority_baseline(get_task(t), spec.get("data_dir"), settings.get(t, {}).get("files"))
            for t in spec["targets"]}


def floor_margins(spec: dict, floors: dict, standard_errors: float) -> dict:
    """Target -> the near-floor margin: `standard_errors` times the sampling error of a score at
    the floor on the target's dev set (tasks.floor_standard_error), so a margin means the same
    thing on WinoGrande's 1,267 dev examples as on RTE's 277."""
    from ..tasks import floor_standard_error

    settings = spec.get("task_settings", {})
    out = {}
    for t, floor in floors.items():
        n = len(load(get_task(t), "dev", spec.get("data_dir"), settings.get(t, {}).get("files")).examples)
        out[t] = standard_errors * floor_standard_error(get_task(t), floor, n)
    return out


def guessing_losses(targets) -> dict:
    """Target -> cross-entropy of a uniform guess, ln(number of classes or choices)."""
    tasks = {t: get_task(t) for t in targets}
    return {t: math.log(task.num_choices or task.num_labels) for t, task in tasks.items()}


def chance_levels(targets) -> dict:
    return {t: get_task(t).chance for t in targets}
