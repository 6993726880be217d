"""Min / mean / best per intermediate-target pair (Figure 2) and deltas against None (Table 3)."""
from __future__ import annotations

import pandas as pd

from ..settings import GRID  # one configuration of a sweep: lr, batch_size, warmup_ratio, seed

PAIR = ["target", "intermediate"]


def task_key(name: str) -> tuple:
    """Sort key of a task name: its base name, then its size @N as a number, so that wic@500
    comes before wic@1500 (as strings it would not) and the whole task (no @N) after its subsets."""
    base, _, size = str(name).partition("@")
    return (base, int(size) if size.isdigit() else float("inf"), size)


def in_task_order(table: pd.DataFrame, columns=PAIR) -> pd.DataFrame:
    """`table` with its rows ordered by task_key over `columns` (stable: ties keep their order)."""
    columns = [c for c in columns if c in table]
    if not columns or table.empty:
        return table
    return table.sort_values(columns, key=lambda col: col.map(task_key), kind="stable")


def scored(runs: pd.DataFrame, exclude_diverged: bool = False) -> pd.DataFrame:
    """The runs a statistic is computed on: all of them by default. A diverged run carries the
    score of its broken model (a constant prediction), as the authors' loop would have reported
    it; ``exclude_diverged=True`` leaves such runs out instead."""
    if exclude_diverged and "diverged" in runs:
        return runs[~runs["diverged"].fillna(False).astype(bool)]
    return runs


def summarize(runs: pd.DataFrame, exclude_diverged: bool = False) -> pd.DataFrame:
    """One row per pair: n, min, mean, best (scores as stored, 0-1 or MCC), degenerate count,
    and how many of the pair's runs diverged (0 when they are excluded)."""
    require_columns(runs, PAIR + ["score"])
    runs = scored(runs, exclude_diverged)
    grouped = runs.groupby(PAIR, sort=False)
    out = grouped["score"].agg(n="count", min="min", mean="mean", best="max")
    if "degenerate" in runs:
        out["degenerate"] = grouped["degenerate"].sum().astype(int)
    if "diverged" in runs:
        out["diverged"] = grouped["diverged"].sum().astype(int)
    if "run_id" in runs:
        out["run_ids"] = grouped["run_id"].agg(list)
    return in_task_order(out.reset_index()).reset_index(drop=True)


def deltas(runs: pd.DataFrame, baseline: str = "none", exclude_diverged: bool = False) -> pd.DataFrame:
    """Δ mean and Δ best of each intermediate against `baseline` on the same target (×100)."""
    table = summarize(runs, exclude_diverged).set_index(PAIR)
    base = table.xs(baseline, level="intermediate")
    rows = []
    for (target, intermediate), row in table.iterrows():
        if intermediate == baseline or target not in base.index:
            continue
        rows.append({"target": target, "intermediate": intermediate,
                     "delta_mean": 100 * (row["mean"] - base.loc[target, "mean"]),
                     "delta_best": 100 * (row["best"] - base.loc[target, "best"]),
                     "n": row["n"], "n_baseline": base.loc[target, "n"]})
    return pd.DataFrame(rows, columns=["target", "intermediate", "delta_mean", "delta_best", "n", "n_baseline"])


def require_columns(df: pd.DataFrame, columns: list) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"run table lacks columns {missing}; it has {list(df.columns)}")
