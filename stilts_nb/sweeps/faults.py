"""Faults from the environment, not from a run's settings: a full disk, a killed worker, a
checkpoint damaged on disk after its run finished.

A run that failed for a passing cause is retried by the same sweep command once the cause is
gone (``--retry-failed`` stays the way to retry a run that failed for its own reasons, which
would only fail again). A checkpoint carries a manifest of its files' sizes and sha256, written
when it is saved and checked before a target starts from it: a damaged one is moved aside, so
its intermediate run counts as lacking its checkpoint and is trained again.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ..checksums import sha256_file

MANIFEST = "stilts-checkpoint.json"

# how these causes read in a failed run's error, whichever library raised them (Python's OSError,
# safetensors' and torch's own I/O errors, Ray's dead workers)
TRANSIENT = ("No space left on device", "File too large", "Disk quota exceeded", "Input/output error",
             "StorageFull", "FileTooLarge", "[Errno 28]", "[Errno 27]", "[Errno 122]", "[Errno 5]",
             "Ray worker failed:",  # executors.RayExecutor: a run's own errors come back as outcomes
             "WorkerCrashedError", "RayActorError", "worker died")


def transient(error: str | None) -> bool:
    """Did a run fail for a cause outside it (the same command may succeed once it is gone)?"""
    return bool(error) and any(mark in error for mark in TRANSIENT)


def seal(folder: Path) -> dict:
    """Write the manifest of a complete checkpoint folder (before it is renamed into place)."""
    folder = Path(folder)
    files = {str(p.relative_to(folder)): _describe(p) for p in sorted(folder.rglob("*"))
             if p.is_file() and p.name != MANIFEST}
    (folder / MANIFEST).write_text(json.dumps({"files": files}, indent=1, sort_keys=True))
    return files


def damage(folder: Path) -> str | None:
    """Why a sealed checkpoint folder no longer matches its manifest, or None (whole, or made
    before manifests existed: then there is nothing to check it against)."""
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return None
    try:
        files = json.loads(manifest.read_text())["files"]
    except (ValueError, KeyError, TypeError):
        return f"its manifest {MANIFEST} is unreadable"
    for name, want in files.items():  # sizes first: a truncated file is found without reading it
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if path.stat().st_size != want["size"]:
            return f"{name} is {path.stat().st_size} bytes, {want['size']} when saved"
    for name, want in files.items():
        if sha256_file(folder / name) != want["sha256"]:
            return f"{name} differs from what was saved (sha256)"
    return None


def set_aside(folder: Path, run_id: str) -> Path:
    """Move a damaged checkpoint out of its final name (kept for a post-mortem until the run's
    retraining clears the `.<run id>.*` folders beside it)."""
    folder = Path(folder)
    target = folder.parent / f".{run_id}.damaged-{int(time.time())}"
    os.replace(folder, target)
    return target


def _describe(path: Path) -> dict:
    return {"size": path.stat().st_size, "sha256": sha256_file(path)}


