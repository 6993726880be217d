"""Verdicts a reviewer would sign: each intermediate is compared with None on one target, and the
comparison ends in exactly one of five words, computed by fixed rules rather than read off a plot.

- *not learned*: None's mean is within noise of the target's floor (the majority share, 0 for
  MCC): the model did not learn the target, so no difference between intermediates means
  anything. It pre-empts every other verdict, however small its p-value.
- *helps* / *hurts*: the paired Wilcoxon signed-rank test over configurations (same lr, batch,
  warmup, seed), Holm-adjusted across the notebook's comparisons, is below ``ALPHA`` and the
  t-interval of the mean paired difference excludes zero.
- *no difference larger than ±m*: equivalence by two one-sided tests, i.e. the (1 - 2·ALPHA)
  t-interval lies inside the margin ±m that the profile states.
- *inconclusive*: none of the above; it says which effect the data could have detected with
  ``POWER`` (the minimum detectable effect), or, with fewer than ``MIN_PAIRS`` pairs, that only a
  range was measured.

Two sources of error are kept apart. The tests above see training randomness (the spread over
configurations). The dev set is a fixed sample on top of that: the standard error of a
difference of two accuracies measured on n examples (unpaired bound, sqrt(2 p (1 - p) / n)) is
reported beside each verdict, and a *helps* or *hurts* smaller than twice it is flagged as a
result about this dev set that may not carry over to new examples.

All numbers are points (×100) and rounded once, in ``Verdict.row``; the sentence is formatted
from that row, so prose and table cannot disagree.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .stability import holm
from .summary import GRID

ALPHA = 0.05
POWER = 0.8
MIN_PAIRS = 6      # with fewer pairs a two-sided signed-rank p cannot go below 0.05
FLOOR_SES = 2.0    # None "learned" the target only if its mean is this many dev-set SEs above the floor
KINDS = ("not learned", "helps", "hurts", "no difference", "inconclusive")


def dev_se(score: float, examples: int, metric: str = "accuracy") -> float:
    """Standard error (points) of one score measured on `examples` dev examples. Accuracy: the
    binomial SE; MCC: about 1/sqrt(n), its SE near zero correlation."""
    if metric == "mcc":
        return 100 / math.sqrt(examples)
    share = min(max(score, 0.0), 1.0)
    return 100 * math.sqrt(share * (1 - share) / examples)


def detectable_effect(sd: float, pairs: int, alpha: float = ALPHA, power: float = POWER,
                      dev_term: float = 0.0) -> float:
    """Smallest true mean paired difference (points) that a two-sided paired t-test at `alpha`
    detects with `power`, given the paired spread `sd` (points) over `pairs` configurations and
    an optional fixed error term (points) added in quadrature."""
    if pairs < 2:
        return math.inf
    se = math.sqrt(sd ** 2 / pairs + dev_term ** 2)
    return (stats.t.ppf(1 - alpha / 2, pairs - 1) + stats.t.ppf(power, pairs - 1)) * se


def pairs_needed(sd: float, effect: float = 2.0, alpha: float = ALPHA, power: float = POWER,
                 comparisons: int = 1, limit: int = 1000) -> int | None:
    """Configurations needed to detect `effect` points with `power`, from a pilot's paired spread.

    With several comparisons Holm's first step tests at alpha / comparisons, so that is the level
    sized for. The signed-rank test is about 95% as efficient as the t-test on normal data, so
    the count is divided by 0.955 (its asymptotic relative efficiency). None: not within `limit`."""
    level = alpha / comparisons
    for pairs in range(max(MIN_PAIRS, 2), limit + 1):
        if detectable_effect(sd, pairs, level, power) <= effect:
            return math.ceil(pairs / 0.955)
    return None


def collapse_test(collapsed: int, runs: int, collapsed_none: int, runs_none: int) -> float:
    """Fisher's exact two-sided p for 'this intermediate collapses more or less often than None'."""
    table = [[collapsed, runs - collapsed], [collapsed_none, runs_none - collapsed_none]]
    return float(stats.fisher_exact(table).pvalue)


@dataclass(frozen=True)
class Verdict:
    target: str
    intermediate: str
    kind: str                 # one of KINDS
    pairs: int
    mean: float               # Δ mean over paired configurations (points)
    low: float                # the interval (t-interval, or the range below MIN_PAIRS)
    high: float
    interval: str             # "95% t-interval" or "range"
    p: float | None           # Wilcoxon p, Holm-adjusted across the comparisons judged together
    margin: float             # equivalence margin (points)
    detectable: float | None  # minimum detectable effect at POWER (points); None below MIN_PAIRS
    dev_error: float          # 2 SE of a difference of two accuracies on this dev set (points)
    baseline: float           # None's mean (points)
    floor: float              # the target's floor (points)
    collapsed: int
    collapsed_none: int
    runs: int
    runs_none: int
    collapse_p: float
    collapsed_configs: tuple = ()   # the settings of this intermediate's collapsed runs
    # -- the equivalence test's own interval (issue 29, item 8): the (1 - 2·alpha) t-interval that
    # two one-sided tests compare with the margin; shown beside every "no difference" verdict
    tost_low: float = math.nan
    tost_high: float = math.nan
    tost_interval: str = ""   # "90% t-interval"; empty below MIN_PAIRS (no test)

    def row(self) -> dict:
        """The table's values, each rounded once; ``sentence`` formats from these."""
        def pts(x):
            return None if x is None or not math.isfinite(x) else round(float(x), 1)
        return {"target": self.target, "intermediate": self.intermediate, "verdict": self.label(),
                "pairs": self.pairs, "Δ mean": pts(self.mean), "low": pts(self.low), "high": pts(self.high),
                "interval": self.interval, "p (Holm)": None if self.p is None else float(f"{self.p:.2g}"),
                "detectable": pts(self.detectable), "dev ±": pts(self.dev_error),
                "None mean": pts(self.baseline), "floor": pts(self.floor),
                "collapsed": f"{self.collapsed}/{self.runs}", "collapsed (None)": f"{self.collapsed_none}/{self.runs_none}",
                "Fisher p": float(f"{self.collapse_p:.2g}"),
                "tost_low": pts(self.tost_low), "tost_high": pts(self.tost_high)}

    def label(self) -> str:
        if self.kind == "no difference":
            return f"no difference larger than ±{self.margin:.1f}"
        if self.kind == "inconclusive":
            return (f"inconclusive (could detect only ≥ {self.detectable:.1f} points)"
                    if self.detectable is not None and math.isfinite(self.detectable)
                    else f"inconclusive ({self.pairs} pairs: a range, no test)")
        return self.kind

    def sentence(self, name=str) -> str:
        """One reviewer's sentence, from the rounded row; `name` prints task names (e.g. findings.title)."""
        r = self.row()
        who = f"{name(self.intermediate)} vs None on {name(self.target)}"
        if self.kind == "not learned":
            return (f"{who}: not learned — None's mean {r['None mean']:.1f} is within {FLOOR_SES:g} dev-set "
                    f"standard errors of the floor {r['floor']:.1f}, so no Δ here means anything.")
        span = (f"range {r['low']:+.1f} to {r['high']:+.1f}" if self.interval == "range"
                else f"{self.interval} {r['low']:+.1f} to {r['high']:+.1f}")
        text = f"{who}: Δ mean {r['Δ mean']:+.1f} points ({span}, {self.pairs} paired configurations"
        text += f", Wilcoxon p (Holm) = {r['p (Holm)']:.2g}): {self.label()}" if r["p (Holm)"] is not None else f"): {self.label()}"
        if self.kind == "no difference":  # the interval the equivalence rests on, not the 95% one above
            text += (f" (its {self.tost_interval} {r['tost_low']:+.1f} to {r['tost_high']:+.1f} lies inside "
                     f"±{self.margin:.1f})")
        if self.kind in ("helps", "hurts") and abs(self.mean) < self.dev_error:
            text += (f", on this dev set only: it is smaller than the dev-set sampling error of a difference "
                     f"(±{r['dev ±']:.1f})")
        text += "."
        if self.collapsed or self.collapsed_none:
            text += (f" Collapsed runs: {r['collapsed']} against None's {r['collapsed (None)']} "
                     f"(Fisher p = {r['Fisher p']:.2g})")
            text += f", at {'; '.join(self.collapsed_configs)}." if self.collapsed_configs else "."
        return text


def judge(runs: pd.DataFrame, margin: float, floors: dict | None = None, dev_examples: dict | None = None,
          metrics: dict | None = None, baseline: str = "none", alpha: float = ALPHA) -> list[Verdict]:
    """A verdict per (target, intermediate) of a tidy run table (scores 0-1 or MCC), Holm across
    all of them. `margin`: the equivalence margin in points. `floors` (target -> floor score,
    0-1), `dev_examples` (target -> dev size) and `metrics` (target -> "accuracy" or "mcc")
    default to what the runs themselves recorded: the columns ``floor``, ``dev_examples`` and
    ``metric`` (planning.sweep_runs adds the first two from each run's result)."""
    floors = floors or _recorded(runs, "floor")
    dev_examples = dev_examples or _recorded(runs, "dev_examples")
    metrics = metrics or (_recorded(runs, "metric") if "metric" in runs else {})
    found = []
    for target, per_target in runs.groupby("target", sort=False):
        none = per_target[per_target["intermediate"] == baseline]
        if none.empty:
            continue
        base = none.set_index(GRID)["score"]
        for inter, group in per_target.groupby("intermediate", sort=False):
            if inter == baseline:
                continue
            other = group.set_index(GRID)["score"]
            common = base.index.intersection(other.index)
            diff = 100 * (other.loc[common] - base.loc[common]).to_numpy(dtype=float)
            p = float(stats.wilcoxon(diff).pvalue) if len(diff) >= 2 and np.any(diff != 0) else 1.0
            found.append((target, inter, none, group, diff, p))
    adjusted = holm([f[5] for f in found]) if found else []
    return [_one(target, inter, none, group, diff, p_holm, floors[target], dev_examples[target],
                 metrics.get(target, "accuracy"), margin, alpha)
            for (target, inter, none, group, diff, _), p_holm in zip(found, adjusted)]


def _one(target, inter, none, group, diff, p_holm, floor, examples, metric, margin, alpha) -> Verdict:
    base_mean = float(none["score"].mean())
    noise = dev_se(base_mean, examples, metric)
    dev_error = 2 * math.sqrt(2) * noise  # 2 SE of a difference of two scores on the same n examples
    pairs = len(diff)
    mean = float(np.mean(diff)) if pairs else math.nan
    detectable = None
    if pairs < MIN_PAIRS:  # show what was measured and call it a range: no interval, no test
        low, high = (float(np.min(diff)), float(np.max(diff))) if pairs else (math.nan, math.nan)
        interval, p, kind = "range", None, "inconclusive"
        equivalence = {}
    else:
        sd = float(np.std(diff, ddof=1))
        se = sd / math.sqrt(pairs)
        half = stats.t.ppf(1 - alpha / 2, pairs - 1) * se
        low, high, interval, p = mean - half, mean + half, f"{100 * (1 - alpha):.0f}% t-interval", float(p_holm)
        tost = stats.t.ppf(1 - alpha, pairs - 1) * se
        equivalence = {"tost_low": mean - tost, "tost_high": mean + tost,
                       "tost_interval": f"{100 * (1 - 2 * alpha):.0f}% t-interval"}
        detectable = detectable_effect(sd, pairs, alpha)
        if p < alpha and (low > 0 or high < 0):
            kind = "helps" if low > 0 else "hurts"
        elif -margin < mean - tost and mean + tost < margin:
            kind = "no difference"
        else:
            kind = "inconclusive"
    if 100 * base_mean - 100 * floor <= FLOOR_SES * noise:
        kind = "not learned"
    collapsed, runs = _collapsed(group), len(group)
    collapsed_none, runs_none = _collapsed(none), len(none)
    return Verdict(target, inter, kind, pairs, mean, low, high, interval, p, margin, detectable, dev_error,
                   100 * base_mean, 100 * floor, collapsed, collapsed_none, runs, runs_none,
                   collapse_test(collapsed, runs, collapsed_none, runs_none), _where(group), **equivalence)


def _recorded(runs: pd.DataFrame, column: str) -> dict:
    """Target -> the value its None runs recorded (the same for every run of a target)."""
    if column not in runs:
        raise ValueError(f"run table lacks the column {column!r}: pass it explicitly")
    return runs.groupby("target", sort=False)[column].first().to_dict()


def _collapsed(runs: pd.DataFrame) -> int:
    return int(runs["degenerate"].fillna(False).astype(bool).sum()) if "degenerate" in runs else 0


def _where(runs: pd.DataFrame) -> tuple:
    """'seed 12, lr 1e-05, batch 16, warmup 0.2' for each collapsed run, in grid order (a run table
    joined with another may carry seed and batch as floats: shown as the integers they are)."""
    if "degenerate" not in runs:
        return ()
    bad = runs[runs["degenerate"].fillna(False).astype(bool)]
    return tuple(f"seed {plain(r.seed)}, lr {plain(r.lr)}, batch {plain(r.batch_size)}, warmup {plain(r.warmup_ratio)}"
                 for r in bad.sort_values(GRID).itertuples())


def plain(value) -> str:
    """A setting as prose and tables show it: 16.0 -> '16' (joined tables carry integers as
    floats), 1e-05 and 0.0001 -> '1e-5' and '1e-4' (as the paper and parameters/ write learning
    rates), 0.2 -> '0.2'; anything not a number as str()."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if float(value).is_integer():
        return str(int(value))
    if abs(value) < 0.01:
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:.4g}"


def headline(verdicts: list[Verdict]) -> Verdict | None:
    """The verdict a notebook leads with: a *not learned* target first (it voids the rest), then
    significant effects (helps/hurts), then anything else; within a rank, the largest |Δ mean|."""
    rank = {"not learned": 0, "helps": 1, "hurts": 1}
    if not verdicts:
        return None
    return min(verdicts, key=lambda v: (rank.get(v.kind, 2), -abs(v.mean) if math.isfinite(v.mean) else 0))


def table(verdicts: list[Verdict]) -> pd.DataFrame:
    """The verdicts as the report shows them (the same rounded values the sentences use)."""
    return pd.DataFrame([v.row() for v in verdicts])
