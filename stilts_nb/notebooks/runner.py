"""papermill driver: parameters/<profile>/<notebook>.yaml -> reports/<profile>/<notebook>.ipynb + .html

Everything is checked before the first cell runs: the profile and notebook names, every key of
every parameters file against the notebook's own `parameters` cell, and the task data the
profile names. A failing cell leaves the executed notebook (with the error in it) and its HTML
beside the others, and stops the run: later notebooks read what earlier ones produced.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

import yaml

from ..errors import UserError
from . import reports

NOTEBOOKS = ("00_synthesis", "01_baselines", "02_intermediate_ablation", "03_target_size",
             "04_intermediate_size", "05_zero_shot", "06_stability")
PROFILES = ("smoke", "demo", "paper")
ROOT = Path(__file__).resolve().parents[2]  # the repository: notebooks/, parameters/, reports/


def load_parameters(profile: str, notebook: str, root: Path = ROOT) -> dict:
    """The profile's values for one notebook, checked against the smoke profile's names."""
    path = root / "parameters" / profile / f"{notebook}.yaml"
    if not path.exists():
        raise UserError(f"{path}: no parameters for notebook {notebook} in profile {profile}")
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None
    if not isinstance(values, dict):
        raise UserError(f"{path}: expected a mapping of parameter names to values")
    # a notebook's parameters cell holds only `profile` and `overrides`; the package's own smoke
    # profile names every value a notebook takes, and the other profiles set the same ones
    reference = ROOT / "parameters" / "smoke" / f"{notebook}.yaml"
    known = list(yaml.safe_load(reference.read_text()) or {}) if reference.exists() else list(values)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UserError(f"{path}: unknown parameter(s) {', '.join(unknown)}; "
                        f"{notebook} takes {', '.join(known)}")
    return values


def _select(profile: str, notebooks: list | None) -> list:
    if profile not in PROFILES:
        raise UserError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    chosen = list(notebooks or NOTEBOOKS)
    bad = [n for n in chosen if n not in NOTEBOOKS]
    if bad:
        raise UserError(f"unknown notebook(s) {', '.join(bad)}; known: {', '.join(NOTEBOOKS)}")
    return [n for n in NOTEBOOKS if n in chosen]  # always in pipeline order


def run(profile: str, notebooks: list | None = None, store: str | None = None,
        executor: str = "local", root: Path = ROOT, log=print) -> list:
    """Execute the chosen notebooks in order; return the executed notebook paths."""
    import papermill

    chosen = _select(profile, notebooks)
    plans = {name: load_parameters(profile, name, root) for name in chosen}
    from .preflight import check_data
    check_data(plans)
    out_dir = root / "reports" / profile
    out_dir.mkdir(parents=True, exist_ok=True)
    # injected: the profile and what the command line changed; the notebook reads the rest itself
    overrides = {"store": os.path.relpath(Path(store).resolve(), root / "notebooks")} if store else {}
    if executor != "local":
        overrides["executor"] = executor
    _stream_cell_output()
    done = []
    for i, name in enumerate(chosen, 1):
        params = {"profile": profile, "overrides": overrides}
        output = out_dir / f"{name}.ipynb"
        log(f"[{i}/{len(chosen)}] {name}: running ({profile} profile)")
        start = time.time()
        try:
            papermill.execute_notebook(str(root / "notebooks" / f"{name}.ipynb"), str(output),
                                       parameters=params, log_output=True, progress_bar=False,
                                       cwd=str(root / "notebooks"), kernel_name="python3")
        except papermill.PapermillExecutionError as err:
            reports.finish(output, root)
            raise UserError(f"{name} failed in cell {err.exec_count} ({err.ename}: {err.evalue}); "
                            f"the executed notebook with the error is {output}") from None
        reports.finish(output, root)
        log(f"[{i}/{len(chosen)}] {name}: done in {time.time() - start:.0f} s -> {output}")
        done.append(output)
    reports.write_index(out_dir, root, Path(store) if store else None)
    return done


def _stream_cell_output() -> None:
    # papermill logs cell output through its logger when log_output=True; show it as is
    logger = logging.getLogger("papermill")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("    %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False

