"""Read a store as a tidy pandas DataFrame: one row per run, one column per variable.

    from stilts_nb.sweeps import results
    df = results("runs/stilts.sqlite", status="done", task="rte")
    df.groupby("intermediate").score.agg(["min", "mean", "max"])

JSON columns come back as Python objects (per_epoch, loss_curve, transferred, new, versions),
flags as booleans, times as timestamps, and ``sweeps`` lists the sweep/study names that asked
for the run. ``stale`` says why a stored run would not be reused today (an older training engine
or an edited task definition: sweeps/identity.py, stale_reason), empty while it would; such runs
stay readable but no sweep or report counts them again. ``kernel`` is the family of matrix
kernels the run computed with (training/hardware.py), beside its ``precision``. The SQL is
plain, so ``pandas.read_sql("SELECT ... FROM runs", sqlite3.connect(p))`` works as well.
"""
from __future__ import annotations

import json
import re

import pandas as pd

from ..errors import UserError
from .identity import stale_reason
from .store import Store

COLUMNS = ["id", "role", "intermediate", "task", "model", "lr", "batch_size", "warmup_ratio",
           "seed", "epochs", "max_length", "train_limit", "eval_limit", "precision", "kernel",
           "batching", "status", "stale", "metric", "score", "degenerate", "diverged", "per_epoch",
           "loss_curve", "transferred", "new", "train_seconds", "wall_seconds", "train_tokens", "device",
           "versions", "git_commit", "checkpoint", "init_id", "train_fingerprint",
           "dev_fingerprint", "attempts", "error", "sweeps", "created_at", "started_at",
           "finished_at"]
JSON_COLUMNS = ("per_epoch", "loss_curve", "transferred", "new", "versions")
TABLE = ["id", "role", "intermediate", "task", "lr", "batch_size", "warmup_ratio", "seed",
         "status", "metric", "score", "degenerate", "train_seconds", "stale"]
DERIVED = ("sweeps", "stale", "kernel")  # not columns of the runs table


def results(store, where: str | list | None = None, full: bool = False, **equals) -> pd.DataFrame:
    """All runs of a store. `equals` filters columns (task="rte"); `where` is a pandas query
    ("lr < 2e-5 and score > 0.6") or "key=value" terms. full=True adds identity, config and the
    training's whole metrics dict."""
    with Store(store, create=False) as s:
        extra = ", r.config, r.result" if full else ""
        # the kernel lives in the metrics JSON, so stores older than the field read it as empty
        df = pd.read_sql_query(
            f"SELECT {', '.join('r.' + c for c in COLUMNS if c not in DERIVED)}{extra}, r.identity,"
            " json_extract(r.result, '$.kernel') AS kernel,"
            " group_concat(m.sweep || '/' || m.study, ';') AS sweeps"
            " FROM runs r LEFT JOIN run_sweeps m ON m.run_id = r.id GROUP BY r.id"
            " ORDER BY r.role DESC, r.task, r.intermediate, r.lr, r.batch_size, r.warmup_ratio, r.seed",
            s.db)
        # stored relative to the store's folder (so the folder can move); absolute for readers
        df["checkpoint"] = df["checkpoint"].map(lambda v: str(s.path.parent / v) if isinstance(v, str) else None)
    for col in JSON_COLUMNS + ("identity",) + (("config", "result") if full else ()):
        df[col] = df[col].map(lambda v: json.loads(v) if isinstance(v, str) else None)
    df["stale"] = df["identity"].map(lambda i: stale_reason(i) or "" if i else "")
    df["sweeps"] = df["sweeps"].map(lambda v: sorted(set(v.split(";"))) if isinstance(v, str) else [])
    for col in ("degenerate", "diverged"):
        df[col] = df[col].map({1: True, 0: False}).astype("boolean")
    for col in ("created_at", "started_at", "finished_at"):
        df[col] = pd.to_datetime(df[col], unit="s")
    df = df[COLUMNS + (["identity", "config", "result"] if full else [])]
    for key, value in equals.items():
        df = _equal(df, key, value)
    for term in ([where] if isinstance(where, str) else where or []):
        df = _where(df, term)
    return df.reset_index(drop=True)


def _equal(df, key, value):
    if key not in df.columns:
        raise UserError(f"unknown column {key!r}; columns: {', '.join(df.columns)}")
    return df[df[key] == value]


def _where(df, term: str):
    m = re.fullmatch(r"\s*(\w+)\s*=\s*([^=<>!].*?)\s*", term)
    if m:  # key=value shorthand; the value is compared as a number where the column is numeric
        key, raw = m.groups()
        if key not in df.columns:
            raise UserError(f"--where {term!r}: unknown column {key!r}; columns: {', '.join(df.columns)}")
        value = raw
        if pd.api.types.is_numeric_dtype(df[key]):
            try:
                value = float(raw)
            except ValueError:
                raise UserError(f"--where {term!r}: {key} is numeric, got {raw!r}") from None
        return df[df[key] == value]
    try:
        return df.query(term)
    except Exception as err:  # noqa: BLE001 -- any malformed expression is the user's to fix
        raise UserError(f"--where {term!r}: not a filter this understands ({type(err).__name__}: "
                        f"{err}); use key=value or a pandas query such as \"lr < 2e-5\"") from None
