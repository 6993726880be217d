"""One paired comparison of two arms on one target, at the level the claim is made.

The claim is about an intermediate *task*, so its unit of replication is the intermediate
checkpoint: with K checkpoints per task (``intermediate_training.seed`` a list), each checkpoint
is fine-tuned on its own block of target seeds (sweeps/plan.py, nested pairing), and its
difference from the other arm is the mean over that block's matched configurations (same lr,
batch, warmup, seed). Those K differences are independent; the test sees K values, not K × the
block size. With one checkpoint per task (the paper's single seed) the unit falls back to the
target configuration, and the comparison says the task itself was not replicated.

The test applied is the paired t-test over the units, Holm-corrected (statsmodels) across the
family a notebook declares; its power and minimum detectable effect (MDE) are those of that same
t-test at Holm's first-step level α/k, from statsmodels' exact noncentral-t power. The exact
signed-rank p (scipy, ``method="exact"``) is kept beside it as a check that does not lean on
normality, flagged when its smallest attainable value, 2/2^n, cannot reach α/k. Equivalence is
two one-sided t-tests (TOST) with the declared margin, Holm-corrected across the same family.

All differences are in points (×100).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower
from statsmodels.stats.weightstats import DescrStatsW

from ..wording import setting
from .summary import GRID, PAIR, require_columns, scored

ALPHA = 0.05
POWER = 0.8
CHECKPOINT = "intermediate_seed"  # a target run's column naming the checkpoint it started from


@dataclass(frozen=True)
class Paired:
    """The matched differences of one comparison, reduced to its units of replication."""
    diffs: np.ndarray   # points, one per unit
    unit: str           # "intermediate checkpoint" or "target configuration"
    configs: int        # matched target configurations behind the units
    checkpoints: int    # distinct intermediate checkpoints of the first arm (0 for None)
    labels: tuple = ()  # each unit's name: "seed 42" (a checkpoint) or "lr 5e-5, batch 16, ..."


def matched(arm: pd.DataFrame, other: pd.DataFrame, on=GRID) -> pd.DataFrame:
    """`arm`'s runs joined to `other`'s with the same configuration (`on`), with `diff`, the
    arm's score minus the other's in points: the one pairing every comparison and figure uses."""
    merged = arm.merge(other[[*on, "score"]], on=list(on), suffixes=("", "_other"))
    merged["diff"] = 100 * (merged["score"].astype(float) - merged["score_other"].astype(float))
    return merged


def paired(arm: pd.DataFrame, other: pd.DataFrame) -> Paired:
    """`arm` minus `other`, matched on the grid; per checkpoint of `arm` when it has several."""
    merged = matched(arm, other)
    diff = merged["diff"]
    seeds = merged[CHECKPOINT].dropna().unique() if CHECKPOINT in merged else []
    if len(seeds) > 1:  # the checkpoint is the unit: average its block of configurations
        per = diff.groupby(merged[CHECKPOINT]).mean()
        return Paired(per.to_numpy(dtype=float), "intermediate checkpoint", len(merged), len(seeds),
                      tuple(f"checkpoint seed {int(k)}" for k in per.index))
    labels = tuple(", ".join(f"{k} {setting(v)}" for k, v in zip(GRID, row)) for row in merged[GRID].itertuples(index=False))
    return Paired(diff.to_numpy(dtype=float), "target configuration", len(merged), len(seeds), labels)


def configuration_differences(runs: pd.DataFrame, baseline: str = "none",
                              exclude_diverged: bool = False) -> pd.DataFrame:
    """One row per configuration an intermediate shares with `baseline` on a target (the dots
    beside Figure 2's violins): target, intermediate, the grid values and diff (points)."""
    require_columns(runs, [*PAIR, *GRID, "score"])
    runs = scored(runs, exclude_diverged)
    base = runs[runs["intermediate"] == baseline]
    merged = matched(runs[runs["intermediate"] != baseline], base, on=["target", *GRID])
    return merged[[*PAIR, *GRID, "diff"]].reset_index(drop=True)

def t_test(diffs: np.ndarray) -> float:
    """Two-sided paired t-test p of mean 0 (1.0 when nothing differs; 0 when every unit differs
    by the same nonzero amount, where the t statistic is unbounded)."""
    if len(diffs) < 2:
        return math.nan
    if np.ptp(diffs) == 0:
        return 1.0 if diffs[0] == 0 else 0.0
    return float(stats.ttest_1samp(diffs, 0.0).pvalue)


def signed_rank(diffs: np.ndarray) -> float:
    """Exact two-sided Wilcoxon signed-rank p (zeros dropped, as Wilcoxon did); pinned to
    ``method="exact"`` so it does not change with scipy's default between versions."""
    nonzero = diffs[diffs != 0]
    if len(nonzero) == 0:
        return 1.0
    return float(stats.wilcoxon(nonzero, method="exact").pvalue)


def smallest_signed_rank_p(n: int) -> float:
    """The smallest two-sided exact signed-rank p that n nonzero pairs can give: all one sign."""
    return min(1.0, 2 / 2 ** n) if n else 1.0


def holm(pvalues) -> np.ndarray:
    """Holm-adjusted p-values (statsmodels); NaN (no test) stays NaN and is not counted."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], alpha=ALPHA, method="holm")[1]
    return out


def interval(diffs: np.ndarray, level: float) -> tuple:
    """Two-sided t-interval of the mean difference at `level` (NaNs below two units)."""
    if len(diffs) < 2:
        return math.nan, math.nan
    low, high = DescrStatsW(diffs).tconfint_mean(alpha=1 - level)
    return float(low), float(high)


def equivalence(diffs: np.ndarray, margin: float) -> float:
    """TOST p for |mean difference| < margin (statsmodels), NaN below two units."""
    if len(diffs) < 2:
        return math.nan
    if np.ptp(diffs) == 0:
        return 0.0 if abs(diffs[0]) < margin else 1.0
    return float(DescrStatsW(diffs).ttost_mean(-margin, margin)[0])


def detectable(diffs: np.ndarray, alpha: float, power: float = POWER) -> float:
    """The smallest true mean difference (points) the paired t-test over these units detects
    with `power` at level `alpha`, given their measured spread: statsmodels' solved effect size
    (noncentral t, exact for the test) times the units' standard deviation."""
    if len(diffs) < 2 or np.std(diffs, ddof=1) == 0:
        return math.nan
    effect = TTestPower().solve_power(nobs=len(diffs), alpha=alpha, power=power, alternative="two-sided")
    return float(effect * np.std(diffs, ddof=1))


def units_needed(sd: float, effect: float, alpha: float, power: float = POWER, limit: int = 200) -> int | None:
    """Units a paired t-test needs to detect `effect` points with `power` at `alpha`, given a
    pilot's spread `sd` of the unit differences (statsmodels); None beyond `limit`."""
    if sd <= 0:
        return 2
    n = TTestPower().solve_power(effect_size=effect / sd, alpha=alpha, power=power, alternative="two-sided")
    return math.ceil(n) if n <= limit else None


def collapse_p(collapsed: int, runs: int, collapsed_other: int, runs_other: int) -> float:
    """Fisher's exact two-sided p for 'one arm collapses more or less often than the other'."""
    table = [[collapsed, runs - collapsed], [collapsed_other, runs_other - collapsed_other]]
    return float(stats.fisher_exact(table).pvalue)


def rescue_power(runs: int, runs_other: int, rate_other: float, alpha: float) -> float:
    """Exact power of Fisher's test at `alpha` to see an arm with no collapse at all against one
    collapsing at `rate_other`: the chance, over the other arm's binomial count, that the table
    (0 of `runs`, k of `runs_other`) rejects. Enumerated, not simulated."""
    counts = np.arange(runs_other + 1)
    weights = stats.binom.pmf(counts, runs_other, rate_other)
    return float(sum(w for k, w in zip(counts, weights) if collapse_p(0, runs, int(k), runs_other) < alpha))
