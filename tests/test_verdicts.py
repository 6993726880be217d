"""The verdict rules on constructed run tables: each case is built so that exactly one verdict is
right, and the test fails if the rules (or their order) would print another. The statistics are
checked against the libraries they come from and against simulation where a rate is promised."""
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from stilts_nb.analysis import compare, verdicts


def runs(none_scores, shifts, target="wic", inter="synthesis", collapsed=(), none_collapsed=(),
         checkpoints=1, lrs=(5e-5, 1e-4)):
    """None and `inter` at matched configurations (lr x seed; batch 16, warmup 0.1): None at
    `none_scores`, `inter` at None + shift (0-1 scale). With `checkpoints` K > 1, the target seeds
    are dealt to K intermediate checkpoints in contiguous blocks (the nested pairing of plan.py)."""
    rows = []
    configs = len(none_scores)
    seeds = list(range(100, 100 + configs // len(lrs)))
    block = len(seeds) // checkpoints
    for k, (base, shift) in enumerate(zip(none_scores, shifts)):
        lr, seed = lrs[k % len(lrs)], seeds[k // len(lrs)]
        ckpt = 42 + seeds.index(seed) // block if checkpoints > 1 else 42
        for name, score in (("none", base), (inter, base + shift)):
            rows.append({"target": target, "intermediate": name, "score": score, "lr": lr, "batch_size": 16,
                         "warmup_ratio": 0.1, "seed": seed,
                         "intermediate_seed": None if name == "none" else ckpt,
                         "degenerate": (name == inter and k in collapsed) or (name == "none" and k in none_collapsed)})
    return pd.DataFrame(rows)


def wobble(n, size, seed=0):
    return np.random.default_rng(seed).normal(0, size, n)


def judge_one(table, floor=0.5, dev=600, margin=1.0, metric="accuracy", **kw):
    (v,) = verdicts.judge(table, margin, {"wic": floor}, {"wic": dev}, {"wic": metric}, **kw)
    return v


def test_a_consistent_gain_helps_with_a_t_interval_above_zero():
    v = judge_one(runs(0.66 + wobble(12, 0.01), 0.03 + wobble(12, 0.005, 1)))
    assert v.kind == "helps" and v.low > 0 and v.p < 0.05 and v.label() == "helps"
    assert v.unit == "target configuration" and v.n == 12


def test_a_consistent_loss_hurts():
    assert judge_one(runs(0.66 + wobble(12, 0.01), -0.03 + wobble(12, 0.005, 1))).kind == "hurts"


def test_the_checkpoint_is_the_unit_when_an_intermediate_has_several():
    # 12 configurations from 3 checkpoints: the test sees 3 values, each the mean of 4 pairs
    shifts = np.repeat([0.03, 0.02, 0.04], 4) + wobble(12, 0.002, 2)
    v = judge_one(runs(0.66 + wobble(12, 0.01), shifts, checkpoints=3))
    assert v.unit == "intermediate checkpoint" and v.n == 3 and v.configs == 12
    means = [100 * np.mean(shifts[i * 4:(i + 1) * 4]) for i in range(3)]
    assert v.mean == pytest.approx(np.mean(means))
    assert v.p == pytest.approx(stats.ttest_1samp(means, 0).pvalue)
    assert "3 intermediate checkpoints, each the mean of its 4 matched configurations" in v.sentence()


def test_pseudo_replication_is_not_counted_as_replication():
    # one checkpoint's shared offset looks consistent over its 12 configurations, but 2 checkpoints
    # that disagree carry the claim: per configuration it would "help", per checkpoint it cannot
    shifts = np.concatenate([0.04 + wobble(6, 0.003, 3), -0.01 + wobble(6, 0.003, 4)])
    by_config = judge_one(runs(0.66 + wobble(12, 0.01), shifts))
    by_checkpoint = judge_one(runs(0.66 + wobble(12, 0.01), shifts, checkpoints=2))
    assert by_config.n == 12 and by_checkpoint.n == 2
    assert by_checkpoint.kind == "inconclusive" and by_checkpoint.p > 0.05


def test_not_learned_pre_empts_a_significant_difference():
    # None and the intermediate both sit at the floor (0.51 on 600 examples: 2 SE = 4.1 points)
    table = runs(0.515 + wobble(12, 0.002), 0.01 + wobble(12, 0.003, 1))
    v = judge_one(table, floor=0.51)
    assert v.p < 0.05 and v.low > 0  # the test alone would have called it significant
    assert v.kind == "not learned" and "no Δ here means anything" in v.sentence()
    # the paper's regime when nothing rescues: every run of both arms at the floor, counted and
    # with the power the collapse test had
    floor_runs = runs([0.51] * 6, [0.0] * 6, none_collapsed=range(6), collapsed=range(6))
    w = judge_one(floor_runs, floor=0.51)
    assert w.kind == "not learned" and "Collapsed runs: 6/6 against 6/6: no rescue." in w.sentence()
    assert f"with power {w.rescue_power:.2f}." in w.sentence() and w.rescue_power > 0.9


def test_an_intermediate_that_learned_nothing_is_no_arm():
    table = runs(0.66 + wobble(12, 0.01), 0.03 + wobble(12, 0.005, 1))
    own = pd.DataFrame([{"task": "synthesis", "score": s, "floor": 0.25, "dev_examples": 200} for s in (0.25, 0.26)])
    v = judge_one(table, intermediates=own)
    assert v.kind == "intermediate not learned" and v.learned == (0, 2)
    learned = own.assign(score=[0.25, 0.60])
    w = judge_one(table, intermediates=learned)
    assert w.kind == "helps" and "Only 1 of 2 intermediate checkpoints learned their own task" in w.sentence()


def test_equivalence_only_inside_the_margin():
    v = judge_one(runs(0.66 + wobble(12, 0.01), wobble(12, 0.002, 3)), margin=1.0)
    assert v.kind == "no difference" and v.label() == "no difference larger than ±1.0"
    assert -1.0 < v.eq_low and v.eq_high < 1.0 and "90% interval" in v.sentence()
    # a real 1.5-point effect with the same spread: not equivalent within ±1, and significant
    w = judge_one(runs(0.66 + wobble(12, 0.01), 0.015 + wobble(12, 0.002, 3)), margin=1.0)
    assert w.kind == "helps"
    # a 0.8-point true effect measured loosely: its 90% interval crosses the margin, so no claim
    u = judge_one(runs(0.66 + wobble(12, 0.01), 0.008 + wobble(12, 0.01, 3)), margin=1.0)
    assert u.kind == "inconclusive" and (u.eq_low <= -1.0 or u.eq_high >= 1.0)


def test_one_unit_is_descriptive_not_a_test():
    v = judge_one(runs([0.66, 0.67], [0.05, 0.06], lrs=(1e-4,)), margin=1.0)
    assert v.n == 2 and v.p is not None  # two units: a t-test exists, however weak
    w = judge_one(runs([0.66], [0.05], lrs=(1e-4,)))
    assert w.kind == "descriptive" and w.p is None and "range +5.0 to +5.0" in w.sentence()


def test_the_exact_signed_rank_p_is_scipys_exact_and_flags_what_cannot_reject():
    shifts = 0.02 + wobble(6, 0.01, 8)
    v = judge_one(runs(0.66 + wobble(6, 0.01), shifts))
    diffs = 100 * shifts
    assert v.signed_rank == pytest.approx(stats.wilcoxon(diffs, method="exact").pvalue)
    assert compare.smallest_signed_rank_p(6) == pytest.approx(1 / 32)
    assert v.signed_rank_can_reject  # alone, 1/32 < 0.05
    other = runs(0.66 + wobble(6, 0.01), shifts, inter="cola")
    pair = verdicts.judge(pd.concat([runs(0.66 + wobble(6, 0.01), shifts), other[other["intermediate"] == "cola"]]),
                          1.0, {"wic": 0.5}, {"wic": 600})
    assert not any(w.signed_rank_can_reject for w in pair)  # after Holm over 2: 1/32 > 0.025


def test_holm_corrects_across_the_family_with_statsmodels():
    one = runs(0.66 + wobble(8, 0.01), 0.01 + wobble(8, 0.012, 5))
    other = runs(0.66 + wobble(8, 0.01), 0.01 + wobble(8, 0.012, 5), inter="cola")
    alone = judge_one(one)
    both = pd.concat([one, other[other["intermediate"] == "cola"]])
    together = verdicts.judge(both, 1.0, {"wic": 0.5}, {"wic": 600})
    assert [v.family for v in together] == [2, 2]
    assert together[0].p == pytest.approx(min(1.0, 2 * alone.p))
    assert compare.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_a_null_is_rejected_at_about_the_stated_rate():
    rng = np.random.default_rng(11)
    rejected = 0
    for trial in range(200):
        shifts = rng.normal(0, 0.01, 12)
        p = judge_one(runs(0.66 + rng.normal(0, 0.01, 12), shifts)).p
        rejected += p < 0.05
    assert 0.015 <= rejected / 200 <= 0.095


def test_the_power_promised_is_the_power_measured():
    # units with sd 1 point: the MDE at alpha 0.05 is detected in about 80% of simulated studies
    rng = np.random.default_rng(5)
    diffs = rng.normal(0, 1.0, 8)
    mde = compare.detectable(diffs, 0.05)
    sd = np.std(diffs, ddof=1)
    hits = sum(compare.t_test(rng.normal(mde, sd, 8)) < 0.05 for _ in range(2000))
    assert 0.76 <= hits / 2000 <= 0.84
    assert compare.units_needed(sd, mde, 0.05) == 8


def test_the_mde_is_at_the_corrected_level():
    table = runs(0.66 + wobble(12, 0.01), wobble(12, 0.02, 4))
    other = runs(0.66 + wobble(12, 0.01), wobble(12, 0.02, 4), inter="cola")
    alone = judge_one(table, margin=0.1)
    (first, _) = verdicts.judge(pd.concat([table, other[other["intermediate"] == "cola"]]), 0.1,
                                {"wic": 0.5}, {"wic": 600})
    assert alone.kind == "inconclusive" and first.detectable > alone.detectable
    assert first.detectable == pytest.approx(compare.detectable(100 * wobble(12, 0.02, 4), 0.05 / 2))


def test_rescues_on_a_constructed_collapse_pattern():
    # None collapses in 8 of 12 runs (its score at the floor), the intermediate in none
    none = np.where(np.arange(12) < 8, 0.5, 0.62)
    table = runs(none, 0.62 - none + wobble(12, 0.005, 6), none_collapsed=range(8))
    v = judge_one(table)
    assert v.kind == "rescues" and v.collapsed == 0 and v.collapsed_base == 8
    assert v.collapse_p == pytest.approx(stats.fisher_exact([[0, 12], [8, 4]]).pvalue)
    assert "rescues: 0/12 of its runs collapsed against 8/12" in v.sentence()
    assert v.rescue_power == pytest.approx(compare.rescue_power(12, 12, 8 / 12, 0.05))
    assert f"rescue from none's rate (8/12) with power {v.rescue_power:.2f}" in v.sentence()
    # the same shift without collapses is a plain "helps"
    assert judge_one(runs(0.62 + wobble(12, 0.005), 0.05 + wobble(12, 0.005, 6))).kind == "helps"


def test_rescue_power_matches_simulation():
    rng = np.random.default_rng(3)
    exact = compare.rescue_power(12, 12, 0.5, 0.05)
    hits = sum(compare.collapse_p(0, 12, int(rng.binomial(12, 0.5)), 12) < 0.05 for _ in range(3000))
    assert abs(hits / 3000 - exact) < 0.03


def test_against_a_reference_the_words_are_better_and_worse():
    table = runs(0.66 + wobble(12, 0.01), 0.03 + wobble(12, 0.005, 1), inter="synthesis")
    table["intermediate"] = table["intermediate"].replace({"none": "socialiqa@2000"})
    (v,) = verdicts.judge(table, 1.0, {"wic": 0.5}, {"wic": 600}, baseline="socialiqa@2000", arms=["synthesis"])
    assert v.label() == "better" and v.baseline == "socialiqa@2000"


def test_the_headline_follows_its_rule_not_the_row_order():
    calm = runs(0.66 + wobble(12, 0.01), wobble(12, 0.002, 3), inter="cola")
    strong = runs(0.66 + wobble(12, 0.01), 0.03 + wobble(12, 0.005, 1))
    found = verdicts.judge(pd.concat([calm, strong[strong["intermediate"] != "none"]]), 1.0,
                           {"wic": 0.5}, {"wic": 600})
    assert found[0].intermediate == "cola" and verdicts.headline(found).intermediate == "synthesis"


def test_row_and_sentence_agree():
    v = judge_one(runs(0.66 + wobble(12, 0.01), 0.03 + wobble(12, 0.005, 1)))
    row = v.row()
    assert f"Δ mean {row['Δ mean']:+.1f} points (95% t-interval {row['low']:+.1f} to {row['high']:+.1f}" in v.sentence()
    assert verdicts.table([v]).iloc[0]["Δ mean"] == row["Δ mean"]


def test_dev_se():
    assert verdicts.dev_se(0.3, 1043, "mcc") == pytest.approx(100 / math.sqrt(1043))
    assert verdicts.dev_se(0.5, 100) == pytest.approx(5.0)


def test_collapsed_runs_name_their_settings_as_parameters_write_them():
    table = runs(0.66 + wobble(12, 0.01), wobble(12, 0.03, 2), collapsed=(0,))
    assert judge_one(table).collapsed_configs[0] == "seed 100, lr 5e-5, batch 16, warmup 0.1"
    # a table joined with another carries seed and batch as floats: the prose must not show "16.0"
    table[["seed", "batch_size"]] = table[["seed", "batch_size"]].astype(float)
    v = judge_one(table)
    assert v.collapsed_configs[0] == "seed 100, lr 5e-5, batch 16, warmup 0.1"
    assert "Collapsed runs: 1/12 against 0/12" in v.sentence()


def test_a_reader_recomputes_each_p_and_mde_from_the_units_table():
    # what the committed *_units.csv lets a reviewer do: the same p after Holm, and the same MDE
    from statsmodels.stats.multitest import multipletests
    from statsmodels.stats.power import TTestPower

    one = runs(0.66 + wobble(12, 0.01), 0.01 + wobble(12, 0.012, 5), checkpoints=6)
    other = runs(0.66 + wobble(12, 0.01), -0.01 + wobble(12, 0.015, 6), inter="cola", checkpoints=6)
    found = verdicts.judge(pd.concat([one, other[other["intermediate"] == "cola"]]), 1.0, {"wic": 0.5}, {"wic": 600})
    units, table = verdicts.units_table(found), verdicts.table(found).set_index("intermediate")
    assert set(units["unit"]) == {f"checkpoint seed {k}" for k in range(42, 48)}
    groups = {arm: g["Δ"].to_numpy() for arm, g in units.groupby("intermediate", sort=False)}
    raw = [stats.ttest_1samp(d, 0).pvalue for d in groups.values()]
    adjusted = multipletests(raw, method="holm")[1]
    for (arm, d), p in zip(groups.items(), adjusted):
        assert table.loc[arm, "p (t, Holm)"] == float(f"{p:.2g}")
        effect = TTestPower().solve_power(nobs=len(d), alpha=0.05 / len(groups), power=0.8)
        assert table.loc[arm, "MDE"] == round(effect * np.std(d, ddof=1), 1)


def test_the_figure_dots_and_the_test_see_the_same_pairs():
    """Figure 2's per-configuration dots and the verdict's units come from one pairing: the dots
    averaged per checkpoint are the units the t-test saw; a run None lacks is in neither."""
    table = runs([0.55, 0.56, 0.57, 0.58, 0.6, 0.61], [0.01, 0.03, -0.02, 0.0, 0.02, 0.04], checkpoints=3)
    unpaired = table.iloc[[0]].assign(seed=999, intermediate="synthesis", intermediate_seed=42)
    dots = compare.configuration_differences(pd.concat([table, unpaired]))
    assert len(dots) == 6 and 999 not in set(dots["seed"])
    assert dots["diff"].to_numpy() == pytest.approx([1, 3, -2, 0, 2, 4])
    arm = table[table["intermediate"] == "synthesis"]
    units = compare.paired(arm, table[table["intermediate"] == "none"])
    assert units.unit == "intermediate checkpoint"
    assert units.diffs == pytest.approx([2, -1, 3])  # (1+3)/2, (-2+0)/2, (2+4)/2
