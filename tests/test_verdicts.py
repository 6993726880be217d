"""The verdict rules on constructed run tables: each case is built so that exactly one verdict is
right, and the test fails if the rules (or their order) would print another."""
import itertools
import math
import re

import numpy as np
import pandas as pd
import pytest

from stilts_nb.analysis import verdicts

GRID = list(itertools.product([5e-6, 1e-5, 2e-5], [8, 16, 32], [0.0, 0.2], [12, 42]))


def runs(none_scores, shifts, target="wic", inter="synthesis", collapsed=()):
    """None at `none_scores` (one per configuration) and `inter` at None + shift (0-1 scale)."""
    rows = []
    for k, (base, shift) in enumerate(zip(none_scores, shifts)):
        lr, bs, wr, seed = GRID[k]
        for name, score in (("none", base), (inter, base + shift)):
            rows.append({"target": target, "intermediate": name, "score": score, "lr": lr, "batch_size": bs,
                         "warmup_ratio": wr, "seed": seed, "degenerate": name == inter and k in collapsed})
    return pd.DataFrame(rows)


def wobble(n, size, seed=0):
    return np.random.default_rng(seed).normal(0, size, n)


def judge_one(table, floor=0.5, dev=600, margin=1.0, metric="accuracy"):
    (v,) = verdicts.judge(table, margin, {"wic": floor}, {"wic": dev}, {"wic": metric})
    return v


def test_a_consistent_gain_helps_with_a_t_interval_above_zero():
    v = judge_one(runs(0.66 + wobble(12, 0.01), 0.03 + wobble(12, 0.005, 1)))
    assert v.kind == "helps" and v.interval == "95% t-interval" and v.low > 0 and v.p < 0.05
    assert v.label() == "helps"


def test_a_consistent_loss_hurts():
    assert judge_one(runs(0.66 + wobble(12, 0.01), -0.03 + wobble(12, 0.005, 1))).kind == "hurts"


def test_not_learned_pre_empts_a_significant_difference():
    # None sits at the floor (majority 0.51 on 600 examples: 2 SE = 4.1 points) while the
    # intermediate is consistently 3 points "better": the target was not learned, so no Δ counts
    table = runs(0.515 + wobble(12, 0.002), 0.03 + wobble(12, 0.003, 1))
    v = judge_one(table, floor=0.51)
    assert v.p < 0.05 and v.low > 0  # the test alone would have called it significant
    assert v.kind == "not learned" and "not learned" in v.sentence() and "no Δ here means anything" in v.sentence()


def test_equivalence_inside_the_margin():
    v = judge_one(runs(0.66 + wobble(12, 0.01), wobble(12, 0.002, 3)), margin=1.0)
    assert v.kind == "no difference" and v.label() == "no difference larger than ±1.0"


def test_a_noisy_comparison_is_inconclusive_and_says_what_it_could_detect():
    shifts = wobble(12, 0.04, 4)
    v = judge_one(runs(0.66 + wobble(12, 0.01), shifts), margin=1.0)
    assert v.kind == "inconclusive"
    sd = np.std(100 * shifts, ddof=1)
    assert v.detectable == pytest.approx(verdicts.detectable_effect(sd, 12))
    assert v.detectable > 2  # a 3-4 point spread over 12 pairs cannot see a 2-point effect
    assert f"inconclusive (could detect only ≥ {v.detectable:.1f} points)" in v.sentence()


def test_below_six_pairs_it_is_a_range_not_an_interval():
    v = judge_one(runs([0.66, 0.67, 0.65, 0.66], [0.05, 0.06, 0.04, 0.05]))
    assert v.kind == "inconclusive" and v.interval == "range" and v.p is None and v.detectable is None
    assert (v.low, v.high) == pytest.approx((4.0, 6.0))
    s = v.sentence()
    assert "range +4.0 to +6.0" in s and "CI" not in s and "interval" not in s and "4 pairs: a range, no test" in s


def test_holm_adjusts_across_the_comparisons_judged_together():
    one = runs(0.66 + wobble(8, 0.01), 0.01 + wobble(8, 0.012, 5))
    other = runs(0.66 + wobble(8, 0.01), 0.01 + wobble(8, 0.012, 5), inter="cola")
    both = pd.concat([one, other[other.intermediate == "cola"]])
    alone = judge_one(one)
    together = verdicts.judge(both, 1.0, {"wic": 0.5}, {"wic": 600})
    assert together[0].p == pytest.approx(min(1.0, 2 * alone.p))


def test_collapse_counts_are_compared_with_fisher_and_name_their_settings():
    v = judge_one(runs(0.66 + wobble(12, 0.01), wobble(12, 0.03, 2), collapsed=(0, 1, 2, 3, 5, 7)))
    assert (v.collapsed, v.runs, v.collapsed_none, v.runs_none) == (6, 12, 0, 12)
    from scipy.stats import fisher_exact
    assert v.collapse_p == pytest.approx(fisher_exact([[6, 6], [0, 12]]).pvalue)
    assert v.collapse_p < 0.05
    assert v.collapsed_configs[0] == "seed 12, lr 5e-6, batch 8, warmup 0"  # as parameters/ write it
    # a table joined with another carries seed and batch as floats: the prose must not show "16.0"
    floats = runs(0.66 + wobble(12, 0.01), wobble(12, 0.03, 2), collapsed=(0,))
    floats[["seed", "batch_size"]] = floats[["seed", "batch_size"]].astype(float)
    assert judge_one(floats).collapsed_configs[0] == "seed 12, lr 5e-6, batch 8, warmup 0"
    assert "Collapsed runs: 6/12 against None's 0/12 (Fisher p = 0.014)" in v.sentence()


def test_the_headline_is_not_learned_first_then_significance_then_size():
    learned = runs(0.66 + wobble(12, 0.01), 0.03 + wobble(12, 0.005, 1))
    big_noise = runs(0.66 + wobble(12, 0.01), 0.06 + wobble(12, 0.2, 6), inter="cola")
    rows = pd.concat([learned, big_noise[big_noise.intermediate == "cola"]])
    found = verdicts.judge(rows, 1.0, {"wic": 0.5}, {"wic": 600})
    kinds = {v.intermediate: v.kind for v in found}
    assert kinds == {"synthesis": "helps", "cola": "inconclusive"}
    # cola's |Δ| is larger, but a significant effect outranks a larger noisy one
    assert abs(found[1].mean) > abs(found[0].mean)
    assert verdicts.headline(found).intermediate == "synthesis"
    # and a target that was not learned outranks both
    flat = runs(0.51 + wobble(12, 0.002), 0.001 + wobble(12, 0.002, 2), target="rte")
    rte = verdicts.judge(flat.assign(floor=0.51, dev_examples=277), 1.0)  # as the runs recorded them
    assert verdicts.headline(found + rte).kind == "not learned"


def test_prose_and_table_agree_on_every_number():
    v = judge_one(runs(0.66 + wobble(12, 0.01), 0.0234 + wobble(12, 0.0071, 1), collapsed=(3,)))
    row, sentence = v.row(), v.sentence()
    for key in ("Δ mean", "low", "high"):
        assert f"{row[key]:+.1f}" in sentence
    assert f"Wilcoxon p (Holm) = {row['p (Holm)']:.2g}" in sentence and "Fisher p = 1)" in sentence
    # apart from the p-values (two significant digits), every number in prose has one decimal
    numbers = re.findall(r"\d+\.\d+", re.sub(r"p(?: \(Holm\))? = [\d.e-]+", "", sentence))
    assert numbers and all(len(n.split(".")[1]) == 1 for n in numbers)
    assert "Δ mean" in verdicts.table([v]).columns and verdicts.table([v]).iloc[0]["Δ mean"] == row["Δ mean"]


def test_dev_set_error_qualifies_a_small_significant_effect():
    # 1.5 points, very consistent over 12 configurations, on a 277-example dev set (±8 points)
    v = judge_one(runs(0.70 + wobble(12, 0.01), 0.015 + wobble(12, 0.001, 1)), dev=277)
    assert v.kind == "helps" and v.dev_error > abs(v.mean)
    assert "on this dev set only" in v.sentence()


def test_power_sizing_from_a_pilot_spread():
    # a 2.5-point paired spread needs about 14 configurations for 2 points at 80% power
    needed = verdicts.pairs_needed(2.5, effect=2.0)
    assert verdicts.detectable_effect(2.5, math.floor(needed * 0.955)) <= 2.0
    assert verdicts.detectable_effect(2.5, math.floor(needed * 0.955) - 1) > 2.0
    assert 12 <= needed <= 18
    # three comparisons judged together need more
    assert verdicts.pairs_needed(2.5, effect=2.0, comparisons=3) > needed
    assert verdicts.pairs_needed(40.0, effect=0.5, limit=50) is None


def test_mcc_floor_and_error():
    assert verdicts.dev_se(0.3, 1043, "mcc") == pytest.approx(100 / math.sqrt(1043))
    assert verdicts.dev_se(0.5, 100) == pytest.approx(5.0)
