"""A run as the store hands it out: ``RunRecord``, the one object between the runs table and the
code that reads runs back (``results()``'s DataFrame, a report's stored zero-shot score, a
sweep's retry of a failed run, a target's checkpoint).

Its fields are the runs table's columns by name (sweeps/schema.py; tests/test_sweeps_store.py
holds the two together), with the identity settings gathered in ``settings`` (one entry per
setting column, so a new setting needs no field here), and what the store derives for a run
beside them. A column renamed in the store then fails where a record is made, not as a silently
empty column a few layers later. Values come decoded: JSON as Python objects, flags as bools
(None where a run stored before the flag existed does not record it), the checkpoint as a path;
times stay seconds since the epoch, as stored. The on-disk schema is unchanged: this is a view.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

from .schema import RUN_COLUMNS, SETTING_COLUMNS


@dataclass(frozen=True)
class RunRecord:
    id: str
    role: str                       # "intermediate", "target" or "zero_shot" (05's scorings)
    intermediate: str | None        # a target's intermediate task ("none": the pretrained model)
    init_id: str | None             # the intermediate run it starts from
    settings: dict                  # identity setting -> value: task, model, lr, ... (settings.py)
    train_fingerprint: str | None
    dev_fingerprint: str | None
    status: str                     # pending, running, done, failed, diverged (store.STATUSES)
    metric: str | None
    score: float | None
    degenerate: bool | None
    diverged: bool | None
    per_epoch: list | None
    loss_curve: list | None
    transferred: list | None
    new: list | None
    train_seconds: float | None
    wall_seconds: float | None
    train_tokens: int | None
    device: str | None
    versions: dict | None
    git_commit: str | None
    checkpoint: Path | None         # stored relative to the store's folder: here, a usable path
    error: str | None
    attempts: int
    created_at: float
    started_at: float | None
    finished_at: float | None
    identity: dict                  # what the run id hashes
    kernel: str | None              # the matrix kernels it computed with (its result's)
    sweeps: list                    # "sweep/study" for each that asked for it, sorted
    predictions: int                # per-example predictions kept (examples x scorings; 0: none)
    config: dict | None = None      # the full training config and RunResult.to_dict(): long
    result: dict | None = None      # JSON, read only when asked for (`full`)

    def columns(self) -> dict:
        """Column name -> value, the settings among the rest: a row of results()."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "settings"}
        return {**out, **self.settings}


FULL = ("config", "result")  # read only when asked for
# the runs table's columns every record holds; besides FULL, the rest are a running run's lease
# (owner, heartbeat, lease_expires), which only the store itself reads
READ = [c for c in RUN_COLUMNS if RUN_COLUMNS[c].shown or c == "identity"]


def read(db, folder: Path, run_id: str | None = None, full: bool = False) -> list:
    """The records of all runs (or of `run_id`), intermediates first, then by task,
    intermediate and grid point. `folder`: the store's, which checkpoints are relative to."""
    columns = READ + (list(FULL) if full else [])
    rows = db.execute(
        f"SELECT {', '.join('r.' + c for c in columns)},"
        " json_extract(r.result, '$.kernel') AS kernel,"  # a store older than kernel: None
        " group_concat(m.sweep || '/' || m.study, ';') AS sweeps,"
        " (SELECT p.examples * p.scorings FROM predictions p WHERE p.run_id = r.id) AS predictions"
        " FROM runs r LEFT JOIN run_sweeps m ON m.run_id = r.id"
        + (" WHERE r.id = ?" if run_id is not None else "") +
        " GROUP BY r.id"
        " ORDER BY r.role DESC, r.task, r.intermediate, r.lr, r.batch_size, r.warmup_ratio, r.seed",
        () if run_id is None else (run_id,)).fetchall()
    return [_record(dict(row), folder) for row in rows]


def _record(row: dict, folder: Path) -> RunRecord:
    for name, column in RUN_COLUMNS.items():
        if name in row and column.reads_as == "json":
            row[name] = json.loads(row[name]) if isinstance(row[name], str) else None
        elif name in row and column.reads_as == "bool":
            row[name] = None if row[name] is None else bool(row[name])
    settings = {n: row.pop(n) for n in SETTING_COLUMNS}
    checkpoint, sweeps, predictions = row.pop("checkpoint"), row.pop("sweeps"), row.pop("predictions")
    return RunRecord(**row, settings=settings, checkpoint=folder / checkpoint if checkpoint else None,
                     sweeps=sorted(set(sweeps.split(";"))) if sweeps else [],
                     predictions=predictions or 0)
