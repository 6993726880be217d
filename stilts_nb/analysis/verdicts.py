"""Verdicts a reviewer would sign: each arm is compared with a baseline (None, or the HellaSwag
stand-in for the paper's own claim) on one target, and the comparison ends in one verdict,
computed by fixed rules (analysis/compare.py holds the statistics) rather than read off a plot.

The rules, in the order they apply (docs/verdicts.md has the reasons):

- *intermediate not learned*: none of the arm's intermediate checkpoints scored its own task
  above its floor by ``FLOOR_SES`` dev-set standard errors; the arm is no test of that task.
- *not learned*: neither arm's mean on the target is ``FLOOR_SES`` standard errors above the floor.
- *rescues* / *collapses more*: the arm's collapsed runs (at or below the floor + ``COLLAPSE_SES``
  standard errors of a score at the floor, 06's near-floor margin) differ from the
  baseline's by Fisher's exact test, Holm-corrected across the family.
- *helps* / *hurts* (against None; *better* / *worse* against a reference arm): the paired t-test
  over the units of replication, Holm-corrected across the family, is below ``ALPHA``.
- *no difference larger than ±m*: TOST with the declared margin, Holm-corrected, below ``ALPHA``;
  its (1 - 2·ALPHA) interval lies inside ±m and is shown.
- *descriptive*: fewer than two units, so no test exists; only the range is shown.
- *inconclusive*: none of the above, with the MDE of the test applied at its corrected level.

All numbers are points (×100) and rounded once, in ``Verdict.row``; the sentence is formatted
from that row, so prose and table cannot disagree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..wording import p_text, plural, points, settings_label, significant
from . import compare
from .compare import ALPHA, POWER

FLOOR_SES = 2.0    # a model "learned" a task only if its mean is this many dev-set SEs above the floor
COLLAPSE_SES = 1.0  # a run "collapsed" at or below the floor + this many SEs of a score at the floor
                    # (06's near-floor margin): MCC 0.01 on CoLA is a collapse, whatever its sign
TEST = "paired t-test over units, Holm"


def dev_se(score: float, examples: int, metric: str = "accuracy") -> float:
    """Standard error (points) of one score measured on `examples` dev examples. Accuracy: the
    binomial SE; MCC: about 1/sqrt(n), its SE near zero correlation."""
    if metric == "mcc":
        return 100 / math.sqrt(examples)
    share = min(max(score, 0.0), 1.0)
    return 100 * math.sqrt(share * (1 - share) / examples)


def collapse_test(collapsed: int, runs: int, collapsed_none: int, runs_none: int) -> float:
    """Fisher's exact two-sided p for 'this intermediate collapses more or less often than None'."""
    return compare.collapse_p(collapsed, runs, collapsed_none, runs_none)


def above_floor(score: float, floor: float, examples: int, metric: str = "accuracy") -> bool:
    """Did a model learn a task: its score more than FLOOR_SES dev-set standard errors above the
    floor? One rule for a target's arms and for an intermediate checkpoint on its own task."""
    return 100 * (score - floor) > FLOOR_SES * dev_se(score, examples, metric)


@dataclass(frozen=True)
class Verdict:
    target: str
    intermediate: str
    kind: str                 # see the module docstring
    unit: str                 # the unit of replication
    n: int                    # units
    configs: int              # matched target configurations behind them
    mean: float               # Δ mean over units (points)
    low: float                # 95% t-interval, or the range when there is no test
    high: float
    p: float | None           # t-test p, Holm-adjusted across the family (None: no test)
    family: int               # comparisons in the Holm family
    signed_rank: float | None  # exact signed-rank p, unadjusted (a check on the t-test)
    signed_rank_can_reject: bool
    margin: float
    eq_low: float             # the (1 - 2·ALPHA) interval behind the equivalence test
    eq_high: float
    eq_p: float | None        # TOST p, Holm-adjusted
    detectable: float | None  # MDE of the t-test at ALPHA / family with POWER (points)
    baseline_mean: float
    arm_mean: float
    floor: float
    collapsed: int
    runs: int
    collapsed_base: int
    runs_base: int
    collapse_p: float         # Fisher, Holm-adjusted
    rescue_power: float | None
    learned: tuple = (0, 0)   # (checkpoints that learned their own task, checkpoints); (0, 0): None
    baseline: str = "none"
    examples: tuple | None = None  # (low, high): interval resampling dev examples and configurations
    collapsed_configs: tuple = ()
    units: tuple = ()         # (label, Δ points) per unit: what the test saw, for a reader to recompute

    def row(self) -> dict:
        """The table's values, each rounded once (wording.points, wording.significant);
        ``sentence`` formats from these."""
        row = {"target": self.target, "intermediate": self.intermediate, "versus": self.baseline,
               "verdict": self.label(), "unit": self.unit, "n": self.n, "configurations": self.configs,
               "Δ mean": points(self.mean), "low": points(self.low), "high": points(self.high),
               "p (t, Holm)": significant(self.p), "family": self.family,
               "signed-rank p (exact)": significant(self.signed_rank),
               "90% low": points(self.eq_low), "90% high": points(self.eq_high),
               "TOST p (Holm)": significant(self.eq_p),
               "MDE": points(self.detectable), "baseline mean": points(self.baseline_mean),
               "arm mean": points(self.arm_mean), "floor": points(self.floor),
               "collapsed": f"{self.collapsed}/{self.runs}", "collapsed (baseline)": f"{self.collapsed_base}/{self.runs_base}",
               "Fisher p (Holm)": significant(self.collapse_p),
               "rescue power": None if self.rescue_power is None else round(self.rescue_power, 2)}
        if self.learned != (0, 0):
            row["intermediate learned"] = f"{self.learned[0]}/{self.learned[1]}"
        if self.examples:
            row["examples low"], row["examples high"] = points(self.examples[0]), points(self.examples[1])
        return row

    def label(self) -> str:
        against_none = self.baseline == "none"
        words = {"helps": "helps" if against_none else "better",
                 "hurts": "hurts" if against_none else "worse"}
        if self.kind in words:
            return words[self.kind]
        if self.kind == "no difference":
            return f"no difference larger than ±{self.margin:.1f}"
        if self.kind == "inconclusive":
            return (f"inconclusive (could detect only ≥ {self.detectable:.1f} points)"
                    if self.detectable is not None and math.isfinite(self.detectable) else "inconclusive")
        if self.kind == "descriptive":
            return f"descriptive ({self.n} {plural(self.n, self.unit)}: no test)"
        return self.kind

    def _rescue_power(self, r: dict, name) -> str:
        """What the collapse test could see, stated wherever the baseline collapsed."""
        if self.rescue_power is None:
            return ""
        return (f" Had no run of this arm collapsed, Fisher's test at {ALPHA:g}/{self.family} would have called "
                f"it a rescue from {name(self.baseline)}'s rate ({r['collapsed (baseline)']}) with power "
                f"{self.rescue_power:.2f}.")

    def sentence(self, name=str) -> str:
        """One reviewer's sentence, from the rounded row; `name` prints task names (e.g. findings.title)."""
        r = self.row()
        who = f"{name(self.intermediate)} vs {name(self.baseline)} on {name(self.target)}"
        if self.kind == "intermediate not learned":
            return (f"{who}: intermediate not learned — none of its {self.learned[1]} checkpoint(s) scored its own task "
                    f"{FLOOR_SES:g} dev-set standard errors above that task's floor, so this arm tests nothing.")
        if self.kind == "not learned":
            text = (f"{who}: not learned — neither mean ({r['baseline mean']:.1f}, {r['arm mean']:.1f}) is "
                    f"{FLOOR_SES:g} dev-set standard errors above the floor {r['floor']:.1f}, so no Δ here means "
                    f"anything. Collapsed runs: {r['collapsed']} against {r['collapsed (baseline)']}: no rescue.")
            return text + self._rescue_power(r, name)
        units = f"{self.n} {plural(self.n, self.unit)}"
        if self.unit == "intermediate checkpoint":
            per = self.configs // max(self.n, 1)
            units += (", each one target run paired with None's at its configuration" if per == 1 and self.baseline == "none"
                      else ", each one target run paired at its configuration" if per == 1
                      else f", each the mean of its {per} matched configurations")
        elif self.intermediate != "none" and self.learned[1] == 1:
            units += "; one intermediate checkpoint, so the task itself is not replicated"
        if self.kind == "descriptive":
            text = f"{who}: Δ mean {r['Δ mean']:+.1f} points (range {r['low']:+.1f} to {r['high']:+.1f}, {units}): {self.label()}"
        else:
            text = (f"{who}: Δ mean {r['Δ mean']:+.1f} points (95% t-interval {r['low']:+.1f} to {r['high']:+.1f}, "
                    f"{units}; t-test p = {p_text(r['p (t, Holm)'])} after Holm over {self.family}): {self.label()}")
            if self.kind == "no difference":
                text += (f" — the 90% interval {r['90% low']:+.1f} to {r['90% high']:+.1f} lies inside "
                         f"±{self.margin:.1f} (TOST p = {p_text(r['TOST p (Holm)'])} after Holm)")
        if self.kind in ("rescues", "collapses more"):
            text += (f": {r['collapsed']} of its runs collapsed against {r['collapsed (baseline)']} of "
                     f"{name(self.baseline)}'s (Fisher p = {p_text(r['Fisher p (Holm)'])} after Holm over {self.family})")
        if self.examples:
            text += (f"; resampling dev examples and configurations together, Δ mean lies in "
                     f"{r['examples low']:+.1f} to {r['examples high']:+.1f}")
        text += "."
        if self.kind not in ("rescues", "collapses more") and (self.collapsed or self.collapsed_base):
            text += (f" Collapsed runs: {r['collapsed']} against {r['collapsed (baseline)']} "
                     f"(Fisher p = {p_text(r['Fisher p (Holm)'])} after Holm)")
            text += f", at {'; '.join(self.collapsed_configs)}." if self.collapsed_configs else "."
        text += self._rescue_power(r, name)
        if self.learned[1] and self.learned[0] < self.learned[1] and self.kind != "intermediate not learned":
            text += f" Only {self.learned[0]} of {self.learned[1]} intermediate checkpoints learned their own task."
        return text


def judge(runs: pd.DataFrame, margin: float, floors: dict | None = None, dev_examples: dict | None = None,
          metrics: dict | None = None, baseline: str = "none", arms: list | None = None,
          intermediates: pd.DataFrame | None = None, examples: dict | None = None) -> list[Verdict]:
    """A verdict per (target, arm) of a tidy run table (scores 0-1 or MCC) against `baseline`,
    Holm-corrected across all of them (one family). `arms`: which arms (default: every other
    one). `intermediates`: the arms' intermediate runs with their own ``score``, ``floor``,
    ``dev_examples`` (and ``metric``) under ``task`` (sweeps.tidy.intermediate_runs), to judge
    whether each was learned. `examples`: (target, arm) -> (low, high), the interval that
    resamples dev examples and configurations together (analysis.paired). Floors, dev sizes and
    metrics default to what the runs recorded (columns ``floor``, ``dev_examples``, ``metric``)."""
    floors = floors or _recorded(runs, "floor")
    dev_examples = dev_examples or _recorded(runs, "dev_examples")
    metrics = metrics or (_recorded(runs, "metric") if "metric" in runs else {})
    found = []
    for target, per_target in runs.groupby("target", sort=False):
        base = per_target[per_target["intermediate"] == baseline]
        if base.empty:
            continue
        present = list(dict.fromkeys(per_target["intermediate"]))
        for arm in ([a for a in arms if a in present] if arms is not None else present):  # arms: in its order
            if arm == baseline:
                continue
            group = per_target[per_target["intermediate"] == arm]
            found.append((target, arm, group, base, compare.paired(group, base)))
    if not found:
        return []
    k = len(found)
    p_t = compare.holm([compare.t_test(f[4].diffs) for f in found])
    p_eq = compare.holm([compare.equivalence(f[4].diffs, margin) for f in found])
    limit = {t: floors[t] + COLLAPSE_SES * dev_se(floors[t], dev_examples[t], metrics.get(t, "accuracy")) / 100
             for t in floors}
    counts = [(_collapsed(f[2], limit[f[0]]), len(f[2]), _collapsed(f[3], limit[f[0]]), len(f[3])) for f in found]
    p_fisher = compare.holm([compare.collapse_p(*c) for c in counts])
    out = []
    for (target, arm, group, base, pair), pt, pe, c, pf in zip(found, p_t, p_eq, counts, p_fisher):
        out.append(_one(target, arm, baseline, group, base, pair, pt, pe, c, pf, k, margin, floors[target],
                        dev_examples[target], metrics.get(target, "accuracy"),
                        _learned(intermediates, arm), (examples or {}).get((target, arm)), limit[target]))
    return out


def _one(target, arm, baseline, group, base, pair, p_t, p_eq, counts, p_fisher, k, margin, floor, n_dev,
         metric, learned, examples, limit) -> Verdict:
    diffs, n = pair.diffs, len(pair.diffs)
    mean = float(np.mean(diffs)) if n else math.nan
    base_mean, arm_mean = float(base["score"].mean()), float(group["score"].mean())
    level = ALPHA / k  # Holm's first step: the level a single true effect must beat
    tested = n >= 2
    if tested:
        low, high = compare.interval(diffs, 1 - ALPHA)
        eq_low, eq_high = compare.interval(diffs, 1 - 2 * ALPHA)
        mde = compare.detectable(diffs, level)
        sr = compare.signed_rank(diffs)
    else:
        low, high = (float(np.min(diffs)), float(np.max(diffs))) if n else (math.nan, math.nan)
        eq_low = eq_high = mde = math.nan
        sr, p_t, p_eq = None, None, None
    collapsed, runs, collapsed_base, runs_base = counts
    power = (compare.rescue_power(runs, runs_base, collapsed_base / runs_base, level)
             if collapsed_base and runs_base else None)
    above = [above_floor(m, floor, n_dev, metric) for m in (base_mean, arm_mean)]
    if learned[1] and learned[0] == 0:
        kind = "intermediate not learned"
    elif not any(above):
        kind = "not learned"
    elif p_fisher < ALPHA and collapsed / runs != collapsed_base / runs_base:
        kind = "rescues" if collapsed / runs < collapsed_base / runs_base else "collapses more"
    elif not tested:
        kind = "descriptive"
    elif p_t < ALPHA:
        kind = "helps" if mean > 0 else "hurts"
    elif p_eq < ALPHA:
        kind = "no difference"
    else:
        kind = "inconclusive"
    return Verdict(target, arm, kind, pair.unit, n, pair.configs, mean, low, high, p_t, k, sr,
                   compare.smallest_signed_rank_p(int(np.sum(diffs != 0))) < level if n else False,
                   margin, eq_low, eq_high, p_eq, mde, 100 * base_mean, 100 * arm_mean, 100 * floor,
                   collapsed, runs, collapsed_base, runs_base, float(p_fisher), power, learned, baseline,
                   examples, _where(group, limit), tuple(zip(pair.labels, map(float, diffs))))


def _learned(intermediates: pd.DataFrame | None, arm: str) -> tuple:
    """(checkpoints of `arm` above their own floor, checkpoints); (0, 0) when unknown or None."""
    if intermediates is None or intermediates.empty or arm == "none":
        return (0, 0)
    own = intermediates[(intermediates["task"] == arm) & intermediates["score"].notna()]
    if own.empty:
        return (0, 0)
    ok = [above_floor(r.score, r.floor, int(r.dev_examples), getattr(r, "metric", "accuracy")) for r in own.itertuples()]
    return (int(sum(ok)), len(ok))


def _recorded(runs: pd.DataFrame, column: str) -> dict:
    """Target -> the value its runs recorded (the same for every run of a target)."""
    if column not in runs:
        raise ValueError(f"run table lacks the column {column!r}: pass it explicitly")
    return runs.groupby("target", sort=False)[column].first().to_dict()


def _collapsed(runs: pd.DataFrame, limit: float) -> int:
    """Runs at or below `limit` (the floor + COLLAPSE_SES standard errors), or flagged degenerate
    (diverged) by the store."""
    return int(_low(runs, limit).sum())


def _low(runs: pd.DataFrame, limit: float) -> pd.Series:
    flagged = runs["degenerate"].fillna(False).astype(bool) if "degenerate" in runs else False
    return (runs["score"] <= limit) | flagged


def _where(runs: pd.DataFrame, limit: float) -> tuple:
    """'seed 12, lr 1e-5, batch 16, warmup 0.2' for each collapsed run, in grid order (a run table
    joined with another may carry seed and batch as floats: shown as the integers they are)."""
    bad = runs[_low(runs, limit)]
    return tuple(settings_label(r) for r in bad.sort_values(compare.GRID).itertuples())


RANK = {"intermediate not learned": 0, "not learned": 0, "rescues": 1, "collapses more": 1, "helps": 1,
        "hurts": 1, "better": 1, "worse": 1}
HEADLINE_RULE = ("a model that learned nothing first, then significant effects (rescues, helps, hurts), "
                 "then the largest |Δ mean|")


def headline(verdicts: list[Verdict]) -> Verdict | None:
    """The verdict a notebook leads with, by HEADLINE_RULE; never simply the first row."""
    if not verdicts:
        return None
    return min(verdicts, key=lambda v: (RANK.get(v.kind, 2), -abs(v.mean) if math.isfinite(v.mean) else 0))


def table(verdicts: list[Verdict]) -> pd.DataFrame:
    """The verdicts as the report shows them (the same rounded values the sentences use)."""
    return pd.DataFrame([v.row() for v in verdicts])


def units_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """Every unit each test saw, one row per (comparison, unit), Δ in points unrounded: from it a
    reader recomputes each verdict's t-test p, its Holm adjustment over `family` and its MDE."""
    return pd.DataFrame([{"target": v.target, "intermediate": v.intermediate, "versus": v.baseline,
                          "family": v.family, "unit": label, "Δ": delta}
                         for v in verdicts for label, delta in v.units],
                        columns=["target", "intermediate", "versus", "family", "unit", "Δ"])


def power_line(found: list[Verdict]) -> str:
    """What the comparisons could have detected: the MDE of the test applied, at its corrected
    level, from each comparison's measured spread over its units."""
    tested = [v for v in found if v.detectable is not None and math.isfinite(v.detectable)]
    units = sorted({(v.n, v.unit) for v in found})
    shown = ", ".join(f"{n} {plural(n, u)}" for n, u in units)
    if not tested:
        return (f"power: {shown} per comparison: no minimum detectable effect could be computed (fewer than two "
                f"units, or units that did not vary), so no effect size can be promised detectable.")
    low, high = min(v.detectable for v in tested), max(v.detectable for v in tested)
    span = f"{low:.1f}" if points(low) == points(high) else f"{low:.1f} to {high:.1f}"
    k = tested[0].family
    return (f"power: with {shown} per comparison, the paired t-test at Holm's first-step level "
            f"{ALPHA:g}/{k} detects a true Δ mean of {span} points with {POWER:.0%} power (from each "
            f"comparison's measured spread); smaller effects may go unseen.")
