"""Read a store as a tidy pandas DataFrame: one row per run, one column per variable, made from
the RunRecords the store hands out (sweeps/run_record.py).

    from stilts_nb.sweeps import results
    df = results("runs/stilts.sqlite", status="done", task="rte")
    df.groupby("intermediate").score.agg(["min", "mean", "max"])

Every setting in a run's identity is a column (lr, seed, ..., tf32, keep_head, dropout: see
sweeps/schema.py). JSON columns come back as Python objects (per_epoch, loss_curve, transferred,
new, versions), flags as booleans (degenerate, diverged, tf32, keep_head; NA where a run stored
before the setting existed does not record it), times as timestamps, and ``sweeps`` lists the
sweep/study names that asked for the run. ``stale`` says why a stored run would not be reused today (an older training engine
or an edited task definition: sweeps/identity.py, stale_reason), empty while it would; such runs
stay readable but no sweep or report counts them again. ``kernel`` is the family of matrix
kernels the run computed with (stilts_nb/hardware.py), beside its ``precision``.
``predictions`` counts the per-example predictions a run keeps (0: none; sweeps/predictions.py
reads them). ``intermediate_seed`` is, for a run that starts from an intermediate checkpoint (a
target; 05's zero-shot scorings), the seed of that intermediate run (``init_id``); NA after None
and for intermediate runs, whose own seed is ``seed``. ``checkpoints`` lists the intermediate runs
with their own score beside their floor. The SQL is
plain, so ``pandas.read_sql("SELECT ... FROM runs", sqlite3.connect(p))`` works as well.
"""
from __future__ import annotations

import re

import pandas as pd

from ..errors import UserError
from .identity import stale_reason
from .schema import RUN_COLUMNS
from .store import Store

# the runs table's shown columns (schema.py: one per identity setting among them), then those
# derived: by the store for each run (its RunRecord): the kernel (from the result JSON), the
# sweeps that asked, how many per-example predictions it keeps (examples x scorings; 0: none,
# sweeps/predictions.py); and here (TIDY): why a run is stale, and the seed of a target's
# intermediate checkpoint (placed beside init_id, which names it)
DERIVED = ["kernel", "stale", "sweeps", "predictions", "intermediate_seed"]
TIDY = ["stale", "intermediate_seed"]
_SHOWN = [name for name, c in RUN_COLUMNS.items() if c.shown]
COLUMNS = (_SHOWN[:_SHOWN.index("init_id") + 1] + ["intermediate_seed"] + _SHOWN[_SHOWN.index("init_id") + 1:]
           + DERIVED[:-1])
FULL = ["identity", "config", "result"]  # full=True adds these
TABLE = ["id", "role", "intermediate", "task", "lr", "batch_size", "warmup_ratio", "seed",
         "status", "metric", "score", "degenerate", "train_seconds", "stale"]


def results(store, where: str | list | None = None, full: bool = False, **equals) -> pd.DataFrame:
    """All runs of a store. `equals` filters columns (task="rte"); `where` is a pandas query
    ("lr < 2e-5 and score > 0.6") or "key=value" terms. full=True adds identity, config and the
    training's whole result (RunResult.to_dict())."""
    with Store(store, create=False) as s:
        records = s.records(full=full)  # config and result (long JSON) only when asked for
    # one row per record, each column's dtype inferred from its values (ints with a None: floats)
    df = pd.DataFrame.from_records([r.columns() for r in records],
                                   columns=[c for c in COLUMNS if c not in TIDY] + FULL)
    df["checkpoint"] = df["checkpoint"].map(lambda v: str(v) if v is not None else None)
    for col in df.columns:
        how = RUN_COLUMNS[col].reads_as if col in RUN_COLUMNS else ""
        if how == "bool":
            df[col] = df[col].astype("boolean")
        elif how == "time":
            df[col] = pd.to_datetime(df[col], unit="s")
    df["stale"] = df["identity"].map(lambda i: stale_reason(i) or "" if i else "")
    df["predictions"] = df["predictions"].astype(int)  # an empty store has no value to infer it from
    # read before any filter, so a target keeps its checkpoint's seed when only targets are asked for
    seeds = df.loc[df["role"] == "intermediate"].set_index("id")["seed"]
    df["intermediate_seed"] = df["init_id"].map(seeds).astype("Int64")
    df = df[COLUMNS + (FULL if full else [])]
    for key, value in equals.items():
        df = _equal(df, key, value)
    for term in ([where] if isinstance(where, str) else where or []):
        df = _where(df, term)
    return df.reset_index(drop=True)


CHECKPOINT_COLUMNS = ["task", "seed", "init_id", "status", "metric", "score", "floor", "dev_examples",
                      "degenerate", "targets"]


def checkpoints(store, intermediate: str | None = None, ids=None) -> pd.DataFrame:
    """The intermediate runs of a store, one row per checkpoint, each with its own dev score beside
    its floor: was the intermediate learned? An arm whose checkpoints all sit at their floor did not
    learn its task, whatever its targets then show.

    Columns: ``task`` (the intermediate task), ``seed`` (the checkpoint's own), ``init_id`` (its run
    id, as its target runs name it), ``status``, ``metric``, ``score`` (on its own dev examples),
    ``floor`` (what always giving the most common answer scores on them, 0 for MCC: the run's
    recorded ``baseline``), ``dev_examples`` (how many it was scored on), ``degenerate`` (the store's flag: diverged, or score <= floor) and
    ``targets`` (finished target runs started from it). `intermediate`: one task, any spelling of
    it; `ids`: only these run ids (a plan's intermediates)."""
    from ..tasks import get_task

    df = results(store, full=True)
    inters = df[df["role"] == "intermediate"]
    if intermediate is not None:
        inters = inters[inters["task"] == get_task(intermediate).name]
    if ids is not None:
        inters = inters[inters["id"].isin(list(ids))]
    finished = df[(df["role"] == "target") & df["status"].isin(["done", "diverged"])]
    started = finished.groupby("init_id").size()
    out = inters.assign(
        init_id=inters["id"],
        floor=inters["result"].map(lambda r: r.get("baseline") if isinstance(r, dict) else None).astype("Float64"),
        dev_examples=inters["result"].map(lambda r: r.get("eval_examples") if isinstance(r, dict) else None).astype("Int64"),
        targets=inters["id"].map(started).fillna(0).astype(int))
    return out.sort_values(["task", "seed"])[CHECKPOINT_COLUMNS].reset_index(drop=True)


def _equal(df, key, value):
    if key not in df.columns:
        raise UserError(f"unknown column {key!r}; columns: {', '.join(df.columns)}")
    return df[df[key] == value]


def _where(df, term: str):
    m = re.fullmatch(r"\s*(\w+)\s*=\s*([^=<>!].*?)\s*", term)
    if m:  # key=value shorthand; the value is compared as a number (or flag) where the column is one
        key, raw = m.groups()
        if key not in df.columns:
            raise UserError(f"--where {term!r}: unknown column {key!r}; columns: {', '.join(df.columns)}")
        value = raw
        if pd.api.types.is_bool_dtype(df[key]) and raw.lower() in ("true", "false"):
            value = raw.lower() == "true"  # keep_head=true, as a sweep file spells it
        elif pd.api.types.is_numeric_dtype(df[key]):
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
