"""Beyond the paper: how stable is fine-tuning, and is an intermediate's gain more than noise?

- near_floor_rate: share of runs at or below a floor (the most common answer's share, 0 for MCC)
  plus a margin per target (the notebooks use a number of the dev set's binomial standard
  errors). Not the run's own ``degenerate`` flag, which is a score at or below the majority
  share of the dev subset it was scored on, with no margin;
- paired_tests: the grid runs are paired by configuration (same lr, batch, warmup, seed), so
  each intermediate is compared with None configuration by configuration (Wilcoxon signed-rank),
  with Holm's correction across all pairs tested;
- bootstrap_ci: percentile bootstrap intervals of the mean and the best run;
- expected_max: expected best dev score after trying n configurations (Dodge et al., 2019);
- sensitivity: mean score per value of each hyperparameter.

"best" is selected on the same dev set it is reported on, so it is optimistic by construction;
expected_max shows how much of it is the luck of many tries.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .summary import GRID, PAIR, scored


def near_floor_rate(runs: pd.DataFrame, floor: pd.Series | dict, margin: float | dict = 0.0,
                    exclude_diverged: bool = False) -> pd.DataFrame:
    """Share of runs per pair scoring <= floor[target] + margin[target] (one number: the same
    margin for every target)."""
    runs = scored(runs, exclude_diverged)
    extra = runs["target"].map(margin) if isinstance(margin, dict) else margin
    limit = runs["target"].map(floor) + extra
    flagged = runs.assign(near_floor=runs["score"] <= limit)
    out = flagged.groupby(PAIR, sort=False)["near_floor"].agg(near_floor="sum", n="count").reset_index()
    out["rate"] = out["near_floor"] / out["n"]
    return out


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p)
    scaled = (len(p) - np.arange(len(p))) * p[order]
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out = np.empty_like(adjusted)
    out[order] = adjusted
    return out


def paired_tests(runs: pd.DataFrame, baseline: str = "none", exclude_diverged: bool = False) -> pd.DataFrame:
    """Wilcoxon signed-rank of intermediate vs baseline over matched configurations."""
    runs = scored(runs, exclude_diverged)
    rows = []
    for target, per_target in runs.groupby("target", sort=False):
        base = per_target[per_target["intermediate"] == baseline].set_index(GRID)["score"]
        for inter, group in per_target.groupby("intermediate", sort=False):
            if inter == baseline:
                continue
            other = group.set_index(GRID)["score"]
            common = base.index.intersection(other.index)
            diff = (other.loc[common] - base.loc[common]).to_numpy()
            p = stats.wilcoxon(diff).pvalue if len(diff) and np.any(diff != 0) else 1.0
            low, high, what = _mean_ci(diff)
            rows.append({"target": target, "intermediate": inter, "pairs": len(common),
                         "mean_diff": 100 * float(np.mean(diff)) if len(diff) else np.nan,
                         "ci_low": 100 * low, "ci_high": 100 * high, "interval": what,
                         "median_diff": 100 * float(np.median(diff)) if len(diff) else np.nan,
                         "wins": int((diff > 0).sum()), "p": float(p)})
    table = pd.DataFrame(rows, columns=["target", "intermediate", "pairs", "mean_diff", "ci_low", "ci_high",
                                        "interval", "median_diff", "wins", "p"])
    table["p_holm"] = holm(table["p"]) if len(table) else []
    return table


# Below this many values a bootstrap resamples too few distinct sets to mean "95%": the
# interval columns then hold the range (min to max), and the `interval` column says so.
MIN_FOR_INTERVAL = 6


def _mean_ci(diff, level: float = 0.95, resamples: int = 2000, seed: int = 0) -> tuple:
    """(low, high, what): a percentile bootstrap CI of the mean from MIN_FOR_INTERVAL values
    on, else the range, named as such."""
    if len(diff) == 0:
        return np.nan, np.nan, "none"
    if len(diff) < MIN_FOR_INTERVAL:
        return float(np.min(diff)), float(np.max(diff)), f"range ({len(diff)} values)"
    if np.ptp(diff) == 0:
        return float(diff[0]), float(diff[0]), f"{100 * level:.0f}% bootstrap"
    res = stats.bootstrap((diff,), np.mean, confidence_level=level, n_resamples=resamples,
                          method="percentile", random_state=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high), f"{100 * level:.0f}% bootstrap"


def bootstrap_ci(runs: pd.DataFrame, level: float = 0.95, resamples: int = 2000, seed: int = 0,
                 exclude_diverged: bool = False) -> pd.DataFrame:
    """Per pair (×100): the mean with a percentile bootstrap CI (the range below
    MIN_FOR_INTERVAL runs, and the `interval` column says which), and the best run. The best run
    gets no interval: a bootstrap of a maximum cannot exceed the observed one, so its "interval"
    would only restate the runs."""
    runs = scored(runs, exclude_diverged)
    rows = []
    for (target, inter), group in runs.groupby(PAIR, sort=False):
        scores = group["score"].to_numpy(dtype=float)
        low, high, what = _mean_ci(scores, level, resamples, seed)
        rows.append({"target": target, "intermediate": inter, "n": len(scores), "mean": 100 * scores.mean(),
                     "mean_low": 100 * low, "mean_high": 100 * high, "interval": what,
                     "best": 100 * scores.max()})
    return pd.DataFrame(rows)


def expected_max(scores, budgets=None) -> pd.DataFrame:
    """E[max of n configurations drawn i.i.d. from the observed ones], n = 1..len(scores).

    With v_(1) <= ... <= v_(N): E = sum_i v_(i) * ((i/N)^n - ((i-1)/N)^n)  (Dodge et al., 2019).
    """
    v = np.sort(np.asarray(scores, dtype=float))
    total = len(v)
    budgets = budgets or range(1, total + 1)
    i = np.arange(1, total + 1)
    rows = [{"n": n, "expected_max": float(np.sum(v * ((i / total) ** n - ((i - 1) / total) ** n)))}
            for n in budgets]
    return pd.DataFrame(rows)


def sensitivity(runs: pd.DataFrame, exclude_diverged: bool = False) -> pd.DataFrame:
    """Mean score (×100) per value of each grid hyperparameter, per pair."""
    runs = scored(runs, exclude_diverged)
    frames = []
    for hp in GRID:
        if hp not in runs:
            continue
        part = runs.groupby(PAIR + [hp], sort=False)["score"].mean().mul(100).reset_index()
        frames.append(part.rename(columns={hp: "value"}).assign(hyperparameter=hp))
    return pd.concat(frames, ignore_index=True)[PAIR + ["hyperparameter", "value", "score"]]
