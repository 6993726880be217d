"""Profiles declared as an overlay of another profile: ``parameters/<name>.yaml``.

An overlay names its ``base`` profile and only the values it swaps; every other value is the
base's, so the two can never drift apart. ``paper-rehearsal`` is the paper profile with the
scale swapped (tiny models, small data files, one epoch, a few grid points): what is kept is
read from parameters/paper/ at run time, not copied.

Keys of an overlay file:
    base        the profile it overlays
    data        a folder (relative to the output folder) where the package writes small files
                in every task's official format (tasks/samples.py); the run reads its data there
    store       its own default results store (relative to the output folder), apart from the
                base profile's real results
    every       values set in every notebook whose parameters already have that key
    sweep       merged into the ``sweep`` of every notebook that has one
    notebooks   per notebook: values merged into that notebook's parameters
Mappings are merged key by key (recursively); anything else replaces the base's value.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..checks import yaml_file
from ..errors import UserError

KEYS = ("base", "data", "store", "every", "sweep", "notebooks")


def path(profile: str, root: Path) -> Path:
    return root / "parameters" / f"{profile}.yaml"


def is_overlay(profile: str, root: Path) -> bool:
    return path(profile, root).is_file()


def read(profile: str, root: Path) -> dict:
    file = path(profile, root)
    spec = yaml_file(file, "an overlay profile") or {}
    if not isinstance(spec, dict) or not isinstance(spec.get("base"), str):
        raise UserError(f"{file}: an overlay is a mapping that names its base profile (base: paper)")
    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        raise UserError(f"{file}: unknown key(s) {', '.join(unknown)}; an overlay takes {', '.join(KEYS)}")
    return spec


def parameters(profile: str, notebook: str, root: Path, load_base) -> dict:
    """The base profile's parameters of one notebook with the overlay applied."""
    spec = read(profile, root)
    file = path(profile, root)
    values = load_base(spec["base"], notebook, root)
    for key, value in (spec.get("every") or {}).items():
        if key in values:
            values[key] = merge(values[key], value)
    if "sweep" in values and spec.get("sweep"):
        values["sweep"] = merge(values["sweep"], spec["sweep"])
    own = (spec.get("notebooks") or {}).get(notebook) or {}
    unknown = sorted(set(own) - set(values))
    if unknown:  # the base's file was checked against the notebook; an overlay adds no new key
        raise UserError(f"{file}: notebooks.{notebook}: unknown parameter(s) {', '.join(unknown)}; "
                        f"{notebook} in profile {spec['base']} has {', '.join(values)}")
    return merge(values, own)


def merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: merge(base.get(k), v) for k, v in over.items()}}
    return over


@contextlib.contextmanager
def applied(profile: str, root: Path, home: Path):
    """While running an overlay profile: its data files written under the output folder ``home``
    and $STILTS_DATA_DIR on them (the kernels inherit it), restored afterwards. Yields the
    overlay's own store path, or None."""
    spec = read(profile, root) if is_overlay(profile, root) else {}
    store = str(home / spec["store"]) if spec.get("store") else None
    if not spec.get("data"):
        yield store
        return
    from ..tasks import samples

    folder = samples.write(home / spec["data"])
    before = os.environ.get("STILTS_DATA_DIR")
    os.environ["STILTS_DATA_DIR"] = str(folder)
    try:
        yield store
    finally:
        if before is None:
            os.environ.pop("STILTS_DATA_DIR", None)
        else:
            os.environ["STILTS_DATA_DIR"] = before
