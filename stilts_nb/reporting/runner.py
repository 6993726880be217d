"""papermill driver: parameters/<profile>/<notebook>.yaml -> reports/<profile>/<notebook>.ipynb + .html

The notebooks it runs are the project's sections (sections.py: each notebook declares itself one
in its own metadata, with its order), those the profile has a parameters file for.

Two folders: the *project* holds the sources (notebooks/, parameters/: a clone of this
repository), the *output folder* receives everything a run makes: reports/<profile>/,
figures/<profile>/ and the run store (runs/stilts.sqlite, the one `stilts-nb status` and
`results` read by default). Both default to the current folder, never to the installed package's
location. Relative paths in parameter files are taken in the output folder (the kernel runs there).

Everything is checked before the first cell runs: the profile and notebook names (and that each
file of the profile names a section), every key of every parameters file against the other
profiles' names, the output folders, and the task data the profile names. A failing cell leaves
the executed notebook (with the error in it) and its HTML beside the others, and stops the run:
later notebooks read what earlier ones produced.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path

import yaml

from ..checks import yaml_file
from ..errors import UserError
from . import overlays, reports, sections


def profiles(root: Path | None = None) -> list:
    """The profiles of a project: every folder under parameters/ that holds a section's YAML
    (copy parameters/smoke/ to parameters/my-study/ and it is one), and every overlay
    parameters/<name>.yaml (overlays.py). parameters/sweeps/ holds sweep files, so it is none."""
    root = Path(root or project_root())
    folder, known = root / "parameters", sections.names(root)
    found = {d.name for d in folder.iterdir() if d.is_dir()
             and any((d / f"{name}.yaml").is_file() for name in known)} if folder.is_dir() else set()
    found.update(f.stem for f in folder.glob("*.yaml") if overlays.is_overlay(f.stem, root))
    return sorted(found)


def profile_sections(profile: str, root: Path) -> list:
    """The sections a profile runs, in order: those it has a parameters file for (an overlay: its
    base's). A profile without a section's file does not run it, so a copy of a profile made
    before a section was added keeps working. A file that names no section is refused: its name
    misspelt would otherwise leave its section unrun without a word."""
    if overlays.is_overlay(profile, root):
        return profile_sections(overlays.read(profile, root)["base"], root)
    known = sections.names(root)
    files = {f.stem: f for f in sorted((root / "parameters" / profile).glob("*.yaml"))}
    stray = [f for name, f in files.items() if name not in known]
    if stray:
        raise UserError(f"{stray[0]}: parameters for no section: notebooks/{stray[0].stem}.ipynb is "
                        f"missing or has no metadata {sections.KEY}.order (docs/sections.md); the "
                        f"sections of this project: {', '.join(known)}")
    return [name for name in known if name in files]


def project_root() -> Path:
    """The folder with notebooks/ and parameters/: $STILTS_PROJECT (set by `run` for its kernels),
    else the current folder, or its parent when a notebook runs inside notebooks/ (JupyterLab)."""
    if os.environ.get("STILTS_PROJECT"):
        return Path(os.environ["STILTS_PROJECT"])
    here = Path.cwd()
    return here.parent if here.name == "notebooks" and not (here / "parameters").is_dir() else here


def check_project(root: Path) -> Path:
    if not (root / "notebooks").is_dir() or not (root / "parameters").is_dir():
        raise UserError(f"{root.resolve()}: no notebooks/ and parameters/ here; run from a clone of "
                        "stilts-nb or pass --project CLONE")
    return root


def load_parameters(profile: str, notebook: str, root: Path | None = None) -> dict:
    """The profile's values for one notebook, checked against the names the other profiles set."""
    root = check_project(Path(root) if root else project_root())
    if overlays.is_overlay(profile, root):
        return overlays.parameters(profile, notebook, root, load_parameters)
    path = root / "parameters" / profile / f"{notebook}.yaml"
    if not path.exists():
        raise UserError(f"{path}: no parameters for notebook {notebook} in profile {profile}")
    values = yaml_file(path, "a parameters file") or {}
    if not isinstance(values, dict):
        raise UserError(f"{path}: expected a mapping of parameter names to values")
    # a notebook's parameters cell holds only `profile` and `overrides` (the notebook reads this
    # file itself); every profile sets the same names, so a name no other profile sets is a typo
    others = [p for p in sorted((root / "parameters").glob(f"*/{notebook}.yaml")) if p != path]
    known = sorted({k for p in others for k in (yaml.safe_load(p.read_text()) or {})}) or list(values)
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UserError(f"{path}: unknown parameter(s) {', '.join(unknown)}; "
                        f"{notebook} takes {', '.join(known)}")
    return values


def _select(profile: str, notebooks: list | None, root: Path) -> list:
    known = profiles(check_project(root))
    if profile not in known:
        raise UserError(f"unknown profile {profile!r}: no folder {root / 'parameters' / profile} with "
                        f"notebook YAML files and no overlay {profile}.yaml there; the profiles of "
                        f"this project: {', '.join(known) or 'none'}")
    found = sections.names(root)
    bad = [n for n in notebooks or () if n not in found]
    if bad:
        raise UserError(f"unknown notebook(s) {', '.join(bad)}; known: {', '.join(found)}")
    own = profile_sections(profile, root)  # named on the command line without a file: load_parameters refuses it
    chosen = notebooks or own
    return [n for n in found if n in chosen]  # always in pipeline order


def run(profile: str, notebooks: list | None = None, store: str | None = None,
        executor: str = "local", root: Path | None = None, out: Path | None = None, log=print,
        rehearsal: bool = False, workers=None) -> list:
    """Execute the chosen notebooks in order; return the executed notebook paths.

    root: the project (default: the current folder); out: the output folder (default: root);
    rehearsal: the profile's rehearsal overlay (``paper`` -> ``paper-rehearsal``)."""
    root = Path(root or project_root()).resolve()
    if rehearsal:
        profile = f"{profile}-rehearsal"
        if not overlays.is_overlay(profile, root):
            raise UserError(f"no rehearsal for this profile: {overlays.path(profile, root)} does not exist")
    home = Path(out or root).resolve()
    from .. import checks
    checks.writable_dir(home, "--out-dir")  # before an overlay writes its data files into it
    with overlays.applied(profile, root, home) as own_store:
        return _run(profile, notebooks, store or own_store, executor, root, home, log, workers)


def _run(profile, notebooks, store, executor, root, out, log, workers=None) -> list:
    from .. import checks
    from ..sweeps.store import default_path

    root = Path(root or project_root()).resolve()
    home = Path(out or root).resolve()
    chosen = _select(profile, notebooks, root)
    plans = {name: load_parameters(profile, name, root) for name in chosen}
    for name, params in plans.items():  # a tracker a notebook asks for: before the first one runs
        checks.tracker((params.get("sweep") or {}).get("log_with") or params.get("log_with"),
                       f"{name} ({profile} profile): log_with")
    out_dir, figures = home / "reports" / profile, home / "figures" / profile
    explicit_store = store is not None
    store = Path(store).resolve() if store else home / default_path()
    for folder in (out_dir, figures):
        checks.writable_dir(folder, "--out-dir")
    checks.writable_file(store, "--store")
    checks.executor(executor)
    from .preflight import check_data
    old_cwd = Path.cwd()
    made = _make_dirs(home)  # the kernels run in it; nested, like any CLI's output folder
    try:
        os.chdir(home)  # relative data/store paths in the parameters mean: in the output folder
        check_data(plans)
    except UserError:
        os.chdir(old_cwd)
        for folder in reversed(made):  # refused: leave no empty folders behind
            with contextlib.suppress(OSError):  # not empty: something else wrote there
                folder.rmdir()
        raise
    finally:
        os.chdir(old_cwd)
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    os.environ["STILTS_PROJECT"] = str(root)  # the kernels read other notebooks' parameters
    if os.environ.get("STILTS_DATA_DIR"):  # the kernels run in the output folder
        os.environ["STILTS_DATA_DIR"] = str(Path(os.environ["STILTS_DATA_DIR"]).resolve())
    try:
        # injected: the profile and what the command line changed; the notebook reads the rest itself
        overrides = {"store": os.path.relpath(store, home)} if explicit_store else {}
        if executor != "local":
            overrides["executor"] = executor
        if workers is not None:  # else each notebook's sweep says (the demo: auto)
            overrides["workers"] = workers
        done = _execute(profile, chosen, root, home, out_dir, overrides, log)
        reports.write_index(out_dir, home, sections.names(root), store)
        return done
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _make_dirs(folder: Path) -> list:
    """Create ``folder`` and its missing parents; return the ones created, outermost first."""
    missing = [p for p in [folder, *folder.parents] if not p.exists()][::-1]
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _execute(profile, chosen, root, home, out_dir, overrides, log) -> list:
    import papermill

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
                                       cwd=str(home), kernel_name="python3")
        except papermill.PapermillExecutionError as err:
            reports.finish(output, root, home)
            raise UserError(f"{name} failed in cell {err.exec_count} ({err.ename}: {err.evalue}); "
                            f"the executed notebook with the error is {output}") from None
        # papermill's measure, the one the index shows (reports.EXECUTION_TIME); the HTML and index
        # written after it are not part of the notebook's time
        seconds = reports.execution_seconds(output)
        reports.finish(output, root, home)
        took = f"{time.time() - start:.0f} s" if seconds is None else f"{seconds:.0f} s to execute (papermill)"
        log(f"[{i}/{len(chosen)}] {name}: done in {took} -> {output}")
        done.append(output)
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

