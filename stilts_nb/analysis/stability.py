"""Beyond the paper: how stable is fine-tuning, and is an intermediate's gain more than noise?

- near_floor_rate: share of runs at or below a floor (the most common answer's share, 0 for MCC)
  plus a margin per target (the notebooks use a number of the dev set's binomial standard
  errors). Not the run's own ``degenerate`` flag, which is a score at or below the majority
  share of the dev subset it was scored on, with no margin;
- paired_tests: the grid runs are paired by configuration (same lr, batch, warmup, seed) and
  reduced to units of replication (analysis.compare), each intermediate against None by the
  paired t-test the verdicts use, Holm-corrected, with the exact signed-rank p beside it;
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

from . import compare
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


def paired_tests(runs: pd.DataFrame, baseline: str = "none", exclude_diverged: bool = False) -> pd.DataFrame:
    """Each intermediate vs `baseline`, paired by configuration and reduced to its units of
    replication (analysis.compare: the intermediate checkpoint when there are several): the paired
    t-test the verdicts apply, Holm-corrected across the table, and beside it the exact
    signed-rank p, with whether n units could reach Holm's first-step level at all."""
    runs = scored(runs, exclude_diverged)
    rows = []
    for target, per_target in runs.groupby("target", sort=False):
        base = per_target[per_target["intermediate"] == baseline]
        for inter, group in per_target.groupby("intermediate", sort=False):
            if inter == baseline or base.empty:
                continue
            pair = compare.paired(group, base)
            diff = pair.diffs
            low, high, what = _mean_ci(diff / 100)
            rows.append({"target": target, "intermediate": inter, "unit": pair.unit, "n": len(diff),
                         "configurations": pair.configs,
                         "mean_diff": float(np.mean(diff)) if len(diff) else np.nan,
                         "ci_low": 100 * low, "ci_high": 100 * high, "interval": what,
                         "median_diff": float(np.median(diff)) if len(diff) else np.nan,
                         "wins": int((diff > 0).sum()), "p": compare.t_test(diff),
                         "signed_rank_p": compare.signed_rank(diff) if len(diff) else np.nan})
    table = pd.DataFrame(rows, columns=["target", "intermediate", "unit", "n", "configurations", "mean_diff",
                                        "ci_low", "ci_high", "interval", "median_diff", "wins", "p",
                                        "signed_rank_p"])
    table["p_holm"] = compare.holm(table["p"]) if len(table) else []
    # can n nonzero units reach Holm's first step at all? If not, the signed-rank p is descriptive
    level = compare.ALPHA / max(len(table), 1)
    table["signed_rank_can_reject"] = [compare.smallest_signed_rank_p(int(n)) < level for n in table["n"]]
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
