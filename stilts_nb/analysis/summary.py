"""Min / mean / best per intermediate-target pair (Figure 2) and deltas against None (Table 3)."""
from __future__ import annotations

import pandas as pd

GRID = ["lr", "batch_size", "warmup_ratio", "seed"]  # one configuration of the paper's sweep
PAIR = ["target", "intermediate"]


def summarize(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per pair: n, min, mean, best (scores as stored, 0-1 or MCC), degenerate count."""
    _require(runs, PAIR + ["score"])
    grouped = runs.groupby(PAIR, sort=False)
    out = grouped["score"].agg(n="count", min="min", mean="mean", best="max")
    if "degenerate" in runs:
        out["degenerate"] = grouped["degenerate"].sum().astype(int)
    if "run_id" in runs:
        out["run_ids"] = grouped["run_id"].agg(list)
    return out.reset_index()


def deltas(runs: pd.DataFrame, baseline: str = "none") -> pd.DataFrame:
    """Δ mean and Δ best of each intermediate against `baseline` on the same target (×100)."""
    table = summarize(runs).set_index(PAIR)
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


def _require(df: pd.DataFrame, columns: list) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"run table lacks columns {missing}; it has {list(df.columns)}")
